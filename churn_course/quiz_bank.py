"""The quiz's questions: the bank in `quiz_bank.json`, read and checked once.

The questions are data, not code: fixing a typo or adding a question never touches code. Each
question carries its options, its answer, a worked solution, a hint, common mistakes and a word
of feedback for every wrong option. A broken bank fails once, loudly, for the person who edited
it (`BankError` names the file, question and field).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DIFFICULTIES = ("easy", "medium", "hard")

_BANK_PATH = Path(__file__).with_name("quiz_bank.json")
_ID_PATTERN = re.compile(r"^q[1-9][0-9]*$")

class BankError(ValueError):
    """The question bank is malformed; the message names the file, question and field."""


@dataclass(frozen=True)
class SolutionStep:
    """One step of a worked solution, shown as "Step N: title. text"."""

    title: str
    text: str


@dataclass(frozen=True)
class Question:
    """One quiz question, exactly as the bank gives it."""

    id: str
    number: int
    difficulty: str
    question: str
    options: tuple[tuple[str, str], ...]
    answer: str
    solution: tuple[SolutionStep, ...]
    final_answer: str
    quick_check: str
    hint: str
    common_mistakes: tuple[str, ...]
    feedback: tuple[tuple[str, str], ...] = ()  # a word for each wrong option: why not
    code: str | None = None
    source: str = "course"

    @property
    def letters(self) -> tuple[str, ...]:
        """The option letters, in order ("A", "B", "C", "D")."""
        return tuple(letter for letter, _ in self.options)

    def option_text(self, letter: str) -> str:
        """The words of one option."""
        return dict(self.options)[letter]

    def is_right(self, letter: str) -> bool:
        """Whether ``letter`` is this question's answer."""
        return letter == self.answer

    def option_feedback(self, letter: str) -> str:
        """Why a wrong option is wrong, in the words of the bank ("" for the right one)."""
        return dict(self.feedback).get(letter, "")


def _require(condition: bool, where: str, problem: str) -> None:
    if not condition:
        raise BankError(f"{where}: {problem}")


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    _require(isinstance(value, str) and value.strip() != "", where, f"'{key}' must be text")
    return value


def _parse_question(raw: Any, position: int, where: str) -> Question:
    _require(isinstance(raw, dict), where, "each question must be an object")
    qid = raw.get("id")
    _require(isinstance(qid, str) and bool(_ID_PATTERN.match(qid)), where, "'id' like 'q1'")
    where = f"{where} ({qid})"
    _require(raw.get("number") == position, where, f"'number' must be {position}")
    _require(raw.get("difficulty") in DIFFICULTIES, where, f"'difficulty' one of {DIFFICULTIES}")
    options = raw.get("options")
    _require(isinstance(options, dict) and len(options) >= 2, where, "'options' needs 2 or more")
    expected_letters = [chr(ord("A") + i) for i in range(len(options))]
    _require(list(options) == expected_letters, where, "options must be lettered A, B, C, ...")
    for letter in expected_letters:
        _text(options, letter, f"{where} option")
    _require(raw.get("answer") in options, where, "'answer' must be one of the option letters")
    steps = raw.get("solution")
    _require(isinstance(steps, list) and len(steps) > 0, where, "'solution' needs steps")
    solution: list[SolutionStep] = []
    for step in steps:
        _require(isinstance(step, dict), where, "each solution step is {title, text}")
        solution.append(SolutionStep(_text(step, "title", where), _text(step, "text", where)))
    mistakes = raw.get("common_mistakes")
    _require(
        isinstance(mistakes, list)
        and len(mistakes) > 0
        and all(isinstance(m, str) and m.strip() for m in mistakes),
        where,
        "'common_mistakes' must be a non-empty list of text",
    )
    code = raw.get("code")
    _require(code is None or (isinstance(code, str) and code.strip()), where, "'code' is text")
    feedback = raw.get("feedback")
    wrong = [letter for letter in expected_letters if letter != raw["answer"]]
    _require(isinstance(feedback, dict) and sorted(feedback) == wrong, where,
             f"'feedback' needs a word for each wrong option ({', '.join(wrong)})")
    for letter in wrong:
        _text(feedback, letter, f"{where} feedback")
    return Question(
        id=qid,
        number=position,
        difficulty=raw["difficulty"],
        question=_text(raw, "question", where),
        options=tuple((letter, options[letter]) for letter in expected_letters),
        answer=raw["answer"],
        solution=tuple(solution),
        final_answer=_text(raw, "final_answer", where),
        quick_check=_text(raw, "quick_check", where),
        hint=_text(raw, "hint", where),
        common_mistakes=tuple(mistakes),
        feedback=tuple((letter, feedback[letter]) for letter in wrong),
        code=code,
        source=str(raw.get("source", "course")),
    )


def load_bank(path: str | os.PathLike[str] | None = None) -> tuple[Question, ...]:
    """Read and check a question bank (the course's own by default).

    Checked on load so a broken bank fails once, loudly, for the person who edited it,
    instead of half-rendering for every learner.
    """
    if path is None:
        return _default_bank()
    return _load_bank_file(Path(path))


@lru_cache(maxsize=1)
def _default_bank() -> tuple[Question, ...]:
    return _load_bank_file(_BANK_PATH)


def _load_bank_file(path: Path) -> tuple[Question, ...]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BankError(f"{path}: cannot read the question bank ({error})") from None
    _require(isinstance(data, dict), str(path), "the bank must be a JSON object")
    raw_questions = data.get("questions")
    _require(isinstance(raw_questions, list) and raw_questions, str(path), "no 'questions'")
    questions = tuple(
        _parse_question(raw, position, f"{path}: question {position}")
        for position, raw in enumerate(raw_questions, start=1)
    )
    ids = [q.id for q in questions]
    _require(len(set(ids)) == len(ids), str(path), "question ids must be unique")
    return questions


def answer_key(bank: Iterable[Question] | None = None) -> dict[str, str]:
    """Each question id with its right letter: what an instructor's grading compares to."""
    return {q.id: q.answer for q in (load_bank() if bank is None else bank)}


def find_question(key: Any, bank: tuple[Question, ...]) -> Question | None:
    """The question a learner meant by 1, "1", "q1" or "Q1"; None if there is no such one."""
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return next((q for q in bank if q.number == key), None)
    if isinstance(key, str):
        text = key.strip().lower()
        if text.isdigit():
            return find_question(int(text), bank)
        return next((q for q in bank if q.id == text), None)
    return None


def normalise_letter(letter: Any, question: Question) -> str | None:
    """Accept "c", " C ", "C." or "C)" for C; None for anything that isn't an option."""
    if not isinstance(letter, str):
        return None
    text = letter.strip().rstrip(".)").strip().upper()
    return text if text in question.letters else None
