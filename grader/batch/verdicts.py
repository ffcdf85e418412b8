"""Judging, in the trusted process: a worker's JSON reply becomes a graded notebook.

The reply is learner-influenced data. The snapshot inside it goes through `Snapshot.load`
(which refuses anything not shaped as the probe writes it) before the same checks as the inline
`check(N)` read it. Everything that kept a notebook from being checked (a timeout, a crash, a
file that is not a notebook) still becomes a full set of failed checks with one plain reason,
so every learner gets a row and a report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..checks import checks_for, evaluate
from ..results import CheckResult, StepResult
from ..snapshot import Snapshot
from ..spec import Step, unit
from ..values import SnapshotError

STATUSES = ("ok", "timeout", "error", "invalid", "missing")


@dataclass
class NotebookGrade:
    """One learner's one notebook: how it ran and what the checks found."""

    notebook: str
    step: str
    status: str  # one of STATUSES
    result: StepResult
    seconds: float = 0.0
    sha256: str = ""
    message: str = ""  # why it could not be checked (status other than ok)
    notes: list[str] = field(default_factory=list)  # for the instructor
    cell_errors: list[dict] = field(default_factory=list)
    output: str = ""
    reused: bool = False  # taken from the gradebook, not run again

    @property
    def points(self) -> float:
        return self.result.points

    @property
    def max_points(self) -> float:
        return self.result.max_points

    def to_dict(self) -> dict:
        return {"notebook": self.notebook, "step": self.step, "status": self.status,
                "runtime": round(self.seconds, 4), "sha256": self.sha256,
                "message": self.message, "notes": list(self.notes),
                "cell_errors": list(self.cell_errors), "output": self.output,
                "points": self.points, "max_points": self.max_points,
                "result": self.result.to_dict()}

    @classmethod
    def from_dict(cls, data: dict) -> NotebookGrade:
        """Back from the gradebook (which only ever stores what `to_dict` wrote)."""
        raw = data["result"]
        checks = tuple(CheckResult(**{k: c[k] for k in CheckResult.__dataclass_fields__
                                      if k in c}) for c in raw["checks"])
        result = StepResult(raw["step"], raw["title"], checks, raw.get("problem", ""))
        return cls(data["notebook"], data["step"], data["status"], result,
                   float(data.get("runtime", 0.0)), data.get("sha256", ""),
                   data.get("message", ""), list(data.get("notes", [])),
                   list(data.get("cell_errors", [])), data.get("output", ""))


def not_checked(step: Step, reason: str, short: str) -> StepResult:
    """Every check of the step, failed and marked not run: points are visibly zero and the
    feedback says why once, instead of the learner's row silently missing."""
    checks = tuple(CheckResult(c.id, step.key, c.title, False, 0, c.points,
                               f"Not checked: {short}.", ran=False, kind="not checked")
                   for c in checks_for(step.key))
    return StepResult(step.key, step.title, checks, problem=reason)


# status -> (the reason, told to the learner once; the short form repeated on each check)
LEARNER_REASONS = {
    "timeout": ("your notebook did not finish in time: {detail}. Look for a loop that never "
                "ends, then run the notebook from the top (Run All) before handing it in.",
                "the notebook did not finish in time"),
    "error": ("your notebook stopped the grader before it could be checked: {detail}.",
              "the notebook stopped the grader"),
    "invalid": ("{notebook} could not be read: {detail}. Hand in the .ipynb file saved from "
                "Jupyter.", "the file could not be read"),
    "missing": ("{notebook} was not handed in.", "not handed in"),
}


def failed(step: Step, status: str, detail: str, **extra: Any) -> NotebookGrade:
    reason, short = LEARNER_REASONS[status]
    reason = reason.format(detail=detail, notebook=step.notebook)
    reason = reason[0].upper() + reason[1:]
    return NotebookGrade(unit(step), step.key, status, not_checked(step, reason, short),
                         message=detail, **extra)


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _cell_errors(reply: dict) -> list[dict]:
    errors = reply.get("cell_errors")
    if not isinstance(errors, list):
        return []
    return [{"cell": _text(e.get("cell"), 100), "error": _text(e.get("error"), 300)}
            for e in errors[:20] if isinstance(e, dict)]


def judge_reply(step: Step, reply: dict, seconds: float, sha256: str = "",
                notes: list[str] | None = None) -> NotebookGrade:
    """Validate a worker's reply and run the checks on its snapshot."""
    notes = list(notes or [])
    extra = {"seconds": seconds, "sha256": sha256, "cell_errors": _cell_errors(reply),
             "output": _text(reply.get("output"), 100_000)}
    dropped = reply.get("dropped")
    if isinstance(dropped, int) and dropped > 0:
        notes.append(f"output capped: {dropped} characters of printed output were dropped")
    tampered = reply.get("tampered")
    if isinstance(tampered, list) and tampered:
        names = ", ".join(str(t)[:60] for t in tampered[:10])
        notes.append(f"learner code changed {names}; restored before the checks ran")
    during = reply.get("tampered_during_probe")
    if isinstance(during, list) and during:
        names = ", ".join(str(t)[:60] for t in during[:10])
        return failed(step, "error", f"its code changed the grader ({names}) while it was "
                      "being checked", notes=notes, **extra)
    if reply.get("snapshot") is None:
        detail = _text(reply.get("worker_error"), 300) or "no snapshot came back"
        return failed(step, "error", detail, notes=notes, **extra)
    try:
        snapshot = Snapshot.load(reply["snapshot"])
        if snapshot.step != step.key:
            raise SnapshotError("snapshot of another step")
    except (SnapshotError, RecursionError, TypeError, KeyError) as err:
        return failed(step, "error", f"what it produced could not be checked ({err})",
                      notes=notes, **extra)
    return NotebookGrade(unit(step), step.key, "ok", evaluate(snapshot), notes=notes, **extra)
