"""`grade --notebooks/--part/--quiz`: what counts this week is the instructor's choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.batch.selection import SelectionError, select
from grader.spec import ALL_STEPS, MODE, PART1, PART2, QUIZ

from .conftest import grade, read_grades, read_results
from .helpers import RIGHT, hand_in


def test_the_choice_is_parsed_as_an_instructor_writes_it() -> None:
    assert select() == select(quiz=True)  # the default counts the quiz already
    assert select().steps == ALL_STEPS and select().said == ""
    assert select("01,2").steps == PART1[:2]
    assert select("01_customer_data.ipynb, 05").steps == (PART1[0], QUIZ)
    assert select(parts=["1"]).steps == PART1
    assert select(parts=["1"], quiz=True).steps == (*PART1, QUIZ) == select("1,2,3,4,5").steps
    assert select(parts=["2"]).steps == PART2 and select(parts=["2"]).exact
    assert select("06").steps == PART2
    assert select("04").steps == PART1[3:] and select("04b").steps == (MODE,)
    no_quiz = select(quiz=False)
    assert QUIZ not in no_quiz.steps and not no_quiz.exact, "Part 2 still waits for a hand-in"
    assert select("01,02", quiz=True).said == "--notebooks 01,02 --quiz"


@pytest.mark.parametrize("notebooks, parts, quiz, words", [
    ("07", None, None, "--notebooks: there is no notebook '07'; choose among 01, 02, 03, 04, "
                       "04b, 05, 06"),
    (" , ", None, None, "--notebooks: name at least one notebook"),
    (None, ["3"], None, "--part: the course has parts 1 and 2, not '3'"),
    ("05", None, False, "nothing left to grade"),
])
def test_a_choice_the_course_cant_meet_is_one_line(notebooks, parts, quiz, words) -> None:
    with pytest.raises(SelectionError, match="^" + words.replace("(", r"\(")
                       .replace(")", r"\)")):
        select(notebooks, parts, quiz)


def test_only_the_chosen_notebooks_are_graded_totalled_and_listed(tmp_path: Path) -> None:
    submissions = tmp_path / "submissions"
    hand_in(submissions, "ana", {"1": RIGHT["1"], "2": RIGHT["2"], "3": RIGHT["3"]})
    hand_in(submissions, "ben", {"1": RIGHT["1"]})
    out = tmp_path / "week1"
    assert grade(submissions, out, "--notebooks", "01,02") == 0
    rows = read_grades(out)
    assert list(rows["ana"]) == ["learner", "step_1", "step_2", "total", "max_total", "status",
                                 "late", "name"]
    assert (rows["ana"]["total"], rows["ana"]["max_total"], rows["ana"]["status"]) == \
        ("3", "3", "ok")
    assert rows["ben"]["status"] == "missing: 02_prediction_threshold"  # not 03, 04 or the quiz
    results = read_results(out)
    assert results["counts"] == {"steps": ["1", "2"], "chosen": "--notebooks 01,02",
                                 "notebooks": ["01_customer_data.ipynb",
                                               "02_prediction_threshold.ipynb"]}
    assert set(results["learners"]["ana"]["notebooks"]) == {
        "01_customer_data.ipynb", "02_prediction_threshold.ipynb"}
    page = (out / "class.html").read_text(encoding="utf-8")
    assert "chosen with <code>--notebooks 01,02</code>" in page
    assert "Quiz: item analysis" not in page
    # the same class, everything counted: step 3 and the quiz come back (nobody's quiz yet)
    assert grade(submissions, out) == 0
    assert "No quiz was graded" in (out / "class.html").read_text(encoding="utf-8")
    rows = read_grades(out)
    assert rows["ana"]["max_total"] == "21" and "quiz" in rows["ana"]
    assert read_results(out)["counts"]["chosen"] is None


def test_part_2_named_counts_even_when_nobody_handed_it_in(tmp_path: Path) -> None:
    submissions = tmp_path / "submissions"
    hand_in(submissions, "ana", {"1": RIGHT["1"]})
    out = tmp_path / "graded"
    assert grade(submissions, out, "--part", "2") == 0
    row = read_grades(out)["ana"]
    assert [k for k in row if k.startswith("step_")] == ["step_5", "step_6", "step_7",
                                                         "step_8"]
    assert row["status"] == "missing: 06_measure_it" and row["total"] == "0"


def test_a_bad_choice_stops_before_anything_is_written(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "graded"
    assert grade(tmp_path, out, "--notebooks", "9") == 2
    assert capsys.readouterr().err.startswith("grader grade: --notebooks: there is no notebook")
    assert not out.exists()
