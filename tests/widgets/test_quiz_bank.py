"""The question bank: ten well-formed questions, as COURSE.md asks."""

from __future__ import annotations

import contextlib
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from churn_course.quiz import BankError, answer_key, load_bank

BANK = load_bank()


def test_ten_questions_three_four_three() -> None:
    assert [q.id for q in BANK] == [f"q{n}" for n in range(1, 11)]
    assert [q.number for q in BANK] == list(range(1, 11))
    assert Counter(q.difficulty for q in BANK) == {"easy": 3, "medium": 4, "hard": 3}


def test_the_page_questions_keep_the_page_answers() -> None:
    page = {"q1": ("easy", "C"), "q2": ("easy", "A"), "q3": ("medium", "B")}
    page |= {"q4": ("medium", "A"), "q5": ("hard", "D")}
    for q in BANK[:5]:
        assert (q.difficulty, q.answer) == page[q.id]
        assert q.source == "page"
    assert {q.difficulty for q in BANK[5:]} == {"easy", "medium", "hard"}
    assert Counter(q.difficulty for q in BANK[5:]) == {"easy": 1, "medium": 2, "hard": 2}


@pytest.mark.parametrize("question", BANK, ids=[q.id for q in BANK])
def test_each_question_is_complete(question) -> None:
    assert question.letters == ("A", "B", "C", "D")
    texts = [text for _, text in question.options]
    assert len(set(texts)) == 4, "options must differ, so exactly one is the answer"
    assert question.answer in question.letters
    assert len(question.solution) >= 2
    assert all(step.title and step.text for step in question.solution)
    assert question.final_answer.endswith(f"-> Option {question.answer}")
    assert question.hint.strip() and question.quick_check.strip()
    assert len(question.common_mistakes) >= 2
    wrong = [letter for letter in question.letters if letter != question.answer]
    assert all(len(question.option_feedback(letter)) > 20 for letter in wrong), \
        "every wrong option gets its own word of feedback"
    assert question.option_feedback(question.answer) == ""


def test_option_lengths_do_not_give_the_answer_away() -> None:
    """Picking the longest option must not be a strategy: the right one is rarely the longest
    and never much longer than the longest wrong one."""
    longest_is_right = 0
    for question in BANK:
        right = len(question.option_text(question.answer))
        wrong = max(len(text) for letter, text in question.options if letter != question.answer)
        assert right <= 1.1 * wrong, (question.id, right, wrong)
        longest_is_right += right > wrong
    assert longest_is_right <= 2, longest_is_right


def test_new_questions_include_code_and_their_own_words() -> None:
    new = BANK[5:]
    assert any(q.code for q in new)
    assert all(q.source == "course" for q in new)
    assert len({q.question for q in BANK}) == 10


def test_answers_are_not_all_the_same_letter() -> None:
    assert len(set(answer_key().values())) == 4


RUNNABLE = [q for q in BANK if q.code and "print(" in q.code and "model." not in q.code]


def test_some_code_question_is_runnable() -> None:
    # The page's code questions use a placeholder `model`; ours can be run and checked.
    assert [q.id for q in RUNNABLE] == ["q7"]


@pytest.mark.parametrize("question", RUNNABLE, ids=[q.id for q in RUNNABLE])
def test_runnable_code_prints_its_answer(question) -> None:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(question.code, {})
    assert printed.getvalue().strip() == question.option_text(question.answer)


def write_bank(tmp_path: Path, change) -> Path:
    data = json.loads(
        (Path(__file__).parents[2] / "churn_course" / "quiz_bank.json").read_text("utf-8")
    )
    change(data["questions"])
    path = tmp_path / "bank.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda qs: qs[0].pop("hint"), "'hint' must be text"),
        (lambda qs: qs[1].update(id="q1"), "question ids must be unique"),
        (lambda qs: qs[2].update(answer="E"), "'answer' must be one of the option letters"),
        (lambda qs: qs[3].update(difficulty="tricky"), "'difficulty'"),
        (lambda qs: qs[4].update(common_mistakes=[]), "'common_mistakes'"),
        (lambda qs: qs[5].update(solution=[]), "'solution' needs steps"),
        (lambda qs: qs[6]["options"].pop("B"), "options must be lettered"),
        (lambda qs: qs[7]["feedback"].pop("B"), "'feedback' needs a word for each wrong option"),
        (lambda qs: qs[8].pop("feedback"), "'feedback' needs a word for each wrong option"),
    ],
)
def test_a_broken_bank_is_refused_with_a_clear_message(tmp_path: Path, change, words) -> None:
    with pytest.raises(BankError, match=words.replace("(", r"\(").replace(")", r"\)")):
        load_bank(write_bank(tmp_path, change))


def test_an_unreadable_bank_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bank.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(BankError, match="cannot read the question bank"):
        load_bank(path)


# The exercise page's own words (seed/exercise-page.txt): its five questions stay as worded.
PAGE_STEMS = {
    "q1": "What is the main difference between batch prediction and real-time serving in "
          "machine learning?",
    "q2": "Which of the following is the correct way to describe real-time serving in a sentence?",
    "q3": "Consider this Python pseudocode for batch prediction and real-time serving. What will "
          "be printed?",
    "q4": "You have this code snippet for real-time serving. What is the error and how to fix it?",
    "q5": "A company wants to predict customer churn. They have 1 million customers and want to "
          "update predictions once a day. They also want to offer instant offers to customers "
          "calling support. Which approach fits best?",
}


def test_the_page_questions_keep_the_page_wording() -> None:
    assert {q.id: q.question for q in BANK[:5]} == PAGE_STEMS


def test_every_wrong_option_has_words_of_its_own() -> None:
    """No feedback copied from one option to another: each says why *that* option is tempting."""
    for question in BANK:
        words = [question.option_feedback(letter) for letter in question.letters
                 if letter != question.answer]
        assert len(set(words)) == len(words), question.id
