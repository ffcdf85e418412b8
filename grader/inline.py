"""`check(N)`: the real-time path. Probe the learner's own kernel, judge, show, remember.

Imported by the first cell of every notebook, so it stays light (no nbformat, no widgets) and
installs a tiny recorder of every cell run: its cell id (front-ends such as JupyterLab send
one), its source, how it ended and what it printed. So the checks read the learner's answer
cells by their ids, never judge a value left behind by a cell whose latest run failed or no
longer builds it, and judge step 4 by what its cells printed when they ran.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

from . import feedback, progress
from .checks import evaluate
from .probe import MAX_PRINTED, answer_all, error_text
from .questions import course_questions
from .results import CheckResult, StepResult
from .snapshot import MAX_SOURCES, build_snapshot
from .sources import Run, answer_cell_prefix, as_runs, choose_sources
from .spec import step_for

MAX_RUNS = 200
_RUNS: list[Run] = []  # every cell run since the import, oldest first
_OPEN: list[bool] = [False]  # the newest run has started and not yet ended
_LISTENING: list[Any] = []  # [the stdout stream whose writes are heard, the cell's parts]


def _ipython() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _listen(stream: Any) -> None:
    """Hear what a cell prints while it runs: the stream's own `write` is wrapped for the
    cell (on the object, so `sys.stdout` stays the kernel's) and unwrapped after it."""
    parts: list[str] = []
    kept = [0]  # characters kept so far: a cell printing a million lines costs no more
    write = getattr(stream, "write", None)
    if write is None:
        return

    def heard(text: Any) -> Any:
        if isinstance(text, str) and kept[0] < MAX_PRINTED:
            parts.append(text[:MAX_PRINTED - kept[0]])
            kept[0] += len(parts[-1])
        return write(text)

    try:
        stream.write = heard
    except (AttributeError, TypeError):  # a stream that can't be wrapped: prints not heard
        return
    _LISTENING[:] = [stream, parts]


def _stop_listening() -> str | None:
    """What the cell printed (None when it was not heard)."""
    if not _LISTENING:
        return None
    stream, parts = _LISTENING
    _LISTENING.clear()
    try:
        del stream.write
    except (AttributeError, TypeError):
        pass
    return "".join(parts)[:MAX_PRINTED]


def _remember_cell(info: Any) -> None:
    """IPython's `pre_run_cell`: a cell starts; note it, and listen to what it prints."""
    _stop_listening()  # a run whose end was never told
    cell_id = getattr(info, "cell_id", None)
    _RUNS.append(Run(str(getattr(info, "raw_cell", "")), str(cell_id) if cell_id else ""))
    del _RUNS[:-MAX_RUNS]
    _OPEN[0] = True
    _listen(sys.stdout)


def _remember_outcome(result: Any) -> None:
    """IPython's `post_run_cell`: how the cell's run ended (SyntaxError, a raise, or cleanly)
    and what it printed."""
    info = getattr(result, "info", None)
    source = str(getattr(info, "raw_cell", ""))
    err = getattr(result, "error_before_exec", None) or getattr(result, "error_in_exec", None)
    error = error_text(err) if err is not None else ""
    printed = _stop_listening()
    if _OPEN[0] and _RUNS and _RUNS[-1].source == source:
        _RUNS[-1] = Run(source, _RUNS[-1].cell, error, printed)
    else:  # a blank cell (IPython tells only its end), or the cell that installed the recorder
        cell_id = getattr(info, "cell_id", None)
        printed = "" if not source.strip() else printed  # nothing ran, so nothing printed
        _RUNS.append(Run(source, str(cell_id) if cell_id else "", error, printed))
        del _RUNS[:-MAX_RUNS]
    _OPEN[0] = False


def cell_outcomes() -> dict[str, str]:
    """Each source run in this kernel since the import, with its latest run's error ("")."""
    return {run.source: run.error for run in _RUNS}


def recorded_runs() -> list[Run]:
    """Every cell run in this kernel since the import, oldest first."""
    return list(_RUNS)


def install_recorder(shell: Any) -> None:
    if shell is None or getattr(shell, "_course_recorder", False):
        return
    shell.events.register("pre_run_cell", _remember_cell)
    shell.events.register("post_run_cell", _remember_outcome)
    shell._course_recorder = True


def answer_sources(step: str, shell: Any) -> list[Run]:
    """The learner's runs the checks may read, newest last (see `sources.choose_sources`).

    The history is what the recorder saw since the import cell, else IPython's `In`; answer
    cells are known by their ids where the front-end sends ids (JupyterLab, Notebook 7).
    """
    history = _RUNS or as_runs(str(s) for s in getattr(shell, "user_ns", {}).get("In", []) or [])
    prefix = answer_cell_prefix(step)
    latest = {run.cell: run for run in history if run.cell.startswith(prefix)}
    return choose_sources(step, history, [latest[k] for k in sorted(latest)])


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


def judge(step: str, namespace: dict, sources: list[str] | list[Run],
          outcomes: dict[str, str] | None = None) -> StepResult:
    """Ask the step's questions of the learner's own namespace and judge the answers. They
    are read and the snapshot built exactly as a grading harness does with a worker's, so
    inline verdicts and grades agree. `sources`: the runs the checks read (or bare sources,
    with `outcomes` giving each one's latest error)."""
    runs = as_runs(sources, outcomes)[-MAX_SOURCES:]
    asked = course_questions(step, runs)
    return evaluate(build_snapshot(step, asked, answer_all(asked, namespace), runs))


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
        runs = answer_sources(key, shell)
    else:
        runs = as_runs([source] if isinstance(source, str) else list(source))
    try:
        result = judge(key, namespace, runs)
    except Exception as err:  # learner objects can be stranger than any probe foresees
        return CheckReport(StepResult(key, step_for(key).title, problem=(
            f"something in your code stopped the check ({type(err).__name__}). Run your "
            "cells again from the top, then this check; if it happens again, ask your "
            "instructor.")))
    note = progress.record(result) if record else ""
    steps, _ = progress.load()
    line = progress.summary(steps, progress.default_path().parent)
    line += f" {note}" if note else ""
    return CheckReport(result, line, count_failures(result))


install_recorder(_ipython())
