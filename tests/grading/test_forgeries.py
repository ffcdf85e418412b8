"""A forged reply earns nothing a right answer would not (issue 15, Found 1).

Learner code shares the grading worker with the probe, so it can write whatever it likes as the
worker's reply. The harness in the grading lane asks the questions (with inputs drawn afresh
for each run), reads each answer against its own question and takes the sources from the
notebook's bytes: a reply that breaks the protocol is that learner's `error`, and one that
keeps it has to compute what right code computes. Every hostile learner here is graded in one
class with honest ones, whose grades must be exactly what they are without the attackers.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from grader.questions import draw

from . import forgeries
from .conftest import grade, read_grades, read_results
from .helpers import NOTEBOOKS, RIGHT, WRONG, hand_in, notebook_bytes

HONEST = {"ana": {k: RIGHT[k] for k in ("1", "2", "3", "4", "quiz")},
          "bo": {k: WRONG[k] for k in ("1", "2", "3", "4", "quiz")}}


def _with(cell: str, step: str, answers: list[str] | None = None) -> bytes:
    """The learner notebook of `step` with `cell` as its first answer cell."""
    rest = (answers or RIGHT[step])[1:]
    return notebook_bytes(step, [cell, *rest])


ATTACKERS: dict[str, dict[str, bytes | list[str]]] = {
    # Found 1, as found: the solution's snapshot, written as the reply.
    "mallory": {**{k: _with(forgeries.SOLUTION_SNAPSHOT, k) for k in ("1", "2", "3", "4",
                                                                       "quiz")},
                "5": notebook_bytes("5", [forgeries.SOLUTION_SNAPSHOT])},
    # ... brought up to date: this run's questions answered from the solution's namespace.
    "mona": {k: _with(forgeries.SOLUTION_ANSWERS, k, [forgeries.SOLUTION_ANSWERS, "pass"])
             for k in ("1", "2", "3")},
    # Found 1's one-line variants: a silenced guard, canned answers; a hand-written snapshot.
    "sly": {"3": _with(forgeries.CANNED_CALLS + "def predict(feature):\n    return feature >= 0.6",
                       "3")},
    "sid": {"3": _with(forgeries.SILENCED_GUARD + "\ndef predict(feature):\n"
                       "    return feature > 0.5", "3")},
    "hank": {"2": _with("threshold = 0.5\n" + forgeries.HANDWRITTEN_SNAPSHOT.replace(
        "os.write(3,", "os.write(next(fd for fd in range(3, 64) if os.path.exists("
        "f'/proc/self/fd/{fd}') and os.readlink(f'/proc/self/fd/{fd}').startswith('pipe:')),"),
        "2")},
    # New attacks on the harness.
    "rita": {"3": _with(forgeries.REWRITTEN_QUESTIONS + "\ndef predict(feature):\n"
                        "    return feature > 0.6", "3")},
    "eli": {"2": _with("threshold = 0.6\n" + forgeries.EARLY_REPLY, "2")},
    "hugo": {"2": _with("threshold = 0.6\n" + forgeries.HUGE_ANSWER, "2"),
             "3": _with(forgeries.HUGE_ANSWER + RIGHT["3"][0], "3")},
    "quinn": {"3": _with(forgeries.EXIT_BETWEEN_ANSWERS, "3")},
    "lou": {"3": _with(forgeries.COURSE_ONLY_PREDICT, "3")},
    "pat": {"3": _with(forgeries.PATCHED_ENCODER, "3")},
    "zeno": {"2": _with("threshold = 0.5\n" + forgeries.REPLY_THEN_HANG, "2")},
    "gus": {"2": _with("threshold = 0.6\n" + forgeries.OVERSIZED_REPLY, "2")},
    "nat": {"2": _with("threshold = 0.6\n" + forgeries.NOT_JSON_REPLY, "2")},
}


def _class(root: Path, learners: dict) -> Path:
    for learner, notebooks in learners.items():
        hand_in(root, learner, notebooks)
    return root


@pytest.fixture(scope="module")
def graded_classes(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, dict]:
    """(results without attackers, results with them, grades.csv rows with them)."""
    honest = _class(tmp_path_factory.mktemp("honest"), HONEST)
    mixed = _class(tmp_path_factory.mktemp("mixed"), {**HONEST, **ATTACKERS})
    outs = tmp_path_factory.mktemp("honest-out"), tmp_path_factory.mktemp("mixed-out")
    for folder, out in zip((honest, mixed), outs, strict=True):
        assert grade(folder, out, "--timeout", "20", "--jobs", "2") == 0
    return read_results(outs[0]), read_results(outs[1]), read_grades(outs[1])


def _verdicts(results: dict, learner: str) -> dict:
    return {name: (nb["status"], nb["message"], [(c["id"], c["passed"], c["message"])
                                                  for c in nb["result"]["checks"]])
            for name, nb in results["learners"][learner]["notebooks"].items()}


def _notebook(results: dict, learner: str, step: str) -> dict:
    return results["learners"][learner]["notebooks"][NOTEBOOKS[step]]


def test_honest_learners_get_the_same_grades_with_attackers_in_the_class(graded_classes):
    alone, mixed, rows = graded_classes
    for learner in HONEST:
        theirs, with_attackers = _verdicts(alone, learner), _verdicts(mixed, learner)
        assert {k: with_attackers[k] for k in theirs} == theirs, learner
        # Part 2 is graded once anyone hands it in (an attacker did): not handed in here
        assert {v[0] for k, v in with_attackers.items() if k not in theirs} == {"missing"}
    ana = alone["learners"]["ana"]
    assert ana["total"] == ana["max_total"] == float(rows["ana"]["total"])
    assert float(rows["bo"]["total"]) < 5


def test_the_solution_snapshot_written_as_the_reply_is_an_error(graded_classes):
    """Found 1 as it was found: 21/21 on Part 1 and the quiz, and full marks on steps 5-8,
    then; nothing now."""
    _, mixed, rows = graded_classes
    assert rows["mallory"]["total"] == "0"
    notebooks = mixed["learners"]["mallory"]["notebooks"]
    assert len([n for n in notebooks if n.startswith("06")]) == 4  # each of Part 2's steps
    for name, notebook in notebooks.items():
        if notebook["status"] == "missing":
            continue
        assert notebook["status"] == "error", name
        assert notebook["message"].startswith("what it sent back could not be checked")


def test_answers_from_the_solution_still_face_the_learners_own_code(graded_classes):
    """Answered from the solution's namespace (were `solutions/` readable in the worker), the
    calls and values come out right, but what the code looks like is read from the notebook
    the learner handed in: the cell that builds `batch_results` is not there."""
    _, mixed, _ = graded_classes
    checks = {c["id"]: c for c in _notebook(mixed, "mona", "3")["result"]["checks"]}
    assert not checks["3.batch_comprehension"]["passed"]
    assert "couldn't be found" in checks["3.batch_comprehension"]["message"]


def test_a_silenced_guard_with_canned_answers_is_an_error(graded_classes):
    """Answers copied from a right `predict` on the course's own inputs don't answer this
    run's questions."""
    _, mixed, rows = graded_classes
    notebook = _notebook(mixed, "sly", "3")
    assert notebook["status"] == "error" and rows["sly"]["step_3"] == "0"
    assert "could not be checked" in notebook["message"]


def test_a_silenced_guard_with_a_probe_that_describes_everything_alike_earns_nothing(
        graded_classes):
    """Found 1's one-line variant: the guard silenced, every value described as a right
    `threshold`. On step 3 that is no `predict` and no answers at all."""
    _, mixed, rows = graded_classes
    notebook = _notebook(mixed, "sid", "3")
    assert rows["sid"]["step_3"] == "0", notebook["message"]
    checks = {c["id"]: c for c in notebook["result"]["checks"]}
    assert not checks["3.predict_defined"]["passed"], checks


def test_a_hand_written_snapshot_is_an_error(graded_classes):
    _, mixed, rows = graded_classes
    notebook = _notebook(mixed, "hank", "2")
    assert notebook["status"] == "error" and rows["hank"]["step_2"] == "0"


def test_questions_rewritten_in_the_worker_are_not_the_questions_asked(graded_classes):
    _, mixed, rows = graded_classes
    notebook = _notebook(mixed, "rita", "3")
    assert notebook["status"] == "error" and rows["rita"]["step_3"] == "0"
    asked = len(draw("3", random.Random(0)))  # the course's 14 questions, and drawn calls
    assert f"one answer for each of the {asked} questions" in notebook["message"]


def test_a_reply_written_early_then_the_workers_is_an_error(graded_classes):
    _, mixed, rows = graded_classes
    assert _notebook(mixed, "eli", "2")["status"] == "error" and rows["eli"]["step_2"] == "0"


def test_huge_answers_are_an_error_and_reach_no_report(graded_classes):
    _, mixed, rows = graded_classes
    for step in ("2", "3"):
        notebook = _notebook(mixed, "hugo", step)
        assert notebook["status"] == "error", step
        assert len(str(notebook)) < 20_000
    assert rows["hugo"]["total"] == "0"


def test_a_process_that_ends_between_answers_is_an_error(graded_classes):
    _, mixed, rows = graded_classes
    notebook = _notebook(mixed, "quinn", "3")
    assert notebook["status"] == "error" and "ended its own process" in notebook["message"]


def test_code_right_only_on_the_courses_inputs_fails_where_it_is_wrong(graded_classes):
    """A table of `check(3)`'s answers passes `check(3)` (see test_harness.py); graded, the
    drawn inputs reach the worker and the rule fails on one of them."""
    _, mixed, rows = graded_classes
    notebook = _notebook(mixed, "lou", "3")
    checks = {c["id"]: c for c in notebook["result"]["checks"]}
    assert notebook["status"] == "ok" and not checks["3.predict_rule"]["passed"]
    assert checks["3.batch_values"]["passed"] and float(rows["lou"]["step_3"]) < 6


def test_a_patched_json_encoder_answering_from_a_table_earns_what_predict_does(graded_classes):
    """The guard can't restore every class a reply passes through (json's encoder here); the
    drawn inputs still catch answers that were looked up, not computed."""
    _, mixed, rows = graded_classes
    notebook = _notebook(mixed, "pat", "3")
    checks = {c["id"]: c for c in notebook["result"]["checks"]}
    assert not checks["3.predict_rule"]["passed"], checks["3.predict_rule"]
    assert float(rows["pat"]["step_3"]) <= float(rows["lou"]["step_3"])


def test_a_right_reply_from_a_worker_that_never_ends_is_a_timeout(graded_classes):
    _, mixed, rows = graded_classes
    notebook = _notebook(mixed, "zeno", "2")
    assert notebook["status"] == "timeout" and rows["zeno"]["step_2"] == "0"


@pytest.mark.parametrize("learner, said", [("gus", "too large to be read"),
                                           ("nat", "reply could not be read")])
def test_a_reply_too_large_or_not_json_is_the_learners_error(graded_classes, learner, said):
    _, mixed, rows = graded_classes
    notebook = _notebook(mixed, learner, "2")
    assert notebook["status"] == "error" and said in notebook["message"]
    assert rows[learner]["step_2"] == "0"
