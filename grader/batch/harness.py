"""The trusted harness: it asks, and learner code only answers.

A grading worker runs a learner's cells and answers questions; it never builds a snapshot. For
each notebook a lane grades, the harness here draws the questions afresh (`ask`: the course's
own, then calls of `predict` on inputs drawn for this run), and when the worker's reply comes
back it judges it (`judge`): the reply is read against the plan (one run per cell, one answer
per question, every field bounded: `protocol.Reply.read`), each answer against its question,
and the snapshot is assembled here, with the sources the lane read from the notebook's own
bytes (a reply carries none). So a forged reply has to compute what right code computes on
inputs it could not know in advance, and every judgement about the code's shape reads what the
learner handed in. Whatever is wrong with a reply is that learner's `error`, never the
grader's.
"""

from __future__ import annotations

import dataclasses
import random
import secrets
from collections.abc import Sequence

from ..checks import evaluate
from ..questions import draw
from ..results import StepResult
from ..snapshot import Snapshot, build_snapshots
from ..sources import Run
from ..spec import Step, unit
from ..values import SnapshotError
from .notebook import Plan
from .protocol import ProtocolError, Reply
from .verdicts import NotebookGrade, failed

MAX_CELL_ERRORS = 20  # cell errors kept in a verdict


def ask(plan: Plan, rng: random.Random | None = None) -> Plan:
    """`plan` with its questions, drawn for this run (from `rng`, else from the system's
    randomness: no two runs ask the same)."""
    rng = rng if rng is not None else random.Random(secrets.randbits(64))
    return dataclasses.replace(plan, questions=draw(plan.step, rng))


def _cell_errors(plan: Plan, reply: Reply) -> list[dict]:
    return [{"cell": cell.id, "error": run.error}
            for cell, run in zip(plan.cells, reply.cells, strict=True) if run.error
            ][:MAX_CELL_ERRORS]


def _notes(reply: Reply) -> list[str]:
    notes = []
    if reply.dropped > 0:
        notes.append(f"output capped: {reply.dropped} characters of printed output were dropped")
    if reply.tampered:
        notes.append(f"learner code changed {', '.join(reply.tampered[:10])}; restored before "
                     "the checks ran")
    return notes


def judge(step: Step, plan: Plan, raw: object, seconds: float, sha256: str = "",
          notes: Sequence[str] = ()) -> NotebookGrade:
    """The verdict on a worker's reply `raw` (decoded JSON) to `plan` and its questions."""
    try:
        reply = Reply.read(raw, len(plan.cells), plan.questions)
    except (SnapshotError, ProtocolError) as err:
        return failed(step, "error", f"what it sent back could not be checked ({err})",
                      seconds=seconds, sha256=sha256, notes=list(notes))
    told = [*notes, *_notes(reply)]

    def error(why: str) -> NotebookGrade:
        return failed(step, "error", why, seconds=seconds, sha256=sha256, notes=told,
                      cell_errors=_cell_errors(plan, reply), output=reply.output)

    if reply.tampered_during:
        return error(f"its code changed the grader ({', '.join(reply.tampered_during[:10])}) "
                     "while it was being checked")
    if reply.problem:
        return error(reply.problem)
    try:
        snapshots = build_snapshots(step.key, plan.questions, reply.answers,
                                    _runs(plan, reply))
    except (SnapshotError, ProtocolError, RecursionError, TypeError, KeyError,
            ValueError) as err:
        return error(f"what it sent back could not be checked ({err})")  # shaped oddly
    return NotebookGrade(unit(step), step.key, "ok", _judged(snapshots), seconds, sha256,
                         notes=told, cell_errors=_cell_errors(plan, reply),
                         output=reply.output)


def _runs(plan: Plan, reply: Reply) -> list[Run]:
    """The runs of the cells the checks read: source and id from the notebook, how each run
    ended and what it printed from the worker (a chosen cell that was not run, a check cell
    tagged as an answer, say, printed nothing)."""
    ran = {(cell.id, cell.source): run
           for cell, run in zip(plan.cells, reply.cells, strict=True)}
    runs = []
    for cell in plan.sources:
        run = ran.get((cell.id, cell.source))
        if run is not None and run.printed is None:
            raise ProtocolError("the reply does not tell what a cell the checks read printed")
        runs.append(Run(cell.source, cell.id, run.error if run else "",
                        run.printed if run else ""))
    return runs


def _judged(snapshots: Sequence[Snapshot]) -> StepResult:
    """The verdict on the course's inputs (in the words the learner's `check(N)` used), unless
    a check it passes fails on inputs drawn for this run: then the verdict on those."""
    first, *drawn = (evaluate(s) for s in snapshots)
    for other in drawn:
        if any(mine.passed and not theirs.passed
               for mine, theirs in zip(first.checks, other.checks, strict=True)):
            return other
    return first
