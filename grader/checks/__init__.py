"""Checks: pure functions from a snapshot to verdicts.

Each check is a small function registered with `@check(...)`; it reads a `Snapshot` and returns a
`Finding`. The same checks serve the learner's inline `check(N)` and the instructor's batch
grading, so the two can't disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from ..results import CheckResult, StepResult
from ..snapshot import Snapshot
from ..spec import step_for


@dataclass(frozen=True)
class Finding:
    passed: bool
    message: str
    hint: str = ""
    started: bool = True


def ok(message: str) -> Finding:
    return Finding(True, message)


def fail(message: str, hint: str = "") -> Finding:
    return Finding(False, message, hint)


def not_started(message: str, hint: str = "") -> Finding:
    return Finding(False, message, hint, started=False)


@dataclass(frozen=True)
class Check:
    id: str
    step: str
    title: str
    points: float
    needs: tuple[str, ...]
    run: Callable[[Snapshot], Finding]


REGISTRY: dict[str, list[Check]] = {}


def check(step: str, name: str, title: str, points: float = 1, needs: tuple[str, ...] = ()
          ) -> Callable[[Callable[[Snapshot], Finding]], Callable[[Snapshot], Finding]]:
    """Register a check of `step`; `needs` names checks of the same step that must pass first."""

    def register(func: Callable[[Snapshot], Finding]) -> Callable[[Snapshot], Finding]:
        REGISTRY.setdefault(step, []).append(
            Check(f"{step}.{name}", step, title, points, needs, func))
        return func

    return register


# Each step's checks register themselves when their module is imported; a check imports only
# its own step's module (the quiz's reads the question bank: no cost to steps 1-4).
MODULES = {"1": "step1", "2": "step2", "3": "step3", "4": "step4", "quiz": "quiz",
           "5": "step5", "6": "step6", "7": "step7", "8": "step8"}


def checks_for(step: str) -> list[Check]:
    if step in MODULES:
        import_module(f"{__name__}.{MODULES[step]}")
    return list(REGISTRY.get(step, []))


def evaluate(snapshot: Snapshot) -> StepResult:
    """Run every check of the snapshot's step, skipping those whose prerequisites failed."""
    step = step_for(snapshot.step)
    results: dict[str, CheckResult] = {}
    for item in checks_for(step.key):
        blocked = [n for n in item.needs if not results[f"{step.key}.{n}"].passed]
        if blocked:
            first = results[f"{step.key}.{blocked[0]}"]
            results[item.id] = CheckResult(
                item.id, step.key, item.title, False, 0, item.points,
                "Not checked yet: fix the check above first.", ran=False, started=first.started)
            continue
        try:
            found = item.run(snapshot)
        except Exception as err:  # a grader bug must not become a learner's traceback
            found = fail(f"This check could not run ({type(err).__name__}). Please tell your "
                         "instructor; your work may be fine.")
        results[item.id] = CheckResult(
            item.id, step.key, item.title, found.passed, item.points if found.passed else 0,
            item.points, found.message, found.hint, True, found.started)
    return StepResult(step.key, step.title, tuple(results.values()))


def max_points(step: str) -> float:
    return sum(c.points for c in checks_for(step))
