"""Checks: pure functions from a snapshot to verdicts.

Each check is a small function registered with `@check(...)`; it reads a `Snapshot` and returns a
`Finding`. The same checks serve the learner's inline `check(N)` and the instructor's batch
grading, so the two can't disagree. A step module is a list of such functions:

    @check("5", "table_rows", "`table` has one row per customer", reads=("table",),
           line="table = build_table(customers)")
    def table_rows(snap: Snapshot) -> Finding:
        ...
        return fail("`table` has 3 rows; expected 4.", "One row per customer.")  # a nudge

`reads` names what the check judges: a failed cell that builds the name speaks for itself (see
`cell_errors`), and a name no cell's latest run makes is never judged by an old value (see
`stale`); `line` is the answer line offered behind "Show me the line" when the check fails.

Every finding also carries a `kind`: which branch of which check said it, so the class report
can count a class's mistakes by what was said, not by its exact words (`threshold = 0.7` and
`threshold = 0.9` are one mistake). A check may name it (`fail(..., kind="swapped")`); else it
is where the finding was made (`threshold+14`: that function, that many lines in), which is
stable for as long as the check's code is, and verdicts are only ever compared under one grader
fingerprint, which changes with the code.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from ..results import CheckResult, StepResult
from ..snapshot import Snapshot
from ..spec import step_for


@dataclass(frozen=True)
class Finding:
    passed: bool
    message: str  # what is wrong, in words
    hint: str = ""  # a nudge: where to look, never the answer itself
    started: bool = True
    line: str = ""  # the answer line, behind "Show me the line" until asked or failed often
    kind: str = ""  # which branch said it (see above); the class report counts mistakes by it


def _branch() -> str:
    """Where the caller of `fail`/`not_started` made its finding: `function+line offset`."""
    frame = sys._getframe(2)
    return f"{frame.f_code.co_name}+{frame.f_lineno - frame.f_code.co_firstlineno}"


def ok(message: str, kind: str = "") -> Finding:
    return Finding(True, message, kind=kind)


def fail(message: str, hint: str = "", line: str = "", kind: str = "") -> Finding:
    return Finding(False, message, hint, line=line, kind=kind or _branch())


def not_started(message: str, hint: str = "", line: str = "", kind: str = "") -> Finding:
    return Finding(False, message, hint, started=False, line=line, kind=kind or "not started")


@dataclass(frozen=True)
class Check:
    id: str
    step: str
    title: str
    points: float
    needs: tuple[str, ...]
    run: Callable[[Snapshot], Finding]
    reads: tuple[str, ...] = ()  # learner names whose value the check judges
    line: str = ""  # the answer line a failure may show (behind "Show me the line")


REGISTRY: dict[str, list[Check]] = {}


def check(step: str, name: str, title: str, points: float = 1, needs: tuple[str, ...] = (),
          reads: tuple[str, ...] = (), line: str = ""
          ) -> Callable[[Callable[[Snapshot], Finding]], Callable[[Snapshot], Finding]]:
    """Register a check of `step`; `needs` names checks of the same step that must pass first;
    `reads` the learner's names it judges: if the newest cell that builds one of them failed on
    its latest run, or ran again and no longer builds it, the check says so in words instead of
    judging a stale value;
    `line` is the answer line its failures offer behind "Show me the line" (a finding may give
    its own)."""

    def register(func: Callable[[Snapshot], Finding]) -> Callable[[Snapshot], Finding]:
        REGISTRY.setdefault(step, []).append(
            Check(f"{step}.{name}", step, title, points, needs, func, reads, line))
        return func

    return register


CHECK_CRASHED = "check crashed"  # a grader bug, not the learner's: the class report lists it

from .cell_errors import broken_cell, error_name, explain  # noqa: E402  (needs Finding, fail)
from .stale import unbound  # noqa: E402


def checks_for(step: str) -> list[Check]:
    """The checks of `step`, in order. Each step's checks register themselves when its module
    (`Step.checks`) is imported, and only that module is: the quiz's reads the question bank,
    at no cost to steps 1-4."""
    import_module(f"{__name__}.{step_for(step).checks}")
    return list(REGISTRY.get(step, []))


def _judge(item: Check, snapshot: Snapshot, known: frozenset[str]) -> Finding:
    """Run one check on the names' latest runs only: a cell whose latest run failed speaks for
    itself; a name no latest run makes is said so (or judged as not defined), never judged
    by an old value."""
    try:
        broken = broken_cell(snapshot, item.reads) if item.reads else None
        missing = [] if broken else [found for name in item.reads
                                     if (found := unbound(snapshot, name, known))]
    except Exception:  # unreadable learner code must not stop the checks
        broken, missing = None, []
    if broken:
        return fail(*explain(broken, snapshot.has(broken.name)),
                    kind=f"cell raised {error_name(broken)}")
    said = next((m for m in missing if m.message), None)
    if said:
        return fail(said.message, said.hint, kind=f"`{said.name}` not made by its latest run")
    return item.run(snapshot.hiding(*(m.name for m in missing)) if missing else snapshot)


def evaluate(snapshot: Snapshot) -> StepResult:
    """Run every check of the snapshot's step, skipping those whose prerequisites failed."""
    step = step_for(snapshot.step)
    checks = checks_for(step.key)
    known = frozenset(name for item in checks for name in item.reads)
    results: dict[str, CheckResult] = {}
    for item in checks:
        blocked = [n for n in item.needs if not results[f"{step.key}.{n}"].passed]
        if blocked:
            first = results[f"{step.key}.{blocked[0]}"]
            results[item.id] = CheckResult(
                item.id, step.key, item.title, False, 0, item.points,
                "Not checked yet: fix the check above first.", ran=False, started=first.started,
                kind="not reached")
            continue
        try:
            found = _judge(item, snapshot, known)
        except Exception as err:  # a grader bug must not become a learner's traceback
            found = fail(f"This check could not run ({type(err).__name__}). Please tell your "
                         "instructor; your work may be fine.", kind=CHECK_CRASHED)
        results[item.id] = CheckResult(
            item.id, step.key, item.title, found.passed, item.points if found.passed else 0,
            item.points, found.message, found.hint, True, found.started,
            "" if found.passed else found.line or item.line, found.kind)
    return StepResult(step.key, step.title, tuple(results.values()))


def max_points(step: str) -> float:
    return sum(c.points for c in checks_for(step))
