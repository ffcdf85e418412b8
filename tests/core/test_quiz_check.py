"""`check("quiz")`: a point per right answer, whether given by widget, `answer()` or the file."""

import json
import os
from pathlib import Path

import pytest

from churn_course import quiz, quiz_record
from grader import check
from grader.checks import max_points


@pytest.fixture(autouse=True)
def _fresh_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quiz_record, "_SESSION", {})
    monkeypatch.setattr(quiz_record, "_SESSION_TRIES", {})
    monkeypatch.setattr(quiz_record, "_SESSION_SHOWN", set())


def test_no_answers_is_not_started() -> None:
    report = check("quiz", namespace={})
    assert report.result.status == "not started"
    assert repr(report).splitlines()[0].startswith("The quiz is not started yet: answer the "
                                                   "questions above")
    assert len(repr(report).splitlines()) == 2  # that line and the progress line
    assert max_points("quiz") == 10


def test_right_and_wrong_answers_score_and_say_so(capsys) -> None:
    key = quiz.answer_key()
    quiz.answer(1, key["q1"])
    wrong = next(letter for letter in "ABCD" if letter != key["q2"])
    quiz.answer(2, wrong)
    report = check("quiz", namespace={})
    assert report.points == 1
    by_id = {c.id: c for c in report.checks}
    assert by_id["quiz.q1"].passed and by_id["quiz.q1"].message == (
        f"Question 1: {key['q1']} is right.")
    assert not by_id["quiz.q2"].passed
    assert f"Question 2: {wrong} is not right yet" in by_id["quiz.q2"].message
    assert key["q2"] not in by_id["quiz.q2"].message.split("yet")[1], "no answer give-away"
    assert by_id["quiz.q2"].hint
    assert by_id["quiz.q3"].message == "Question 3 is not answered yet."
    assert "quiz 1 / 10" in report.progress_line


def test_answers_saved_in_an_earlier_session_count() -> None:
    key = quiz.answer_key()
    entries = [{"question": qid, "letter": letter} for qid, letter in key.items()]
    Path(os.environ["COURSE_QUIZ_ANSWERS"]).write_text(json.dumps(
        {"format": "churn-course-quiz-answers", "version": 1, "answers": entries}))
    report = check("quiz", namespace={})
    assert report.passed and report.points == 10


def test_a_partly_done_quiz_leads_with_the_wrong_answer_and_folds_the_rest() -> None:
    key = quiz.answer_key()
    quiz.answer(1, key["q1"])
    quiz.answer(2, next(letter for letter in "ABCD" if letter != key["q2"]))
    lines = repr(check("quiz", namespace={})).splitlines()
    assert lines[0] == "The quiz: 1 of 10 questions right. Start with the first ✘ below."
    assert lines[1] == "  ✘ Question 2 (easy)"
    assert lines[-3:-1] == ["  · 8 more questions not answered yet: 3, 4, 5, 6, 7, 8, 9, 10",
                            "  ✔ 1 question right"]


SEEN = ("Question 2: {letter} is not right. You have seen the worked solution in the quiz: pick "
        "the option it arrives at to score this question.")


def _wrong(question: str) -> str:
    return next(letter for letter in "ABCD" if letter != quiz.answer_key()[question])


def test_after_the_worked_solution_no_second_try_is_promised() -> None:
    wrong = _wrong("q2")
    quiz.answer(2, wrong)
    said = {c.id: c.message for c in check("quiz", namespace={}).checks}
    assert "a second try come before the worked solution" in said["quiz.q2"]
    quiz.answer(2, wrong)  # the same letter again: the worked solution shows
    said = {c.id: c.message for c in check("quiz", namespace={}).checks}
    assert said["quiz.q2"] == SEEN.format(letter=wrong)


def test_show_solution_pressed_in_the_widget_is_known_to_the_check() -> None:
    widget = quiz.quiz()
    view = widget.view(2)
    view.options.value = _wrong("q2")
    view.check_button.click()
    view.solution_button.click()
    assert "Worked solution" in view.feedback.value
    said = {c.id: c.message for c in check("quiz", namespace={}).checks}
    assert said["quiz.q2"] == SEEN.format(letter=_wrong("q2"))
    # the answers file says so too, for the instructor's grading
    entries = json.loads(Path(os.environ["COURSE_QUIZ_ANSWERS"]).read_text())["answers"]
    assert {"question": "q2", "shown": "solution"}.items() <= entries[-1].items()
    quiz_record._SESSION_SHOWN.clear()
    assert quiz_record.solutions_seen() == {"q2"}
