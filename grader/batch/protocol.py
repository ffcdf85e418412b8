"""The messages between a grading lane and its workers, as typed records.

A lane's harness (`harness.py`) plans a notebook and draws its questions; the worker runs the
cells and sends back one `Reply`: how each cell's run ended and one answer per question. The
reply is written by a process learner code controls, so `Reply.read` takes nothing on trust:
every field has its type and its bound, there is one run per cell and one answer per question
(each answer is read against its own question later, by `snapshot.build_snapshot`), and
anything else is a `ProtocolError`, that learner's `error`.

The questions themselves are records of `grader.questions` (the learner's kernel asks them too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..questions import MAX_ERROR, Question
from ..values import SnapshotError

MAX_OUTPUT = 100_000  # characters of a notebook's printed output kept for the instructor
MAX_NAMES = 50  # modules named as changed by learner code
MAX_NAME = 100


class ProtocolError(SnapshotError):
    """A reply that is not what a worker answers: the learner's doing, never the grader's."""


@dataclass(frozen=True)
class CellRun:
    """How one cell's run ended: "" when it ran cleanly, else its error ("NameError: ...")."""

    error: str = ""


@dataclass(frozen=True)
class Reply:
    """What a worker sends back once, after learner code has run."""

    cells: tuple[CellRun, ...]  # one per cell of the plan, in order
    answers: tuple[Any, ...]  # one JSON answer per question, in order
    tampered: tuple[str, ...] = ()  # grader modules learner code changed (restored since)
    tampered_during: tuple[str, ...] = ()  # ... changed while its answers were being given
    output: str = ""  # what the notebook printed, capped
    dropped: int = 0  # characters of printed output beyond the cap
    problem: str = ""  # why no answers came (the probe could not run), in the worker's words

    def to_data(self) -> dict[str, Any]:
        return {"cells": [{"error": c.error} for c in self.cells], "answers": list(self.answers),
                "tampered": list(self.tampered), "tampered_during": list(self.tampered_during),
                "output": self.output, "dropped": self.dropped, "problem": self.problem}

    @classmethod
    def read(cls, raw: object, cells: int, questions: tuple[Question, ...]) -> Reply:
        """The reply in `raw` (decoded JSON) to a plan of `cells` cells and these questions."""
        if not isinstance(raw, dict):
            raise ProtocolError("the reply is not a record")
        problem = _text(raw, "problem", MAX_ERROR)
        runs = raw.get("cells")
        if not isinstance(runs, list) or len(runs) != cells:
            raise ProtocolError(f"the reply does not tell how each of the {cells} cells ran")
        answers = raw.get("answers")
        wanted = 0 if problem else len(questions)
        if not isinstance(answers, list) or len(answers) != wanted:
            raise ProtocolError(f"the reply does not hold one answer for each of the {wanted} "
                                "questions")
        output = raw.get("output", "")
        dropped = raw.get("dropped", 0)
        if not isinstance(output, str) or type(dropped) is not int or dropped < 0:
            raise ProtocolError("the reply's printed output is malformed")
        return cls(tuple(_cell_run(run) for run in runs), tuple(answers),
                   _names(raw, "tampered"), _names(raw, "tampered_during"),
                   output[:MAX_OUTPUT], dropped + max(0, len(output) - MAX_OUTPUT), problem)


def _text(raw: dict, key: str, limit: int) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or len(value) > limit:
        raise ProtocolError(f"the reply's {key} is not a string of at most {limit} characters")
    return value


def _cell_run(raw: object) -> CellRun:
    if not isinstance(raw, dict):
        raise ProtocolError("a cell's run is not a record")
    return CellRun(_text(raw, "error", MAX_ERROR))


def _names(raw: dict, key: str) -> tuple[str, ...]:
    names = raw.get(key, [])
    if not isinstance(names, list) or len(names) > MAX_NAMES or not all(
            isinstance(n, str) and len(n) <= MAX_NAME for n in names):
        raise ProtocolError(f"the reply's {key} is malformed")
    return tuple(names)
