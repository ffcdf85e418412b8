"""What the learner sees: the verdict's words, safe HTML, and progress that survives anything."""

import json
import os
from pathlib import Path

from grader import check, progress
from grader.cli import main

from .helpers import CUSTOMERS


def _report(namespace: dict, step: int = 1):
    return check(step, namespace=namespace)


def test_verdict_leads_with_the_failure_folds_passes_and_hides_the_answer_line() -> None:
    report = _report({"customers": [(101, 0.2)]})
    html = report._repr_html_()
    text = repr(report)
    assert text.splitlines() == [
        "Step 1: 1 of 2 checks passed. Start with the first ✘ below.",
        "  ✘ `customers` holds the four customers, in order",
        "      `customers` is not quite right: customer 102 is missing (expected `(102, 0.8)`); "
        "customer 103 is missing (expected `(103, 0.5)`); customer 104 is missing (expected "
        "`(104, 0.9)`).",
        "      Hint: Compare each tuple with the step's table: the ID, then its value.",
        "  ✔ 1 check passed",
        "Progress: 0 / 9 steps"]
    assert "<code>customers</code>" in html and "course-check-failed" in html
    assert "<details class='course-line' style" in html  # collapsed: the learner asks for it
    assert "Show me the line" in html and "(104, 0.9)]</code></pre></details>" in html


def test_learner_text_is_escaped_in_html() -> None:
    html = _report({"threshold": "<script>alert(1)</script>"}, 2)._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_passing_steps_are_remembered_and_shown() -> None:
    namespace: dict = {}
    exec(CUSTOMERS + "threshold = 0.6\n", namespace)
    assert "Progress: 1 / 9 steps" in repr(check(1, namespace=namespace))
    assert "Progress: 2 / 9 steps" in repr(check(2, namespace=namespace))
    saved = json.loads(Path(os.environ["COURSE_PROGRESS_FILE"]).read_text())
    assert saved["steps"]["1"]["passed"] and saved["steps"]["2"]["points"] == 1


def test_a_corrupt_progress_file_is_ignored_with_a_note() -> None:
    Path(os.environ["COURSE_PROGRESS_FILE"]).write_text("{not json")
    report = _report({"customers": [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)]})
    assert report.passed
    assert "progress file progress.json could not be used (it is not JSON); starting it " \
           "afresh" in repr(report)
    assert "Progress: 1 / 9 steps" in progress.report()


def test_progress_command_prints_each_step(capsys) -> None:
    check(2, namespace={"threshold": 0.6})
    check(1, namespace={"customers": []})
    assert main(["progress"]) == 0
    out = capsys.readouterr().out
    assert "Progress: 1 / 9 steps" in out
    assert "✔ Step 2: Set prediction threshold (1 / 1 point)" in out
    assert "✘ Step 1: Create customer data list (0 / 2 points)" in out
    assert "· Step 3" in out


def test_progress_command_with_missing_file(capsys, tmp_path) -> None:
    assert main(["progress", "--file", str(tmp_path / "nope.json")]) == 2
    shown = capsys.readouterr()
    assert shown.out == "" and f"there is no file {tmp_path / 'nope.json'}." in shown.err


def test_progress_counts_the_steps_the_place_offers(tmp_path) -> None:
    """A course in the browser offers every notebook but Part 2's: progress is out of its
    steps, and a step checked anyway still counts."""
    from grader.spec import ALL_STEPS, PART2_NOTEBOOK, STEPS

    browser = {s.notebook for s in ALL_STEPS} - {PART2_NOTEBOOK}
    for name in browser:
        (tmp_path / name).write_text("{}", encoding="utf-8")
    offered = sum(1 for s in STEPS if s.notebook in browser)
    assert 0 < offered < len(STEPS)
    steps = {"2": {"passed": True}, "quiz": {"points": 7, "max_points": 10}}
    assert progress.summary(steps, tmp_path) == f"Progress: 1 / {offered} steps · quiz 7 / 10"
    steps["6"] = {"passed": True}
    assert progress.summary(steps, tmp_path) == \
        f"Progress: 2 / {offered + 1} steps · quiz 7 / 10"
    (tmp_path / PART2_NOTEBOOK).write_text("{}", encoding="utf-8")
    assert progress.summary(steps, tmp_path).startswith(f"Progress: 2 / {len(STEPS)} steps")
    assert progress.summary({}, tmp_path / "elsewhere") == f"Progress: 0 / {len(STEPS)} steps"
