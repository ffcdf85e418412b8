"""The choose-the-mode exercise graded as a class: its own grades.csv column (between step 4 and
the quiz) once anyone hands it in, points per scenario, and the very words of the inline check."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.inline import judge
from grader.spec import step_for

from .conftest import grade, read_grades, read_results
from .helpers import MODE_RIGHT, MODE_WRONG, RIGHT, hand_in, learner_notebook, notebook_bytes

NOTEBOOK = step_for("mode").notebook


@pytest.fixture(scope="module")
def mode_class(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("class")
    hand_in(root, "alice", {"1": RIGHT["1"], "mode": MODE_RIGHT})
    hand_in(root, "bob", {"1": RIGHT["1"], "mode": MODE_WRONG})
    (root / "carol").mkdir()  # the template as given: nothing filled in
    (root / "carol" / NOTEBOOK).write_bytes(notebook_bytes("mode"))
    hand_in(root, "dan", {"1": RIGHT["1"]})  # did not hand the exercise in
    out = tmp_path_factory.mktemp("out")
    assert grade(root, out) == 0
    return out


def test_the_exercise_has_its_column_and_a_point_per_check(mode_class) -> None:
    rows = read_grades(mode_class)
    assert list(rows["alice"])[:7] == ["learner", "step_1", "step_2", "step_3", "step_4",
                                       "mode", "quiz"]
    assert [rows[name]["mode"] for name in ("alice", "bob", "carol", "dan")] == \
        ["7", "4", "0", "0"]
    assert "04b_choose_the_mode" in rows["dan"]["status"]
    assert "04b_choose_the_mode" not in rows["carol"]["status"]


def _graded(out: Path, learner: str) -> dict:
    return read_results(out)["learners"][learner]["notebooks"][NOTEBOOK]["result"]


@pytest.mark.parametrize("learner, code", [("alice", MODE_RIGHT), ("bob", MODE_WRONG)])
def test_graded_words_are_the_inline_checks_words(mode_class, learner, code) -> None:
    namespace: dict = {}
    exec(code[0], namespace)
    inline = judge("mode", namespace, code, {code[0]: ""})
    assert _graded(mode_class, learner)["checks"] == [c.to_dict() for c in inline.checks]


def test_each_mistake_reaches_the_gradebook_in_words(mode_class) -> None:
    checks = {c["id"]: c for c in _graded(mode_class, "bob")["checks"]}
    assert "they argue for batch, not real time" in checks["mode.daily_email"]["message"]
    assert 'did you mean "hybrid"?' in checks["mode.news_feed"]["message"]
    assert "you can list the cards, not the payments" in checks["mode.card_fraud"]["message"]
    assert checks["mode.monthly_report"]["passed"]
    carol = _graded(mode_class, "carol")
    assert carol["status"] == "not started"


def test_a_class_without_the_exercise_keeps_its_columns(tmp_path) -> None:
    hand_in(tmp_path / "subs", "alice", {"1": RIGHT["1"]})
    assert grade(tmp_path / "subs", tmp_path / "out") == 0
    assert "mode" not in read_grades(tmp_path / "out")["alice"]


def test_the_learner_notebook_is_the_template() -> None:
    cell = next(c for c in learner_notebook("mode").cells
                if "answer" in c.metadata.get("tags", []))
    assert cell.source.startswith("# Replace each ... with one of the words")
    assert cell.source.count("...") == 1 + 5 * 6  # the comment's, then five per scenario
