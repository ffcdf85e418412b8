"""The quiz is graded from the answers the learner gave: in the notebook (`answer(...)` cells)
or with the widget, which saves them to `quiz_answers.json` beside the notebook."""

from __future__ import annotations

import json

from .conftest import grade, read_grades, read_results
from .helpers import QUIZ_KEY, hand_in


def _answers_file(answers: dict[str, str]) -> str:
    entries = [{"question": q, "letter": letter, "answered_at": "2026-11-26T10:00:00+00:00"}
               for q, letter in answers.items()]
    return json.dumps({"format": "churn-course-quiz-answers", "version": 1, "answers": entries})


def test_widget_answers_handed_in_beside_the_notebook_are_scored(tmp_path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    folder = hand_in(subs, "wen", {"quiz": []})  # the quiz notebook, answered with the widget
    answers = dict(QUIZ_KEY, q10="A")  # nine right, question 10 wrong
    (folder / "quiz_answers.json").write_text(_answers_file(answers))
    hand_in(subs, "no-file", {"quiz": []})
    assert grade(subs, out) == 0
    rows = read_grades(out)
    assert rows["wen"]["quiz"] == "9" and rows["no-file"]["quiz"] == "0"
    checks = {c["id"]: c for c in read_results(out)["learners"]["wen"]["checks"]}
    assert checks["quiz.q10"]["message"] == "Question 10: A is not right yet. Pick again in " \
        "the quiz: a word on your option and a second try come before the worked solution."
    assert read_results(out)["learners"]["wen"]["ignored_files"] == []

    (folder / "quiz_answers.json").write_text(_answers_file(QUIZ_KEY))  # wen fixes question 10
    assert grade(subs, out) == 0
    assert read_grades(out)["wen"]["quiz"] == "10", "a changed answers file is a new hand-in"


def test_a_worked_solution_seen_is_graded_with_the_same_words(tmp_path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    folder = hand_in(subs, "wen", {"quiz": []})
    record = json.loads(_answers_file(dict(QUIZ_KEY, q10="A")))
    record["answers"].append({"question": "q10", "shown": "solution",
                              "answered_at": "2026-11-26T10:01:00+00:00"})
    (folder / "quiz_answers.json").write_text(json.dumps(record))
    assert grade(subs, out) == 0
    checks = {c["id"]: c for c in read_results(out)["learners"]["wen"]["checks"]}
    assert checks["quiz.q10"]["message"] == (
        "Question 10: A is not right. You have seen the worked solution in the quiz: pick the "
        "option it arrives at to score this question.")
    assert read_grades(out)["wen"]["quiz"] == "9"


def test_a_corrupt_answers_file_scores_zero_without_harm(tmp_path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    folder = hand_in(subs, "kim", {"quiz": [], "2": ["threshold = 0.6"]})
    (folder / "quiz_answers.json").write_text("{broken")
    assert grade(subs, out) == 0
    rows = read_grades(out)
    assert rows["kim"]["quiz"] == "0" and rows["kim"]["step_2"] == "1"
    assert read_results(out)["learners"]["kim"]["notebooks"]["05_practice_quiz.ipynb"][
        "status"] == "ok"


def test_patching_the_quiz_record_inside_the_worker_earns_nothing(tmp_path) -> None:
    forged = repr(dict(QUIZ_KEY))
    attack = ("import churn_course.quiz as q\nimport churn_course.quiz_record as r\n"
              f"q.session_answers = lambda: {forged}\n"
              f"q.recorded_answers = lambda *a, **k: {forged}\n"
              f"r.current_answers = lambda *a, **k: {forged}\n"
              f"r.recorded_answers = lambda *a, **k: {forged}")
    hand_in(tmp_path / "subs", "mallory", {"quiz": [attack]})
    assert grade(tmp_path / "subs", tmp_path / "out") == 0
    assert read_grades(tmp_path / "out")["mallory"]["quiz"] == "0"


def test_answers_saved_beside_a_notebook_in_a_subfolder_are_used(tmp_path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    folder = hand_in(subs / "ana", "quiz", {"quiz": []})  # ana/quiz/05_practice_quiz.ipynb
    (folder / "quiz_answers.json").write_text(_answers_file(QUIZ_KEY))
    hand_in(subs, "bob", {"quiz": []})  # (one learner alone would read as a wrapper folder)
    (subs / "bob" / "elsewhere").mkdir()
    (subs / "bob" / "elsewhere" / "quiz_answers.json").write_text(_answers_file(QUIZ_KEY))
    assert grade(subs, out) == 0
    rows = read_grades(out)
    assert rows["ana"]["quiz"] == "10"
    assert rows["bob"]["quiz"] == "0", "answers count only beside the notebook they belong to"
    assert read_results(out)["learners"]["bob"]["ignored_files"] == [
        "elsewhere/quiz_answers.json: not beside 05_practice_quiz.ipynb, so not used"]
