"""The instructor's command end to end: rows, statuses, messages, feedback files, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import main

from .conftest import grade, read_grades, read_results
from .helpers import RIGHT, ROOT, WRONG, hand_in, notebook_bytes


@pytest.fixture(scope="module")
def small_class(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    root = tmp_path_factory.mktemp("class")
    hand_in(root, "alice", RIGHT)
    hand_in(root, "bob", WRONG)
    hand_in(root, "carol", {"1": RIGHT["1"], "3": RIGHT["3"]})  # only some notebooks
    (root / "dan").mkdir()  # handed in nothing at all
    out = tmp_path_factory.mktemp("out")
    code = grade(root, out)
    return root, out, code


def test_exit_status_is_zero_whatever_the_learners_scored(small_class):
    assert small_class[2] == 0


def test_one_row_per_learner_with_points_per_step(small_class):
    rows = read_grades(small_class[1])
    assert list(rows) == ["alice", "bob", "carol", "dan"]
    assert list(rows["alice"]) == ["learner", "step_1", "step_2", "step_3", "step_4", "quiz",
                                   "total", "max_total", "status", "late", "name"]
    assert rows["alice"] == {"learner": "alice", "step_1": "2", "step_2": "1", "step_3": "6",
                             "step_4": "2", "quiz": "10", "total": "21", "max_total": "21",
                             "status": "ok", "late": "", "name": ""}
    assert rows["bob"]["total"] == "4" and rows["bob"]["quiz"] == "1"
    assert rows["bob"]["status"] == "ok"
    assert rows["carol"]["step_1"] == "2" and rows["carol"]["step_3"] == "6"
    assert rows["carol"]["status"] == ("missing: 02_prediction_threshold, "
                                       "04_batch_and_realtime, 05_practice_quiz")
    assert rows["dan"]["total"] == "0" and rows["dan"]["max_total"] == "21"


def test_results_list_every_check_and_notebook(small_class):
    results = read_results(small_class[1])
    bob = results["learners"]["bob"]
    ids = [c["id"] for c in bob["checks"]]
    assert ids[:2] == ["1.customers_shape", "1.customers_values"] and len(ids) == 21
    for check in bob["checks"]:
        assert set(check) >= {"id", "step", "passed", "points", "max_points", "message"}
    shape = bob["checks"][0]
    assert shape["passed"] is False and "dict" in shape["message"]
    notebook = bob["notebooks"]["03_predict_and_batch.ipynb"]
    assert notebook["status"] == "ok" and 0 < notebook["runtime"] < 30
    assert results["learners"]["carol"]["notebooks"]["04_batch_and_realtime.ipynb"][
        "status"] == "missing"
    assert results["statuses"] == {"ok": 12, "timeout": 0, "error": 0, "invalid": 0,
                                   "missing": 8}


def test_feedback_files_say_what_to_fix(small_class):
    feedback = small_class[1] / "feedback"
    assert sorted(p.name for p in feedback.iterdir()) == [
        f"{n}.{ext}" for n in ("alice", "bob", "carol", "dan") for ext in ("html", "md")]
    bob = (feedback / "bob.md").read_text(encoding="utf-8")
    assert "Total: 4 / 21 points" in bob and "Hint:" in bob
    html = (feedback / "bob.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "course-check-failed" in html
    assert "was not handed in" in (feedback / "carol.md").read_text(encoding="utf-8")


def test_verdicts_match_the_inline_check(small_class):
    from grader.inline import check

    namespace: dict = {}
    exec("customers = [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)]\n"
         + WRONG["2"][0], namespace)
    inline = check(2, namespace=namespace, record=False).result
    graded = read_results(small_class[1])["learners"]["bob"]["notebooks"][
        "02_prediction_threshold.ipynb"]["result"]
    assert graded["checks"] == [c.to_dict() for c in inline.checks]


def test_no_half_written_files_are_left(small_class):
    leftovers = [p for p in small_class[1].rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_missing_submissions_is_one_clear_line(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nope"), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"grader grade: no such folder or zip file: {tmp_path / 'nope'}"]


def test_unwritable_output_is_one_clear_line(tmp_path, capsys):
    hand_in(tmp_path / "subs", "alice", {"1": RIGHT["1"]})
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["grade", str(tmp_path / "subs"), "-o", str(blocker / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("grader grade: can't write to the output folder")


def test_not_a_zip_is_one_clear_line(tmp_path, capsys):
    bogus = tmp_path / "class.zip"
    bogus.write_text("hello")
    assert main(["grade", str(bogus), "-o", str(tmp_path / "out")]) == 2
    assert "neither a folder nor a zip" in capsys.readouterr().err


def test_help_explains_the_command():
    done = subprocess.run([sys.executable, "-m", "grader", "grade", "--help"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    for words in ("SUBMISSIONS", "--jobs", "--timeout", "--memory", "--gradebook",
                  "grades.csv", "feedback", "exit status"):
        assert words in done.stdout


def test_reports_are_replaced_whole_on_a_rerun(tmp_path):
    subs = tmp_path / "subs"
    hand_in(subs, "alice", {"1": RIGHT["1"]})
    out = tmp_path / "out"
    out.mkdir()
    (out / "grades.csv").write_text("stale\n" * 1000)
    assert grade(subs, out) == 0
    assert "stale" not in (out / "grades.csv").read_text()


def test_grade_notebook_api(tmp_path):
    from grader.batch import grade_notebook

    path = tmp_path / "03_predict_and_batch.ipynb"
    path.write_bytes(notebook_bytes("3", RIGHT["3"]))
    grade_ = grade_notebook(path)
    assert grade_.status == "ok" and grade_.points == grade_.max_points == 6
    wrong = grade_notebook(notebook_bytes("3", WRONG["3"]), step=3)
    assert [c.passed for c in wrong.result.checks] == [True, True, False, False, True, False]
    assert "list comprehension" in wrong.result.checks[-1].message


def test_a_worker_that_cannot_start_is_the_graders_failure_not_the_learners(
        tmp_path, capsys, monkeypatch):
    """A broken grading environment must not be recorded as learners' errors (and cached)."""
    site = tmp_path / "site"  # an environment whose grading fork server dies at once
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import sys\nimport grader.batch.forkserver as server\n\n"
        "server.boot_command = lambda root, fd: [sys.executable, '-c', 'raise SystemExit(3)']\n")
    monkeypatch.setenv("PYTHONPATH", str(site))
    hand_in(tmp_path / "subs", "ana", {"2": RIGHT["2"]})
    out = tmp_path / "out"
    assert grade(tmp_path / "subs", out) == 2
    err = capsys.readouterr().err
    assert "the grading fork server did not start" in err
    assert not (out / "grades.csv").exists()
    from grader.batch.gradebook import Gradebook

    with Gradebook(out / "gradebook.sqlite") as book:
        assert book.graded_count() == 0


def test_a_rerun_rewrites_only_the_reports_that_changed(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    hand_in(subs, "alice", {"1": RIGHT["1"]})
    hand_in(subs, "bob", {"1": WRONG["1"]})
    assert grade(subs, out) == 0
    before = {p.name: p.stat().st_ino for p in (out / "feedback").iterdir()}
    hand_in(subs, "bob", {"1": RIGHT["1"]})  # bob hands in again, late
    assert grade(subs, out) == 0
    after = {p.name: p.stat().st_ino for p in (out / "feedback").iterdir()}
    assert after["alice.html"] == before["alice.html"] and after["alice.md"] == before["alice.md"]
    assert after["bob.html"] != before["bob.html"]
    assert read_grades(out)["bob"]["step_1"] == "2"


def test_grading_works_whatever_the_temporary_folders_path(tmp_path):
    """Issue 19: with a TMPDIR of 48 characters or more, a socket path was too long and the
    run stopped. No socket of the grader has a path now."""
    long_tmp = tmp_path / ("a-long-temporary-folder-" * 5)
    long_tmp.mkdir()
    hand_in(tmp_path / "subs", "ana", {"1": RIGHT["1"], "2": RIGHT["2"]})
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(tmp_path / "subs"),
                           "-o", str(tmp_path / "out"), "-q", "--jobs", "2"],
                          env=dict(os.environ, TMPDIR=str(long_tmp)), capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert read_grades(tmp_path / "out")["ana"]["total"] == "3"
    assert not list(long_tmp.iterdir())  # and nothing left behind there
