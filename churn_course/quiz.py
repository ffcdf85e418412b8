"""The practice quiz, as a notebook uses it: ``show_quiz()``, ``answer(1, "C")``, and the
record the grader reads.

Quizzes in notebooks usually live in JavaScript, where answers never reach Python and so can
never be graded. Here every answer goes through Python and into one record (``quiz_record``),
which the widget, :func:`answer` and ``check("quiz")`` all score, so a learner sees one score
everywhere. The parts live in their own modules: the questions (``quiz_bank``), the record
(``quiz_record``), the words after a pick (``quiz_feedback``) and the widget (``quiz_widget``,
the only one that imports ipywidgets). This module is the learner's and instructor's entry
point and re-exports what they use.
"""

from __future__ import annotations

import os

from .quiz_bank import (
    DIFFICULTIES,
    BankError,
    Question,
    SolutionStep,
    answer_key,
    find_question,
    load_bank,
    normalise_letter,
)
from .quiz_feedback import as_lines, state_of
from .quiz_record import (
    _SESSION,
    ANSWERS_ENV,
    DEFAULT_ANSWERS_FILE,
    answers_path,
    attempts,
    current_answers,
    record_answer,
    recorded_answers,
    score_answers,
    score_line,
    session_answers,
)
from .quiz_widget import QuestionView, Quiz, quiz, show_quiz

__all__ = [
    "ANSWERS_ENV",
    "DEFAULT_ANSWERS_FILE",
    "DIFFICULTIES",
    "BankError",
    "Question",
    "QuestionView",
    "Quiz",
    "SolutionStep",
    "_SESSION",
    "answer",
    "answer_key",
    "answers_path",
    "attempts",
    "current_answers",
    "load_bank",
    "quiz",
    "recorded_answers",
    "score_answers",
    "session_answers",
    "show_quiz",
]


def answer(question: int | str, letter: str, *, path: str | os.PathLike[str] | None = None) -> None:
    """Answer one question without widgets, e.g. ``answer(1, "C")``, and print the feedback.

    For front ends where widgets don't show (and for anyone who prefers typing). Bad input
    gets a kind sentence, never a traceback: a quiz should not punish a typo. The feedback is
    the widget's: a wrong pick gets a word on that option and a second try, then the worked
    solution; the score line is the one the widget and ``check("quiz")`` show.
    """
    bank = load_bank()
    found = find_question(question, bank)
    if found is None:
        print(
            f"There is no question {question!r}. Pick a question number from 1 to "
            f"{len(bank)}, then a letter, e.g. answer(1, 'B') picks option B of question 1."
        )
        return
    chosen = normalise_letter(letter, found)
    if chosen is None:
        choices = ", ".join(found.letters[:-1]) + f" or {found.letters[-1]}"

        print(
            f"{letter!r} is not one of the options of question {found.number}. Answer with "
            f"one letter in quotes: {choices}."
        )
        return
    notes = record_answer(found, chosen, path)
    tries = attempts(path).get(found.id, [chosen])
    lines = [*as_lines(found, chosen, state_of(found, tries)),
             score_line(current_answers(path), bank), *notes]
    print("\n".join(lines))
