"""The practice quiz: ten questions, a widget to answer them, and a record the grader can read.

Quizzes in notebooks usually live in JavaScript, where answers never reach Python and so can
never be graded. Here every answer goes through Python (a widget callback or a plain
``answer(1, "C")`` call), is kept in memory for the session and appended to a small JSON file
beside the notebook, so the instructor's grading run can score the quiz with
:func:`recorded_answers` and :func:`score_answers`.

The questions are data (``quiz_bank.json``), not code: fixing a typo or adding a question never
touches this module. The bank, the record and :func:`answer` work without ipywidgets, which is
imported only when a widget is built, so the grader can read answers without paying for it.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from grader.files import write_atomic

if TYPE_CHECKING:
    import ipywidgets

__all__ = [
    "ANSWERS_ENV",
    "DEFAULT_ANSWERS_FILE",
    "BankError",
    "Question",
    "QuestionView",
    "Quiz",
    "SolutionStep",
    "answer",
    "answer_key",
    "answers_path",
    "load_bank",
    "quiz",
    "recorded_answers",
    "score_answers",
    "session_answers",
    "show_quiz",
]

#: Environment variable that moves the answers file (tests, or an instructor's own layout).
ANSWERS_ENV = "COURSE_QUIZ_ANSWERS"
#: The answers file's name, in the kernel's working directory, i.e. beside the notebook.
DEFAULT_ANSWERS_FILE = "quiz_answers.json"
DIFFICULTIES = ("easy", "medium", "hard")

_BANK_PATH = Path(__file__).with_name("quiz_bank.json")
_FILE_FORMAT = "churn-course-quiz-answers"
#: A real answers file is a few kilobytes; anything far bigger is not ours, so don't read it.
_MAX_ANSWERS_BYTES = 2_000_000
_ID_PATTERN = re.compile(r"^q[1-9][0-9]*$")

# Answers given in this kernel, newest letter per question id.
_SESSION: dict[str, str] = {}


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


# --------------------------------------------------------------------------- the bank


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


def _find_question(key: Any, bank: tuple[Question, ...]) -> Question | None:
    """The question a learner meant by 1, "1", "q1" or "Q1"; None if there is no such one."""
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return next((q for q in bank if q.number == key), None)
    if isinstance(key, str):
        text = key.strip().lower()
        if text.isdigit():
            return _find_question(int(text), bank)
        return next((q for q in bank if q.id == text), None)
    return None


def _normalise_letter(letter: Any, question: Question) -> str | None:
    """Accept "c", " C ", "C." or "C)" for C; None for anything that isn't an option."""
    if not isinstance(letter, str):
        return None
    text = letter.strip().rstrip(".)").strip().upper()
    return text if text in question.letters else None


# ------------------------------------------------------------------------- the record


def answers_path(path: str | os.PathLike[str] | None = None) -> Path:
    """Where answers go: ``path``, else $COURSE_QUIZ_ANSWERS, else ./quiz_answers.json.

    The default is relative to the working directory at the time of the answer, which in a
    Jupyter kernel is the notebook's folder: the file travels with the notebook.
    """
    if path is not None:
        return Path(path)
    from_env = os.environ.get(ANSWERS_ENV, "").strip()
    if from_env:
        return Path(from_env)
    return Path.cwd() / DEFAULT_ANSWERS_FILE


def _read_entries(path: Path) -> tuple[list[Any], str | None]:
    """The raw answer entries in ``path`` and, if it could not be used, a note saying why.

    The file is written by learner-side code and read by the instructor's grader, so it is
    treated as untrusted: any shape we don't expect counts as unreadable, never as a crash.
    """
    try:
        if path.stat().st_size > _MAX_ANSWERS_BYTES:
            return [], f"{path.name} is far too large to be an answers file"
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [], None
    except (OSError, ValueError) as error:  # UnicodeDecodeError and JSONDecodeError too
        return [], f"{path.name} could not be read ({type(error).__name__})"
    if not (
        isinstance(data, dict)
        and data.get("format") == _FILE_FORMAT
        and isinstance(data.get("answers"), list)
    ):
        return [], f"{path.name} is not a quiz answers file"
    return data["answers"], None


def _record(question: Question, letter: str, path: str | os.PathLike[str] | None) -> list[str]:
    """Keep one answer in memory and append it to the answers file; return notes for the learner.

    Saving can fail (a read-only folder, say); the answer then still counts for this session
    and the learner is told, rather than losing the quiz to an ``OSError``.
    """
    _SESSION[question.id] = letter
    target = answers_path(path)
    notes: list[str] = []
    entries, problem = _read_entries(target)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if problem and target.is_file():
        kept = target.with_name(target.name + ".corrupt")
        try:
            os.replace(target, kept)
            notes.append(f"Note: {problem}; it was kept as {kept.name} and a new one started.")
        except OSError:
            notes.append(f"Note: {problem}; a new one was started.")
        # The new file starts with this session's answers, so none of them is lost for grading.
        entries = [{"question": qid, "letter": given, "answered_at": now}
                   for qid, given in _SESSION.items() if qid != question.id]
    entries.append({"question": question.id, "letter": letter, "answered_at": now})
    try:
        record = {"format": _FILE_FORMAT, "version": 1, "answers": entries}
        write_atomic(target, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    except OSError as error:
        notes.append(
            f"Your answer could not be saved to {target.name} ({error.strerror or error}); "
            "it counts for this session only."
        )
    return notes


def recorded_answers(
    path: str | os.PathLike[str] | None = None,
    *,
    which: Literal["latest", "first"] = "latest",
) -> dict[str, str]:
    """Each question's recorded answer letter, read from the answers file.

    ``which="latest"`` gives the answer the learner settled on; ``which="first"`` gives
    their first try, which is the fairer thing to grade, since checking an answer shows the
    worked solution. Entries for unknown questions or letters are skipped; an unreadable
    file reads as no answers.
    """
    if which not in ("latest", "first"):
        raise ValueError(f"which must be 'latest' or 'first', not {which!r}")
    entries, _problem = _read_entries(answers_path(path))
    letters = {q.id: q.letters for q in load_bank()}
    found: dict[str, str] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        qid, letter = entry.get("question"), entry.get("letter")
        if not (isinstance(qid, str) and qid in letters and letter in letters[qid]):
            continue
        if which == "latest" or qid not in found:
            found[qid] = letter
    order = {qid: position for position, qid in enumerate(letters)}
    return dict(sorted(found.items(), key=lambda item: order[item[0]]))


def score_answers(
    answers: Mapping[str, str], bank: Iterable[Question] | None = None
) -> tuple[int, int]:
    """(right, total) for answers keyed by question id, such as :func:`recorded_answers` gives."""
    key = answer_key(bank)
    right = sum(1 for qid, letter in answers.items() if key.get(qid) == letter)
    return right, len(key)


def session_answers() -> dict[str, str]:
    """The answers given in this kernel so far (newest letter per question id)."""
    return dict(_SESSION)


def _score_line(answers: Mapping[str, str], bank: tuple[Question, ...]) -> str:
    right, total = score_answers(answers, bank)
    return f"Score: {right} / {total} answered right"


# ------------------------------------------------------------------- plain-text answer


def _feedback_text(question: Question, letter: str) -> list[str]:
    """The feedback in plain lines; the widget shows the same words as HTML."""
    header = f"Question {question.number} ({question.difficulty}): "
    if question.is_right(letter):
        verdict = f"✓ Right! {letter}. {question.option_text(letter)}"
    else:
        verdict = (
            f"✗ Not quite. You picked {letter}. {question.option_text(letter)} "
            f"The answer is {question.answer}."
        )
    lines = [header + verdict, "Worked solution:"]
    for number, step in enumerate(question.solution, start=1):
        lines.append(f"  Step {number}: {step.title}. {step.text}")
    lines.append(f"Final answer: {question.final_answer}")
    lines.append(f"Quick check: {question.quick_check}")
    lines.append("Common mistakes:")
    lines.extend(f"  - {mistake}" for mistake in question.common_mistakes)
    return lines


def answer(question: int | str, letter: str, *, path: str | os.PathLike[str] | None = None) -> None:
    """Answer one question without widgets, e.g. ``answer(1, "C")``, and print the feedback.

    For front ends where widgets don't show (and for anyone who prefers typing). Bad input
    gets a kind sentence, never a traceback: a quiz should not punish a typo.
    """
    bank = load_bank()
    found = _find_question(question, bank)
    if found is None:
        print(
            f"There is no question {question!r}. Pick a question number from 1 to "
            f"{len(bank)}, then a letter, e.g. answer(1, 'B') picks option B of question 1."
        )
        return
    chosen = _normalise_letter(letter, found)
    if chosen is None:
        choices = ", ".join(found.letters[:-1]) + f" or {found.letters[-1]}"

        print(
            f"{letter!r} is not one of the options of question {found.number}. Answer with "
            f"one letter in quotes: {choices}."
        )
        return
    notes = _record(found, chosen, path)
    lines = [*_feedback_text(found, chosen), _score_line(_SESSION, bank), *notes]
    print("\n".join(lines))


# ----------------------------------------------------------------------- the widget


def _widgets() -> Any:
    import ipywidgets  # only here, so reading answers never needs it

    return ipywidgets


def _feedback_html(question: Question, letter: str) -> str:
    esc = html.escape
    if question.is_right(letter):
        verdict = (
            '<p class="quiz-verdict quiz-right"><b>✓ Right!</b> '
            f"{esc(letter)}. {esc(question.option_text(letter))}</p>"
        )
    else:
        verdict = (
            '<p class="quiz-verdict quiz-wrong"><b>✗ Not quite.</b> You picked '
            f"{esc(letter)}. {esc(question.option_text(letter))} "
            f"The answer is {esc(question.answer)}.</p>"
        )
    steps = "".join(
        f"<li><b>{esc(step.title)}.</b> {esc(step.text)}</li>" for step in question.solution
    )
    mistakes = "".join(f"<li>{esc(m)}</li>" for m in question.common_mistakes)
    return (
        f"{verdict}<p><b>Worked solution</b></p><ol>{steps}</ol>"
        f"<p><b>Final answer:</b> {esc(question.final_answer)}</p>"
        f"<p><b>Quick check:</b> {esc(question.quick_check)}</p>"
        f"<p><b>Common mistakes</b></p><ul>{mistakes}</ul>"
    )


# The quiz's own look, scoped to its classes so nothing else on the page changes.
# ipywidgets gives radio labels and HTML widgets one fixed 28 px line (to line up with
# inputs): a long option would spill over the next one and a two-line prompt looks
# double-spaced, so both get a normal line height. Code gets a block of its own.
_QUIZ_CSS = """
.quiz .quiz-options label {
  display: flex; align-items: flex-start;
  height: auto !important; line-height: 1.4 !important; padding: 2px 0;
}
.quiz .quiz-options label input { float: none; flex: none; order: -1; margin-top: 2px; }
.quiz .widget-html > .widget-html-content,
.quiz .jupyter-widget-html > .jupyter-widget-html-content {
  line-height: 1.45;
}
.quiz .quiz-question p { margin: 0 0 6px; }
.quiz .quiz-question ol, .quiz .quiz-question ul { margin: 2px 0 8px; padding-left: 24px; }
.quiz .quiz-code pre {
  background: #f4f5f7; border: 1px solid #e1e4e8; border-radius: 4px;
  padding: 8px 12px; margin: 2px 0 10px; overflow-x: auto;
  font-family: var(--jp-code-font-family, monospace); font-size: 12px; line-height: 1.4;
}
.quiz .quiz-code pre code { font-family: inherit; background: none; padding: 0; }
"""


class QuestionView:
    """The widgets of one question; attributes so tests can pick, click and read them."""

    def __init__(self, question: Question) -> None:
        w = _widgets()
        esc = html.escape
        self.question = question
        self.prompt = w.HTML(
            f"<p><b>Question {question.number}</b> <i>({esc(question.difficulty)})</i><br>"
            f"{esc(question.question)}</p>"
        ).add_class("quiz-prompt")
        parts: list[ipywidgets.Widget] = [self.prompt]
        if question.code:
            parts.append(w.HTML(f"<pre><code>{esc(question.code)}</code></pre>"))
            parts[-1].add_class("quiz-code")
        self.options = w.RadioButtons(
            options=[(f"{letter}. {text}", letter) for letter, text in question.options],
            value=None,
            layout=w.Layout(width="auto"),
        ).add_class("quiz-options")
        self.check_button = w.Button(description="Check", button_style="primary")
        self.check_button.add_class("quiz-check")
        self.hint_button = w.Button(description="Hint")
        self.hint_button.add_class("quiz-hint")
        # HTML, not Label: a Label cuts long text with "...", and a hint must be read whole.
        self.hint = w.HTML(value="").add_class("quiz-hint-text")
        self.feedback = w.HTML(value="").add_class("quiz-feedback")
        parts += [
            self.options,
            w.HBox([self.check_button, self.hint_button]),
            self.hint,
            self.feedback,
        ]
        self.box = w.VBox(parts, layout=w.Layout(margin="0 0 16px 0"))
        self.box.add_class("quiz-question")
        self.box.add_class(f"quiz-{question.id}")


class Quiz:
    """The quiz widget: one box per question, and a running score.

    ``answers`` holds this widget's latest letter per question id; every checked answer is
    also recorded to the answers file (see :func:`answers_path`).
    """

    def __init__(
        self,
        questions: Iterable[int | str] | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
    ) -> None:
        w = _widgets()
        bank = load_bank()
        if questions is None:
            chosen = list(bank)
        else:
            chosen = []
            for key in questions:
                found = _find_question(key, bank)
                if found is None:
                    raise ValueError(f"no question {key!r} in the bank (1..{len(bank)})")
                chosen.append(found)
        self.questions: tuple[Question, ...] = tuple(chosen)
        self.path = path
        self.answers: dict[str, str] = {}
        self.views = [QuestionView(q) for q in self.questions]
        for view in self.views:
            view.check_button.on_click(lambda _button, view=view: self._on_check(view))
            view.hint_button.on_click(lambda _button, view=view: self._on_hint(view))
        self.score = w.Label(value=self._score_text()).add_class("quiz-score")
        # Hidden box, live sheet: display: none hides the widget, and a <style> applies anyway.
        style = w.HTML(f"<style>{_QUIZ_CSS}</style>", layout=w.Layout(display="none"))
        style.add_class("quiz-style")
        self.widget = w.VBox([style, *[view.box for view in self.views], self.score])
        self.widget.add_class("quiz")

    def view(self, key: int | str) -> QuestionView:
        """The view of question 1, "1" or "q1": the handle tests use to drive one question."""
        found = _find_question(key, self.questions)
        if found is None:
            raise KeyError(key)
        return self.views[self.questions.index(found)]

    def _score_text(self) -> str:
        return _score_line(self.answers, self.questions)

    def _on_check(self, view: QuestionView) -> None:
        letter = view.options.value
        if letter is None:
            view.feedback.value = "<p>Pick an option first, then press Check.</p>"
            return
        self.answers[view.question.id] = letter
        notes = _record(view.question, letter, self.path)
        view.feedback.value = _feedback_html(view.question, letter) + "".join(
            f"<p><i>{html.escape(note)}</i></p>" for note in notes
        )
        self.score.value = self._score_text()

    def _on_hint(self, view: QuestionView) -> None:
        view.hint.value = f"<b>Hint:</b> {html.escape(view.question.hint)}"

    def text_fallback(self) -> str:
        """What shows where widgets can't: the same every run, so nbval can compare it."""
        counts = {d: sum(q.difficulty == d for q in self.questions) for d in DIFFICULTIES}
        spread = ", ".join(f"{n} {d}" for d, n in counts.items() if n)
        noun = "question" if len(self.questions) == 1 else "questions"
        return (
            f"Practice quiz: {len(self.questions)} {noun} ({spread}). "
            "Where widgets don't show, answer in code: answer(number, letter), "
            "e.g. answer(1, 'B') picks option B of question 1."
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = self.text_fallback()
        return bundle

    def __repr__(self) -> str:
        return self.text_fallback()


def quiz(
    questions: Iterable[int | str] | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
) -> Quiz:
    """Build the quiz widget: all ten questions, or the ones named (``quiz([1, "q7"])``)."""
    return Quiz(questions, path=path)


def show_quiz(
    questions: Iterable[int | str] | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
) -> None:
    """Display the quiz now.

    Returns None on purpose: as a cell's last line it would otherwise show twice.
    """
    from IPython.display import display

    display(quiz(questions, path=path))
