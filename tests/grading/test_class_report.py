"""The class report of a graded class with known mistakes (tests/known_class.py): what it
counts, who it names, the quiz's item analysis, and that it is only written when it changes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.batch import grading
from grader.batch.verdicts import failed
from grader.cli import main
from grader.spec import ALL_STEPS

from .conftest import grade
from .helpers import RIGHT, hand_in


def _figures(out: Path) -> dict:
    return json.loads((out / "class.json").read_text(encoding="utf-8"))


def _check(figures: dict, check_id: str) -> dict:
    return next(c for c in figures["checks"] if c["id"] == check_id)


def _mistakes(check: dict) -> dict[str, tuple[int, list[str]]]:
    return {m["said"]: (m["learners"], [e["id"] for e in m["examples"]])
            for m in check["mistakes"]}


def test_each_check_counts_its_failures_by_the_kind_of_mistake(known_class) -> None:
    _, out = known_class
    figures = _figures(out)
    shape = _check(figures, "1.customers_shape")
    assert (shape["passed"], shape["failed"]) == (3, 3)
    assert _mistakes(shape) == {
        "`customers` is a dict, but the step asks for a list of tuples.": (2, ["ben", "eve"]),
        "Each customer is a list like `[101, 0.2]`; the step asks for tuples like "
        "`(101, 0.2)`.": (1, ["fay"])}
    threshold = _check(figures, "2.threshold")
    assert threshold["failed"] == 4
    # 0.7 and 0.9 are one mistake, named by what its messages share; most common first,
    # then by kind
    assert _mistakes(threshold) == {
        "`threshold` is …; the step asks for 0.6.": (2, ["cy", "dee"]),
        "`threshold` is the text `'0.6'`. Text can't be compared with numbers.":
            (2, ["ben", "eve"])}
    values = _check(figures, "1.customers_values")  # waits on the shape check
    assert (values["passed"], values["not_reached"], values["mistakes"]) == (3, 3, [])
    defined = _check(figures, "3.predict_defined")  # fay handed in step 3 as she got it
    assert (defined["passed"], defined["not_started"], defined["failed"]) == (4, 1, 0)
    assert defined["mistakes"] == []  # not starting is not a mistake
    realtime = _check(figures, "4.prints_realtime")  # cy, dee and fay handed in no step 4
    assert (realtime["passed"], realtime["failed"], realtime["not_checked"]) == (2, 1, 3)
    assert _mistakes(realtime) == {"You called `predict(105)`: 105 is the customer's ID, not "
                                   "the feature value. The model scores features.": (1, ["eve"])}


def test_learners_are_linked_to_their_own_reports(known_class) -> None:
    _, out = known_class
    shape = _check(_figures(out), "1.customers_shape")
    for example in shape["mistakes"][0]["examples"]:
        assert example["report"] == f"feedback/{example['id']}.html"
        assert (out / example["report"]).is_file()
    page = (out / "class.html").read_text(encoding="utf-8")
    assert '<a href="feedback/ben.html">ben</a>' in page


def test_scores_steps_and_notebooks(known_class) -> None:
    _, out = known_class
    figures = _figures(out)
    scores = figures["scores"]
    assert (scores["learners"], scores["max"], scores["full_marks"]) == (6, 21, 1)
    assert sum(scores["histogram"]["learners"]) == 6
    assert scores["histogram"]["learners"][21] == 1  # ana
    steps = {s["step"]: s for s in figures["steps"]}
    assert [steps["1"][k] for k in ("handed_in", "passed", "pass_rate")] == [6, 3, 50.0]
    assert [steps["4"][k] for k in ("handed_in", "passed", "pass_rate_of_handed_in")] == \
        [3, 2, 66.7]
    assert steps["quiz"]["statuses"]["missing"] == 2  # dee and fay
    notebooks = figures["notebooks"]
    assert notebooks["statuses"] == {"ok": 24, "timeout": 0, "error": 0, "invalid": 0,
                                     "missing": 6}
    assert notebooks["late_known"] == 0  # plain folders say nothing of lateness
    assert len(notebooks["slowest"]) == 5
    assert figures["problems"] == []
    assert figures["counts"]["chosen"] is None
    assert "06_measure_it.ipynb" not in figures["counts"]["notebooks"]  # nobody handed it in


def test_the_quiz_item_analysis_matches_figures_worked_by_hand(known_class) -> None:
    """Four graded quizzes: ana 10/10, cy 9 (q3: A), ben 1 (q1 C, q2 B), eve 0 (q1 B, q2 B,
    q3 A). Question 1: marks x = (ana 1, ben 1, cy 1, eve 0), rest of the quiz X = (9, 0, 8,
    0): facility 3/4 = 75 %; mean x 0.75, mean X 4.25; deviations (.25, .25, .25, -.75) and
    (4.75, -4.25, 3.75, -4.25); cov = 4.25/3, var x = .75/3, var X = 72.75/3; discrimination
    = 100 · 4.25 / √(.75 · 72.75) = 57.5 %; sorted pairs give the same covariance, so the
    discriminative efficiency is 100 %; SD = 100 · √(.25) = 50 %."""
    _, out = known_class
    quiz = _figures(out)["quiz"]
    assert quiz["attempts"] == 4
    q1, q2, q3 = quiz["questions"][:3]
    assert (q1["facility"], q1["sd"], q1["discrimination"], q1["efficiency"]) == \
        (75.0, 50.0, 57.5, 100.0)
    assert {o["option"]: o["picked"] for o in q1["options"]} == {"A": 0, "B": 1, "C": 3, "D": 0}
    assert [o["right"] for o in q1["options"]] == [False, False, True, False]
    assert q1["facility_reads"] == "fairly easy"
    # question 2: right A by ana and cy, B by ben and eve: half the class, no more than it
    assert q2["facility"] == 50.0
    assert q2["distractors"] == [{"option": "B", "picked": 2, "more_than_the_answer": False}]
    # question 3 (answer B): only ana; A drew cy and eve; ben left it unanswered
    assert (q3["facility"], q3["no_answer"]) == (25.0, 1)
    assert q3["distractors"] == [{"option": "A", "picked": 2, "more_than_the_answer": True}]
    page = (out / "class.html").read_text(encoding="utf-8")
    # the distractor that drew the class, in its own words (the misconception to teach again)
    assert ("A: 2 (50 %) drew the class</span><q class=option>pred1 pred2 pred3 pred4</q>"
            in page)


def test_the_pass_rates_chart_is_the_steps_and_the_quiz_is_read_by_its_questions(
        known_class) -> None:
    _, out = known_class
    page = (out / "class.html").read_text(encoding="utf-8")
    chart = page.split('id="steps-h"')[1].split("</figure>")[0]
    assert "Step 4 33 %" in chart and "Quiz" not in chart  # 10 of 10 is no pass rate
    assert "The quiz counts as passed with every question right" in page
    assert "6 learners · source" in page and "1 learner with full marks" in page
    # a check's outcomes that happened, and none that didn't
    assert "<p>3 failed · 3 passed</p>" in page  # 1.customers_shape
    assert "0 not started" not in page


def test_the_page_stands_alone(known_class) -> None:
    _, out = known_class
    page = (out / "class.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<link" not in page and "src=" not in page
    assert page.count("<svg") == 3  # scores, steps, quiz
    assert page.count('role="img"') == 3 and page.count("<desc id=") == 3
    ids = [part.split('"')[0] for part in page.split(' id="')[1:]]
    assert len(ids) == len(set(ids)), "two elements share an id"


def test_an_unchanged_rerun_leaves_the_report_alone_and_report_writes_the_same(
        known_class, tmp_path: Path) -> None:
    submissions, graded = known_class
    out = tmp_path / "graded"
    shutil.copytree(graded, out)
    before = {name: (out / name).stat().st_mtime_ns for name in ("class.html", "class.json")}
    assert grade(submissions, out) == 0
    assert {name: (out / name).stat().st_mtime_ns for name in before} == before
    # `report` makes the same report from results.json alone (no gradebook needed)
    html, figures = (out / "class.html").read_bytes(), (out / "class.json").read_bytes()
    (out / "gradebook.sqlite").unlink()
    (out / "class.html").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "class.html").read_bytes() == html
    assert (out / "class.json").read_bytes() == figures
    # a changed class: the report follows
    (submissions / "dee" / "03_predict_and_batch.ipynb").write_bytes(
        (submissions / "ana" / "03_predict_and_batch.ipynb").read_bytes())
    try:
        assert grade(submissions, out) == 0
    finally:
        (submissions / "dee" / "03_predict_and_batch.ipynb").unlink()
    steps = {s["step"]: s for s in _figures(out)["steps"]}
    assert (steps["3"]["handed_in"], steps["3"]["passed"]) == (6, 4)


def test_report_without_results_says_what_to_do(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path)]) == 2
    message = capsys.readouterr().err
    assert message.startswith("grader report: can't read") and "grade the class" in message
    assert message.count("\n") == 1
    (tmp_path / "results.json").write_text("{not json")
    assert main(["report", str(tmp_path)]) == 2
    assert "is not a results.json this grader wrote" in capsys.readouterr().err



def test_report_open_shows_the_page_in_a_browser(known_class, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import webbrowser

    out = tmp_path / "graded"
    shutil.copytree(known_class[1], out)
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    assert main(["report", str(out), "--open"]) == 0
    assert opened == [(out / "class.html").resolve().as_uri()]


class _MachineKeepsKilling:
    """The grading lanes, but every notebook of `learner` comes back as the pool reports a
    notebook this machine kept killing (tests/grading/test_faults.py makes the real one):
    status error, `again` (told, never stored)."""

    def __init__(self, lanes: object, learner: str) -> None:
        self.lanes, self.learner = lanes, learner

    def __getattr__(self, name: str) -> object:
        return getattr(self.lanes, name)

    def run(self, jobs, count):
        theirs: set[int] = set()

        def watched():
            for job in jobs:
                if f"/{self.learner}/" in json.dumps(job["handin"]):
                    theirs.add(job["i"])
                yield job

        for head, verdict in self.lanes.run(watched(), count):
            if head["i"] in theirs:
                step = next(s for s in ALL_STEPS if s.notebook == json.loads(verdict)["notebook"])
                grade = failed(step, "error", "the grader could not grade this notebook: its "
                               "worker was killed from outside its own limits (3 tries); this "
                               "is not the learner's doing, and the next run grades it again")
                head = dict(head, status="error", points=0, again=True)
                verdict = json.dumps(grade.to_dict())
            yield head, verdict


def test_a_notebook_the_machine_kept_from_grading_is_a_grader_problem(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    submissions = tmp_path / "submissions"
    hand_in(submissions, "ana", {"1": RIGHT["1"]})
    hand_in(submissions, "ben", {"1": [RIGHT["1"][0] + "  # ben's own"]})  # not ana's bytes
    out = tmp_path / "graded"
    real = grading._executor
    monkeypatch.setattr(grading, "_executor",
                        lambda *args, **kwargs: _MachineKeepsKilling(real(*args, **kwargs), "ben"))
    assert grade(submissions, out, "--notebooks", "01") == 0
    figures = _figures(out)
    assert figures["notebooks"]["statuses"]["error"] == 1
    assert figures["problems"] == [
        "1 notebook the grader could not grade (its machine's doing, after retries, not the "
        "learners'): not stored, so the next run grades them again: ben (01_customer_data.ipynb)"]
    assert "ben (01_customer_data.ipynb)" in (out / "class.html").read_text(encoding="utf-8")
    assert main(["report", str(out)]) == 0  # from results.json alone: the same problem
    assert _figures(out)["problems"] == figures["problems"]
    # ... and it does: the machine is well again, ben is graded, nothing is left to say
    monkeypatch.setattr(grading, "_executor", real)
    assert grade(submissions, out, "--notebooks", "01") == 0
    figures = _figures(out)
    assert figures["problems"] == [] and figures["notebooks"]["statuses"]["error"] == 0
    assert figures["steps"][0]["passed"] == 2
