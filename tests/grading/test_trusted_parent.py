"""The process that writes grades parses untrusted files within bounds: a malformed or huge hand-in
is that learner's `invalid`, never a crash, and a class is never held in memory at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from .conftest import grade, read_grades, read_results
from .helpers import NOTEBOOKS, RIGHT, hand_in, learner_notebook, notebook_bytes

ROOT = Path(__file__).resolve().parents[2]


def _with_metadata(step: str, **metadata: object) -> bytes:
    nb = json.loads(notebook_bytes(step, RIGHT[step]))
    nb["metadata"].update(metadata)
    return json.dumps(nb).encode()


def test_malformed_and_huge_notebooks_are_each_one_learners_invalid(tmp_path):
    long_number = _with_metadata("1").replace(b'"metadata": {', b'"metadata": {"n": '
                                              + b"7" * 5000 + b", ", 1)
    huge_cell = learner_notebook("2", ["threshold = 0.6\n" + "# padding\n" * 210_000])
    import nbformat

    hand_in(tmp_path / "subs", "digits", {"1": long_number, "2": RIGHT["2"]})
    hand_in(tmp_path / "subs", "huge", {"2": nbformat.writes(huge_cell).encode(),
                                        "1": RIGHT["1"]})
    hand_in(tmp_path / "subs", "alice", {"1": RIGHT["1"], "2": RIGHT["2"]})
    out = tmp_path / "out"
    assert grade(tmp_path / "subs", out) == 0
    rows, results = read_grades(out), read_results(out)["learners"]
    assert rows["alice"]["step_1"] == "2" and rows["alice"]["step_2"] == "1"
    digits = results["digits"]["notebooks"][NOTEBOOKS["1"]]
    assert digits["status"] == "invalid" and "number in it is too long" in digits["message"]
    assert rows["digits"]["step_2"] == "1"
    huge = results["huge"]["notebooks"][NOTEBOOKS["2"]]
    assert huge["status"] == "invalid" and "more than 100,000 characters" in huge["message"]
    assert rows["huge"]["step_1"] == "2"


def test_a_zip_of_many_large_entries_is_never_held_whole(tmp_path):
    """60 hand-ins of 19 MB each (1.1 GB unpacked, a few MB zipped): the grader's peak memory
    stays far below what holding them all would take, and each is one learner's invalid.
    (The biggest process of the run peaks at about 80 MB on a quiet machine; in whole-suite
    runs at load 9-17 it once reached 541 and 570 MB, cause not found: the bound says "never
    all of them at once", not "one at a time".)"""
    archive = tmp_path / "bomb.zip"
    big = b"x" * (19 * 2**20)  # not JSON: each is rejected after being read, not held
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for i in range(60):
            out.writestr(f"learner{i:02d}/{NOTEBOOKS['1']}", big)
        out.writestr(f"alice/{NOTEBOOKS['2']}", notebook_bytes("2", RIGHT["2"]))
    del big
    process = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(archive), "-o",
                                str(tmp_path / "out"), "-q"], cwd=ROOT, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, process.stderr.read()
    process.stderr.close()
    peak_mb = usage.ru_maxrss / 1024  # of the grader and the processes it waited for
    assert peak_mb < 700, peak_mb  # all of them: over 1,140 MB
    rows = read_grades(tmp_path / "out")
    assert len(rows) == 61 and rows["alice"]["step_2"] == "1"
    statuses = read_results(tmp_path / "out")["learners"]["learner07"]["notebooks"]
    assert statuses[NOTEBOOKS["1"]]["status"] == "invalid"


def test_a_reply_carrying_another_steps_answers_is_not_judged():
    """A worker (or learner code in it) that answers step 3's questions with step 2's answers
    (a right `threshold`) gets an error, not step 2's points under step 3; the same answers
    to step 2's own questions pass."""
    import random

    from grader.batch.harness import ask, judge
    from grader.batch.notebook import plan_notebook
    from grader.batch.protocol import CellRun, Reply
    from grader.probe import answer_all
    from grader.questions import course_questions
    from grader.spec import step_for

    step2 = answer_all(course_questions("2"), {"threshold": 0.6})
    for step, answers in (("3", RIGHT["3"]), ("2", RIGHT["2"])):
        plan = ask(plan_notebook(notebook_bytes(step, answers), step), random.Random(1))
        runs = tuple(CellRun(printed="") for _ in plan.cells)
        grade_ = judge(step_for(step), plan, Reply(runs, tuple(step2)).to_data(), 0.1)
        if step == "3":
            assert grade_.status == "error" and grade_.points == 0
            assert "one answer for each of the" in grade_.message
        else:
            assert grade_.status == "ok" and grade_.result.passed
