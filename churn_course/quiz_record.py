"""The quiz's record: every answer a learner gives, kept for the session and in a small JSON
file beside the notebook, so the widget, `answer()`, `check("quiz")` and the instructor's
grading all read one truth.

Every answer goes through Python (a widget callback or a plain ``answer(1, "C")`` call), is kept
in memory for the session and appended to the answers file. The current answers are the file's
latest per question with this session's over them (:func:`current_answers`); the full history
per question (:func:`attempts`) says how many tries a learner had, so a re-run widget shows each
question as it was left. Live widgets are told of every answer, so their score never lags.
"""

from __future__ import annotations

import json
import os
import weakref
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from grader.files import write_atomic

from .quiz_bank import Question, answer_key, load_bank

#: Environment variable that moves the answers file (tests, or an instructor's own layout).
ANSWERS_ENV = "COURSE_QUIZ_ANSWERS"
#: The answers file's name, in the kernel's working directory, i.e. beside the notebook.
DEFAULT_ANSWERS_FILE = "quiz_answers.json"

_FILE_FORMAT = "churn-course-quiz-answers"
#: A real answers file is a few kilobytes; anything far bigger is not ours, so don't read it.
_MAX_ANSWERS_BYTES = 2_000_000

# Answers given in this kernel, newest letter per question id.
_SESSION: dict[str, str] = {}
# Every try of this kernel, per question id, oldest first (the file may not be writable).
_SESSION_TRIES: dict[str, list[str]] = {}
# Questions whose worked solution the learner asked to see in this kernel.
_SESSION_SHOWN: set[str] = set()
# Callbacks of live widgets, told (question id) whenever an answer is recorded.
_LISTENERS: weakref.WeakSet[Any] = weakref.WeakSet()

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


def record_answer(question: Question, letter: str,
                  path: str | os.PathLike[str] | None = None) -> list[str]:
    """Keep one answer in memory and append it to the answers file; return notes for the learner.

    Saving can fail (a read-only folder, say); the answer then still counts for this session
    and the learner is told, rather than losing the quiz to an ``OSError``. Live widgets are
    told afterwards, so every score on screen is the same.
    """
    _SESSION[question.id] = letter
    _SESSION_TRIES.setdefault(question.id, []).append(letter)
    try:
        return _save({"question": question.id, "letter": letter}, path)
    finally:
        for listener in list(_LISTENERS):
            listener.answered(question.id)


def record_solution_shown(question: Question,
                          path: str | os.PathLike[str] | None = None) -> list[str]:
    """Remember that the learner asked for the worked solution (Show solution), in memory and
    in the answers file, so the quiz's check and the instructor's grading know it was seen;
    return notes for the learner (as `record_answer`)."""
    _SESSION_SHOWN.add(question.id)
    return _save({"question": question.id, "shown": "solution"}, path)


def solutions_seen(path: str | os.PathLike[str] | None = None) -> set[str]:
    """The questions whose worked solution the learner has seen: asked for (Show solution),
    or shown after wrong tries (see `quiz_feedback.state_of`)."""
    from .quiz_feedback import TRIES_BEFORE_SOLUTION

    entries, _problem = _read_entries(answers_path(path))
    seen = set(_SESSION_SHOWN) | {e["question"] for e in entries if isinstance(e, dict)
                                  and e.get("shown") == "solution"
                                  and isinstance(e.get("question"), str)}
    key = answer_key()
    for qid, tries in attempts(path).items():
        if sum(letter != key.get(qid) for letter in tries) >= TRIES_BEFORE_SOLUTION:
            seen.add(qid)
    return {qid for qid in seen if qid in key}


def on_answer(listener: Any) -> None:
    """Tell `listener.answered(question_id)` of every answer while the listener lives."""
    _LISTENERS.add(listener)


def _save(entry: dict[str, str], path: str | os.PathLike[str] | None) -> list[str]:
    """Append `entry` (an answer, or a worked solution shown) to the answers file."""
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
                   for qid, given in _SESSION.items()
                   if "letter" not in entry or qid != entry["question"]]
    entries.append({**entry, "answered_at": now})
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


def attempts(path: str | os.PathLike[str] | None = None) -> dict[str, list[str]]:
    """Every try per question id, oldest first: the file's, or this session's where the file
    holds fewer (it could not be written)."""
    entries, _problem = _read_entries(answers_path(path))
    letters = {q.id: q.letters for q in load_bank()}
    tries: dict[str, list[str]] = {}
    for entry in entries:
        if isinstance(entry, dict):
            qid, letter = entry.get("question"), entry.get("letter")
            if isinstance(qid, str) and qid in letters and letter in letters[qid]:
                tries.setdefault(qid, []).append(letter)
    for qid, mine in _SESSION_TRIES.items():
        if len(mine) > len(tries.get(qid, [])):
            tries[qid] = list(mine)
    return tries


def current_answers(path: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """The one truth of the quiz: the latest answer per question id, from the answers file
    with this session's answers over it. The widget, `answer()` and `check("quiz")` all score
    these."""
    return {**recorded_answers(path), **_SESSION}


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


def score_line(answers: Mapping[str, str], bank: Iterable[Question]) -> str:
    """The score as every part of the quiz shows it."""
    right, total = score_answers(answers, bank)
    return f"Score: {right} / {total} answered right"
