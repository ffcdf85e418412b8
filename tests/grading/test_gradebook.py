"""The gradebook: unchanged notebooks are not run again, re-submissions are history, and an
interrupted run carries on where it stopped."""

from __future__ import annotations

import pytest

import grader.batch.lanes as lanes
from grader.batch.gradebook import Gradebook

from .conftest import grade, read_grades, read_results
from .helpers import NOTEBOOKS, RIGHT, WRONG, hand_in


@pytest.fixture
def klass(tmp_path):
    subs = tmp_path / "subs"
    hand_in(subs, "alice", RIGHT)
    hand_in(subs, "bob", WRONG)
    hand_in(subs, "carol", {"1": RIGHT["1"], "2": WRONG["2"]})
    return subs, tmp_path / "out"


def _runs(out):
    with Gradebook(out / "gradebook.sqlite") as book:
        return book.runs()


def test_a_rerun_skips_what_did_not_change(klass):
    subs, out = klass
    assert grade(subs, out) == 0
    first = read_grades(out)
    assert grade(subs, out) == 0
    assert read_grades(out) == first
    runs = _runs(out)
    # identical hand-ins (carol's two are alice's step 1 and bob's step 2) are run once
    assert [(r["graded"], r["reused"], r["outcome"]) for r in runs] == [
        (10, 2, "complete"), (0, 12, "complete")]


def test_a_resubmission_is_graded_and_kept_as_history(klass):
    subs, out = klass
    assert grade(subs, out) == 0
    hand_in(subs, "bob", {"2": ["threshold = 0.60"]})  # bob fixes step 2, hands in again
    assert grade(subs, out) == 0
    assert read_grades(out)["bob"]["step_2"] == "1"
    assert _runs(out)[-1]["graded"] == 1
    with Gradebook(out / "gradebook.sqlite") as book:
        history = [h for h in book.history("bob") if h["notebook"] == NOTEBOOKS["2"]]
    assert [(h["points"], h["first_run"]) for h in history] == [(0, 1), (1, 2)]


def test_an_interrupted_run_resumes(klass, monkeypatch, capsys):
    subs, out = klass
    real = lanes.Lanes.run

    def interrupt_on_the_fourth(self, jobs, count):  # Ctrl-C while verdicts stream in
        for number, verdict in enumerate(real(self, jobs, count)):
            if number == 3:
                raise KeyboardInterrupt
            yield verdict

    monkeypatch.setattr(lanes.Lanes, "run", interrupt_on_the_fourth)
    assert grade(subs, out) == 130
    assert "Run the same command again" in capsys.readouterr().err
    assert not (out / "grades.csv").exists()  # no half-finished reports
    assert [(r["graded"], r["outcome"]) for r in _runs(out)] == [(3, "interrupted")]
    monkeypatch.setattr(lanes.Lanes, "run", real)
    assert grade(subs, out) == 0
    assert _runs(out)[-1]["graded"] == 7
    rows = read_grades(out)
    assert rows["alice"]["total"] == "21" and rows["carol"]["total"] == "2"


def test_new_limits_mean_new_grades(klass):
    subs, out = klass
    assert grade(subs, out) == 0
    assert grade(subs, out, "--timeout", "20") == 0
    assert _runs(out)[-1]["graded"] == 10


def test_regrade_runs_everything_again(klass):
    subs, out = klass
    assert grade(subs, out) == 0
    assert grade(subs, out, "--regrade") == 0
    assert _runs(out)[-1]["graded"] == 10
    assert read_results(out)["learners"]["alice"]["total"] == 21


def test_gradebook_path_is_configurable(klass, tmp_path):
    subs, out = klass
    book = tmp_path / "books" / "term.sqlite"
    assert grade(subs, out, "--gradebook", str(book)) == 0
    assert book.exists() and not (out / "gradebook.sqlite").exists()


def test_a_gradebook_failing_mid_run_is_one_clear_line(klass, monkeypatch, capsys):
    import sqlite3

    subs, out = klass

    def full_disk(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Gradebook, "store_many", full_disk)
    assert grade(subs, out) == 2
    err = capsys.readouterr().err
    assert err.startswith("grader grade: the gradebook ") and "database or disk is full" in err
    assert "Traceback" not in err


def test_the_fingerprint_follows_the_grader_and_the_course_package(tmp_path):
    """A changed quiz key (it lives in the course package) or check must not reuse verdicts."""
    import shutil

    from grader.batch.gradebook import PROJECT, grader_fingerprint

    for package in ("grader", "churn_course"):
        shutil.copytree(PROJECT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    before = grader_fingerprint({"limits": 1}, tmp_path)
    assert before == grader_fingerprint({"limits": 1}, tmp_path)
    assert before != grader_fingerprint({"limits": 2}, tmp_path)
    bank = tmp_path / "churn_course" / "quiz_bank.json"
    key = bank.read_text(encoding="utf-8")
    bank.write_text(key.replace('"answer": "C"', '"answer": "D"', 1), encoding="utf-8")
    changed_key = grader_fingerprint({"limits": 1}, tmp_path)
    assert changed_key != before
    check = tmp_path / "grader" / "checks" / "step2.py"
    check.write_text(check.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert grader_fingerprint({"limits": 1}, tmp_path) not in (before, changed_key)
