"""Verdicts: what a check found, in words a learner can act on, and the points it is worth."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class CheckResult:
    id: str  # "3.predict_rule": stable, used by the gradebook
    step: str
    title: str  # what was checked, e.g. "`threshold` is the number 0.6"
    passed: bool
    points: float
    max_points: float
    message: str
    hint: str = ""  # a nudge: what to look at, not the answer
    ran: bool = True  # False: skipped because a check it builds on failed
    started: bool = True  # False: the learner has not written this part yet
    line: str = ""  # the full answer line, shown only when asked or after repeated failures
    kind: str = ""  # which branch of the check said it (see checks/): mistakes are counted by it

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class StepResult:
    step: str
    title: str
    checks: tuple[CheckResult, ...] = field(default_factory=tuple)
    problem: str = ""  # set when the step could not be checked at all (e.g. a broken snapshot)

    @property
    def passed(self) -> bool:
        return not self.problem and bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def started(self) -> bool:
        return any(c.started for c in self.checks)

    @property
    def status(self) -> str:
        if self.passed:
            return "passed"
        return "not started" if not self.started and not self.problem else "not yet"

    @property
    def points(self) -> float:
        return sum(c.points for c in self.checks)

    @property
    def max_points(self) -> float:
        return sum(c.max_points for c in self.checks)

    def to_dict(self) -> dict:
        return {"step": self.step, "title": self.title, "status": self.status,
                "points": self.points, "max_points": self.max_points, "problem": self.problem,
                "checks": [c.to_dict() for c in self.checks]}
