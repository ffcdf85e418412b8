"""Every verdict names the kind of mistake it is (which branch of which check said it), so the
class report can count a class's mistakes: the same mistake with other values is one kind, two
different mistakes are two."""

from __future__ import annotations

from grader.checks import evaluate
from grader.probe import snapshot_for
from grader.snapshot import Snapshot

from .helpers import first_failure, run_step


def _kind(step: str, *cells: str) -> str:
    return first_failure(run_step(step, *cells)).kind


def test_the_same_mistake_with_other_values_is_one_kind() -> None:
    assert _kind("2", "threshold = 0.7") == _kind("2", "threshold = 0.9") != ""
    assert _kind("1", "customers = [[101, 0.2], [102, 0.8]]") == \
        _kind("1", "customers = [[1, 2]]")


def test_different_mistakes_are_different_kinds() -> None:
    kinds = {_kind("2", cell) for cell in ("threshold = 0.7", "threshold = '0.6'",
                                          "threshold = 60", "threshold = 6", "threshold = True")}
    assert len(kinds) == 5


def test_not_started_cell_errors_and_waiting_checks_have_their_own_kinds() -> None:
    result = run_step("1")
    assert {c.kind for c in result.checks} == {"not started", "not reached"}
    broken = first_failure(run_step("3", "def predict(feature):\n    return feature > threshold",
                                    "batch_results = [predict(c) for c in customers]"))
    assert broken.kind == "cell raised TypeError"


def test_a_passed_check_names_no_mistake_and_the_quiz_names_the_letter() -> None:
    assert all(c.kind == "" for c in run_step("2", "threshold = 0.6").checks)
    snapshot = dict(snapshot_for("quiz", {}, []), quiz_answers={"q1": "C", "q2": "B"})
    quiz = {c.id: c.kind for c in evaluate(Snapshot.load(snapshot)).checks}
    assert (quiz["quiz.q1"], quiz["quiz.q2"], quiz["quiz.q3"]) == ("C", "B", "no answer")
