"""`check(N)`: the real-time path. Probe the learner's own kernel, judge, show, remember.

Imported by the first cell of every notebook, so it stays light (no nbformat, no widgets) and
installs a tiny recorder of which cell ran what (so step 3 and 4 checks can read the learner's
answer cells by their ids) and how each run ended (so a value left behind by a cell whose
latest run failed is never judged as if that run had worked).
"""

from __future__ import annotations

import inspect
from typing import Any

from . import feedback, progress
from .checks import evaluate
from .probe import answer_all, error_text
from .questions import course_questions
from .results import CheckResult, StepResult
from .snapshot import build_snapshot
from .sources import answer_cell_prefix, choose_sources
from .spec import step_for

_RECORDED: dict[str, str] = {}  # cell id -> the source it last ran
_RAN: list[str] = []  # every cell run since the import, oldest first (front-ends may send no ids)
_OUTCOMES: dict[str, str] = {}  # source -> the error of its latest run, "" when it ran cleanly


def _ipython() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _remember_cell(info: Any) -> None:
    cell_id = getattr(info, "cell_id", None)
    source = str(getattr(info, "raw_cell", ""))
    if cell_id:
        _RECORDED[str(cell_id)] = source
    _RAN.append(source)
    del _RAN[:-200]


def _remember_outcome(result: Any) -> None:
    """IPython's `post_run_cell`: how the cell's run ended (SyntaxError, a raise, or cleanly)."""
    source = str(getattr(getattr(result, "info", None), "raw_cell", ""))
    err = getattr(result, "error_before_exec", None) or getattr(result, "error_in_exec", None)
    _OUTCOMES.pop(source, None)  # newest last, so the oldest can be dropped
    _OUTCOMES[source] = error_text(err) if err is not None else ""
    while len(_OUTCOMES) > 200:
        del _OUTCOMES[next(iter(_OUTCOMES))]


def cell_outcomes() -> dict[str, str]:
    """Each source run in this kernel since the import, with its latest run's error ("")."""
    return dict(_OUTCOMES)


def install_recorder(shell: Any) -> None:
    if shell is None or getattr(shell, "_course_recorder", False):
        return
    shell.events.register("pre_run_cell", _remember_cell)
    shell.events.register("post_run_cell", _remember_outcome)
    shell._course_recorder = True


def answer_sources(step: str, shell: Any) -> list[str]:
    """The learner's code the checks may read, newest last (see `sources.choose_sources`).

    The history is what the recorder saw since the import cell, else IPython's `In`; answer
    cells are known by their ids where the front-end sends ids (JupyterLab, Notebook 7).
    """
    history = _RAN or list(getattr(shell, "user_ns", {}).get("In", []) or [])
    prefix = answer_cell_prefix(step)
    answers = [_RECORDED[k] for k in sorted(_RECORDED) if k.startswith(prefix)]
    return choose_sources(step, history, answers)


_FAILURES: dict[str, int] = {}  # check id -> its failures in a row in this kernel


def count_failures(result: StepResult) -> frozenset[str]:
    """Count each check's failures in a row (a part not written yet is no attempt); the ids
    whose answer line is now shown unasked."""
    for item in result.checks:
        if item.ran and not item.passed and item.started:
            _FAILURES[item.id] = _FAILURES.get(item.id, 0) + 1
        elif item.passed:
            _FAILURES.pop(item.id, None)
    return frozenset(k for k, n in _FAILURES.items() if n >= feedback.REVEAL_AFTER)


class CheckReport:
    """What `check(N)` returns: shown as a rich verdict in notebooks, plain text elsewhere."""

    def __init__(self, result: StepResult, progress_line: str = "",
                 reveal: frozenset[str] = frozenset()) -> None:
        self.result = result
        self.progress_line = progress_line
        self.reveal = reveal  # checks failed often enough to show their answer line

    @property
    def passed(self) -> bool:
        return self.result.passed

    @property
    def checks(self) -> tuple[CheckResult, ...]:
        return self.result.checks

    @property
    def points(self) -> float:
        return self.result.points

    def _repr_html_(self) -> str:
        return feedback.as_html(self.result, self.progress_line, self.reveal)

    def __repr__(self) -> str:
        return feedback.as_text(self.result, self.progress_line, self.reveal)

    __str__ = __repr__


def judge(step: str, namespace: dict, sources: list[str],
          outcomes: dict[str, str] | None = None) -> StepResult:
    """Ask the step's questions of the learner's own namespace and judge the answers. They
    are read and the snapshot built exactly as a grading harness does with a worker's, so
    inline verdicts and grades agree."""
    asked = course_questions(step, sources)
    return evaluate(build_snapshot(step, asked, answer_all(asked, namespace), sources, outcomes))


def check(step: int | str, namespace: dict | None = None, source: str | list[str] | None = None,
          record: bool = True) -> CheckReport:
    """Check one step of the course against the learner's own variables.

    In a notebook, just `check(3)`. Elsewhere pass `namespace=` (defaults to the caller's
    globals) and, for steps 3 and 4, `source=` the answer code.
    """
    try:
        key = step_for(step).key
    except ValueError as err:
        return CheckReport(StepResult(str(step), "Unknown step", problem=str(err)))
    shell = _ipython()
    if namespace is None:
        if shell is not None:
            namespace = shell.user_ns
        else:
            caller = inspect.currentframe().f_back  # type: ignore[union-attr]
            namespace = caller.f_globals if caller else {}
    if source is None:
        sources, outcomes = answer_sources(key, shell), cell_outcomes()
    else:
        sources, outcomes = [source] if isinstance(source, str) else list(source), None
    try:
        result = judge(key, namespace, sources, outcomes)
    except Exception as err:  # learner objects can be stranger than any probe foresees
        return CheckReport(StepResult(key, step_for(key).title, problem=(
            f"something in your code stopped the check ({type(err).__name__}). Run your "
            "cells again from the top, then this check; if it happens again, ask your "
            "instructor.")))
    note = progress.record(result) if record else ""
    steps, _ = progress.load()
    line = progress.summary(steps) + (f" {note}" if note else "")
    return CheckReport(result, line, count_failures(result))


install_recorder(_ipython())
