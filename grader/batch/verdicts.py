"""A graded notebook, and the verdict for one that could not be checked.

A worker's reply is judged by the harness (`harness.py`). Everything that kept a notebook from
being checked (a timeout, a crash, a reply that breaks the protocol, a file that is not a
notebook) still becomes a full set of failed checks with one plain reason, so every learner
gets a row and a report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..checks import checks_for
from ..results import CheckResult, StepResult
from ..spec import Step, unit

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
