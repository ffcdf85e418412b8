"""The quiz as a learner uses it: widget or answer(), and the record the grader reads."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from widget_text import css_declarations, css_selectors, shown, visible_text

from churn_course import quiz as quiz_module
from churn_course.quiz import (
    ANSWERS_ENV,
    answer,
    load_bank,
    quiz,
    recorded_answers,
    score_answers,
    session_answers,
    show_quiz,
)

BANK = load_bank()


def pick(q, number: int, letter: str | None):
    view = q.view(number)
    view.options.value = letter
    view.check_button.click()
    return view


def test_right_answer_shows_the_worked_solution_and_mistakes(read_text) -> None:
    q = quiz()
    view = pick(q, 1, "C")
    shown = read_text(view.feedback.value)
    assert shown.startswith("✓ Right! C. Batch prediction processes many inputs at once")
    question = BANK[0]
    for step in question.solution:
        assert step.title in shown and step.text in shown
    for mistake in question.common_mistakes:
        assert mistake in shown
    assert question.final_answer in shown
    assert q.score.value == "Score: 1 / 10 answered right"


def test_a_wrong_pick_gets_a_word_on_that_option_and_a_second_try(read_text) -> None:
    q = quiz()
    view = pick(q, 5, "A")
    shown = read_text(view.feedback.value)
    assert shown.startswith("✗ Not yet. You picked A.")
    assert f"Why not: {BANK[4].option_feedback('A')}" in shown
    assert "Try again: one more pick before the worked solution shows" in shown
    assert "The answer is D." not in shown and "Worked solution" not in shown
    assert view.solution_button.layout.display == ""  # "Show solution" is offered
    assert 'class="quiz-verdict quiz-retry" style="color:#7a3e00' in view.feedback.value
    assert q.score.value == "Score: 0 / 10 answered right"
    pick(q, 5, "B")  # the second wrong try shows the worked solution
    shown = read_text(view.feedback.value)
    assert shown.startswith("✗ Not quite. You picked B.") and "The answer is D." in shown
    assert f"Why not: {BANK[4].option_feedback('B')}" in shown
    assert "Swapping the two" in shown and "Worked solution" in shown
    assert view.solution_button.layout.display == "none"


def test_show_solution_before_the_second_try(read_text) -> None:
    q = quiz()
    view = pick(q, 3, "A")
    assert "Worked solution" not in read_text(view.feedback.value)
    view.solution_button.click()
    shown = read_text(view.feedback.value)
    assert shown.startswith("✗ Not quite. You picked A.") and "The answer is B." in shown
    assert "Worked solution" in shown
    pick(q, 3, "B")
    assert read_text(view.feedback.value).startswith("✓ Right! B.")


def test_every_verdict_has_an_icon_a_word_and_a_colour() -> None:
    q = quiz()
    right, wrong = pick(q, 1, "C"), pick(q, 2, "B")
    assert '<b>✓ Right!</b>' in right.feedback.value and "color:#1b5e20" in right.feedback.value
    assert '<b>✗ Not yet.</b>' in wrong.feedback.value and "color:#7a3e00" in wrong.feedback.value
    pick(q, 2, "C")
    assert '<b>✗ Not quite.</b>' in wrong.feedback.value
    assert "color:#8c1d18" in wrong.feedback.value


def test_check_without_a_choice_asks_for_one(isolated_quiz_record: Path, read_text) -> None:
    q = quiz()
    view = pick(q, 2, None)
    assert read_text(view.feedback.value) == "Pick an option first, then press Check."
    assert q.answers == {}
    assert not (isolated_quiz_record / "quiz_answers.json").exists()


def test_hint_shows_on_request_without_answering() -> None:
    q = quiz()
    view = q.view("q7")
    assert shown(view.hint) == ""
    view.hint_button.click()
    assert shown(view.hint) == f"Hint: {BANK[6].hint}"
    assert view.feedback.value == ""
    assert q.answers == {}


def test_score_runs_as_the_learner_goes() -> None:
    q = quiz()
    pick(q, 1, "C")
    pick(q, 2, "A")
    pick(q, 3, "D")
    assert q.score.value == "Score: 2 / 10 answered right"
    pick(q, 3, "B")
    assert q.score.value == "Score: 3 / 10 answered right"
    pick(q, 1, "A")
    assert q.score.value == "Score: 2 / 10 answered right"
    assert q.answers == {"q1": "A", "q2": "A", "q3": "B"}


def test_widget_answers_are_recorded_beside_the_notebook(isolated_quiz_record: Path) -> None:
    q = quiz()
    pick(q, 1, "B")
    pick(q, 1, "C")
    pick(q, 10, "B")
    data = json.loads((isolated_quiz_record / "quiz_answers.json").read_text("utf-8"))
    assert [(e["question"], e["letter"]) for e in data["answers"]] == [
        ("q1", "B"),
        ("q1", "C"),
        ("q10", "B"),
    ]
    assert recorded_answers() == {"q1": "C", "q10": "B"}
    assert recorded_answers(which="first") == {"q1": "B", "q10": "B"}
    assert session_answers() == {"q1": "C", "q10": "B"}
    assert score_answers(recorded_answers()) == (2, 10)
    assert [p.name for p in isolated_quiz_record.iterdir()] == ["quiz_answers.json"]


def test_answers_file_follows_argument_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_env = tmp_path / "env" / "answers.json"
    monkeypatch.setenv(ANSWERS_ENV, str(from_env))
    answer(2, "A")
    assert recorded_answers() == {"q2": "A"} == recorded_answers(from_env)

    chosen = tmp_path / "chosen.json"
    answer(3, "B", path=chosen)
    pick(quiz(path=chosen), 4, "A")
    assert recorded_answers(chosen) == {"q3": "B", "q4": "A"}
    assert recorded_answers() == {"q2": "A"}
    assert not (tmp_path / "quiz_answers.json").exists()


def test_answer_prints_plain_feedback(capsys: pytest.CaptureFixture[str]) -> None:
    answer(7, "c")
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Question 7 (medium): ✓ Right! C. True False"
    assert "Worked solution:" in lines
    assert "Common mistakes:" in lines
    assert "Score: 1 / 10 answered right" in lines
    answer("q6", " a. ")
    out = capsys.readouterr().out
    assert out.startswith("Question 6 (easy): ✗ Not yet. You picked A.")
    assert f"Why not: {BANK[5].option_feedback('A')}" in out
    assert "The answer is D." not in out and "Try again" in out
    assert "Score: 1 / 10 answered right" in out
    answer("q6", "B")
    out = capsys.readouterr().out
    assert out.startswith("Question 6 (easy): ✗ Not quite. You picked B.")
    assert "The answer is D." in out and "Worked solution:" in out
    assert recorded_answers() == {"q6": "B", "q7": "C"}


@pytest.mark.parametrize(
    ("question", "letter", "words"),
    [
        (0, "A", "There is no question 0. Pick a question number from 1 to 10"),
        (11, "A", "There is no question 11."),
        ("q99", "A", "There is no question 'q99'."),
        (None, "A", "There is no question None."),
        (True, "A", "There is no question True."),
        (1.5, "A", "There is no question 1.5."),
        (1, "E", "'E' is not one of the options of question 1."),
        (1, "", "'' is not one of the options of question 1."),
        (1, 3, "3 is not one of the options of question 1."),
        (1, None, "None is not one of the options of question 1."),
        (1, "AB", "'AB' is not one of the options of question 1."),
    ],
)
def test_answer_with_bad_input_is_kind(
    capsys: pytest.CaptureFixture[str], isolated_quiz_record: Path, question, letter, words
) -> None:
    answer(question, letter)
    out = capsys.readouterr()
    assert out.out.startswith(words), out.out
    assert "Traceback" not in out.out + out.err
    assert session_answers() == {}
    assert not (isolated_quiz_record / "quiz_answers.json").exists()


def test_a_corrupt_answers_file_is_kept_aside_with_a_note(
    isolated_quiz_record: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = isolated_quiz_record / "quiz_answers.json"
    target.write_text("{not json", encoding="utf-8")
    assert recorded_answers() == {}
    answer(1, "C")
    out = capsys.readouterr().out
    assert "Note: quiz_answers.json could not be read" in out
    assert "kept as quiz_answers.json.corrupt" in out
    assert (isolated_quiz_record / "quiz_answers.json.corrupt").read_text() == "{not json"
    assert recorded_answers() == {"q1": "C"}


def test_recorded_answers_skip_what_they_cannot_trust(isolated_quiz_record: Path) -> None:
    entries = [
        {"question": "q1", "letter": "C"},
        {"question": "q11", "letter": "A"},
        {"question": "q2", "letter": "Z"},
        {"question": "q3"},
        "q4:A",
        {"question": "q5", "letter": "D"},
    ]
    data = {"format": "churn-course-quiz-answers", "version": 1, "answers": entries}
    (isolated_quiz_record / "quiz_answers.json").write_text(json.dumps(data), "utf-8")
    assert recorded_answers() == {"q1": "C", "q5": "D"}
    (isolated_quiz_record / "quiz_answers.json").write_text('["q1", "C"]', "utf-8")
    assert recorded_answers() == {}


def test_an_unsavable_answer_still_counts_for_the_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    answer(1, "C", path=blocker / "quiz_answers.json")
    out = capsys.readouterr().out
    assert "Your answer could not be saved to quiz_answers.json" in out
    assert "it counts for this session only" in out
    assert session_answers() == {"q1": "C"}
    assert blocker.read_text(encoding="utf-8") == "a file where a folder should be"


def test_recording_is_atomic(isolated_quiz_record: Path, monkeypatch: pytest.MonkeyPatch):
    answer(1, "C")
    before = (isolated_quiz_record / "quiz_answers.json").read_bytes()

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail)
    answer(2, "A")
    assert (isolated_quiz_record / "quiz_answers.json").read_bytes() == before
    assert [p.name for p in isolated_quiz_record.iterdir()] == ["quiz_answers.json"]


def test_quiz_of_some_questions() -> None:
    q = quiz([1, "q7"])
    assert [view.question.id for view in q.views] == ["q1", "q7"]
    assert q.score.value == "Score: 0 / 2 answered right"
    with pytest.raises(ValueError, match="no question 12"):
        quiz([12])


def test_widgets_carry_the_classes_browser_tests_select_on() -> None:
    q = quiz()
    for view in q.views:
        assert {"quiz-question", f"quiz-{view.question.id}"} <= set(view.box._dom_classes)
        assert "quiz-options" in view.options._dom_classes
        assert "quiz-check" in view.check_button._dom_classes
        assert "quiz-hint" in view.hint_button._dom_classes
        assert "quiz-feedback" in view.feedback._dom_classes
        assert view.options.value is None
        assert [value for _, value in view.options.options] == ["A", "B", "C", "D"]
    assert "quiz-score" in q.score._dom_classes
    code_boxes = [v for v in q.views if any("quiz-code" in c._dom_classes for c in v.box.children)]
    assert [v.question.id for v in code_boxes] == ["q3", "q4", "q7"]


def test_text_fallback_is_plain_and_stable() -> None:
    first, second = quiz(), quiz()
    pick(second, 1, "C")
    texts = {first._repr_mimebundle_()["text/plain"], second._repr_mimebundle_()["text/plain"]}
    assert texts == {repr(first)}
    assert repr(first).startswith("Practice quiz: 10 questions (3 easy, 4 medium, 3 hard).")
    assert "answer(number, letter)" in repr(first)
    bundle = first._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == first.widget.model_id


def test_show_quiz_displays_once(monkeypatch: pytest.MonkeyPatch) -> None:
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    assert show_quiz([2]) is None
    assert len(shown) == 1 and isinstance(shown[0], quiz_module.Quiz)


def _sheet(q):
    sheets = [c for c in q.widget.children if "quiz-style" in c._dom_classes]
    assert len(sheets) == 1
    return sheets[0]


def test_quiz_style_is_hidden_and_scoped_to_the_quiz() -> None:
    sheet = _sheet(quiz())
    assert sheet.layout.display == "none"
    assert visible_text(sheet.value) == ""
    selectors = css_selectors(sheet.value)
    assert selectors and all(s.startswith(".quiz ") for s in selectors), selectors
    # Prompts and feedback get a normal line height instead of ipywidgets' 28 px line.
    for selector in (
        ".quiz .widget-html > .widget-html-content",
        ".quiz .jupyter-widget-html > .jupyter-widget-html-content",
    ):
        assert css_declarations(sheet.value, selector)["line-height"] == "1.45"


def test_code_blocks_stand_apart_from_the_options() -> None:
    q = quiz()
    code = css_declarations(_sheet(q).value, ".quiz .quiz-code pre")
    assert code["background"] == "#f4f5f7"
    assert code["padding"] == "8px 12px"
    assert code["margin"] == "2px 0 10px"
    assert "monospace" in code["font-family"]
    view = q.view("q7")
    code_box = next(c for c in view.box.children if "quiz-code" in c._dom_classes)
    assert code_box.value.startswith("<pre><code>customers = [(101, 0.2)")
    # The code sits between the prompt and the options.
    children = list(view.box.children)
    assert children.index(view.prompt) + 1 == children.index(code_box)
    assert children.index(code_box) + 1 == children.index(view.options)


def test_answers_of_this_session_survive_a_corrupted_file(
    isolated_quiz_record: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answer(1, "C")
    answer(2, "B")
    (isolated_quiz_record / "quiz_answers.json").write_text("{broken", encoding="utf-8")
    answer(3, "B")
    assert "kept as quiz_answers.json.corrupt" in capsys.readouterr().out
    assert recorded_answers() == {"q1": "C", "q2": "B", "q3": "B"}


def test_code_in_the_quizs_words_shows_as_code_and_sentences_end() -> None:
    """Backticks in "Why not", hints and solutions are code, never raw; a picked option that
    ends without a full stop gets one before "The answer is"."""
    from churn_course.quiz_bank import find_question, load_bank
    from churn_course.quiz_feedback import as_html, as_lines

    question = find_question(3, load_bank())
    page = as_html(question, "A", "retry") + as_html(question, "A", "wrong")
    assert "<code>batch_result</code>" in page and "`" not in page.replace("&#x27;", "'")
    wrong = next(line for line in as_lines(question, "D", "wrong") if "The answer is" in line)
    assert "expects a single input. The answer is B." in wrong
