"""The probe: the only grader code that runs beside learner code.

It answers a step's `Probe` (see `spec.py`): it describes the names the step's checks read,
calls the learner's `predict` on the inputs it is given (under a time limit, with `threshold`
swapped and always restored), tells what step 4's cells printed when they ran, and gathers
Part 2's facts. It returns plain JSON-able data: the *snapshot*. Verdicts are computed
elsewhere, from the snapshot alone, so learner code can't reach the code that judges it.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

from .deadline import TimeUp, time_limit
from .sources import Run, as_runs
from .spec import PredictCall, Step, step_for
from .values import describe

SNAPSHOT_VERSION = 2
CALL_SECONDS = 1.0
MAX_PRINTED = 20_000


class _CappedText(io.StringIO):
    def write(self, text: str) -> int:
        room = MAX_PRINTED - self.tell()
        if room > 0:
            super().write(text[:room])
        return len(text)


def error_text(err: BaseException) -> str:
    try:
        detail = str(err)
    except BaseException:  # a learner exception whose __str__ itself raises
        detail = ""
    return (f"{type(err).__name__}: {detail}" if detail else type(err).__name__)[:300]


def _run_captured(func: Any, *args: Any) -> dict:
    """Call learner code, recording what it returned, raised or printed; never let it escape."""
    printed = _CappedText()
    outcome: dict[str, Any] = {}
    try:
        with contextlib.redirect_stdout(printed), time_limit(CALL_SECONDS):
            value = func(*args)
        outcome = {"outcome": "returned", "value": describe(value)}
    except TimeUp:
        outcome = {"outcome": "timeout"}
    except BaseException as err:  # SystemExit, KeyboardInterrupt too: the learner's, not ours
        outcome = {"outcome": "raised", "error": error_text(err)}
    outcome["printed"] = printed.getvalue()
    return outcome


_MISSING = object()


def probe_predict(predict: Any, calls: tuple[PredictCall, ...]) -> list[dict]:
    """Make each call of `predict`; stop early once it times out (it would again)."""
    try:
        home = getattr(predict, "__globals__", None)
    except Exception:  # a learner object whose attribute lookup raises
        home = None
    records: list[dict] = []
    for call in calls:
        argument, threshold = call.argument, call.threshold
        record: dict[str, Any] = {"for": call.purpose, "arg": describe(argument),
                                  "threshold": threshold}
        if any(r.get("outcome") == "timeout" for r in records):
            record["outcome"] = "skipped"
            records.append(record)
            continue
        if threshold is not None and not isinstance(home, dict):
            record["outcome"] = "skipped"  # not a plain function: its threshold can't be swapped
            records.append(record)
            continue
        saved = home.get("threshold", _MISSING) if threshold is not None else _MISSING
        try:
            if threshold is not None:
                home["threshold"] = threshold
            record.update(_run_captured(predict, argument))
        finally:
            if threshold is not None:
                if saved is _MISSING:
                    home.pop("threshold", None)
                else:
                    home["threshold"] = saved
        records.append(record)
    return records


def _transform(source: str) -> str:
    """IPython syntax (magics, `!cmd`) to plain Python, when IPython is around."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:
        return source


def rerun_printing(sources: list[str], namespace: dict) -> tuple[list[Run], bool]:
    """Run cells again in a copy of the namespace and keep what each prints: for an API caller
    (`check(4, source=...)`) whose cells' own prints were not recorded. (runs, timed out)."""
    scratch = dict(namespace)
    runs = []
    for source in sources:
        try:
            code = compile(_transform(source), "<answer cell>", "exec")
        except (SyntaxError, ValueError) as err:
            runs.append(Run(source, error=error_text(err), printed=""))
            break
        outcome = _run_captured(exec, code, scratch)
        runs.append(Run(source, error=outcome.get("error", ""), printed=outcome["printed"]))
        if outcome["outcome"] == "timeout":
            return runs, True
        if outcome["outcome"] != "returned":
            break
    return runs, False


def printing(runs: list[Run], namespace: dict) -> dict:
    """What the step's cells printed when they ran, in order, and the first error among them;
    cells whose prints were not recorded are run again (in a copy of the namespace)."""
    timed_out = False
    if any(run.printed is None for run in runs):
        runs, timed_out = rerun_printing([run.source for run in runs], namespace)
    share = MAX_PRINTED // max(len(runs), 1)  # one cell's flood can't push the others' out
    printed = "".join((run.printed or "")[:share] for run in runs)
    failed = next((run for run in runs if run.error), None)
    if timed_out:
        return {"outcome": "timeout", "printed": printed}
    if failed is not None:
        return {"outcome": "raised", "error": failed.error[:300], "printed": printed}
    return {"outcome": "returned", "printed": printed}


def take_snapshot(step: str | Step, namespace: dict, runs: list[Run] | list[str],
                  calls: tuple[PredictCall, ...] | None = None) -> dict:
    """Everything the checks of `step` may look at, as JSON-able data, asked as its `Probe`
    says. `runs`: the cells the checks read (see `sources.choose_sources`), newest last;
    `calls`: the calls of `predict` to make (the step's own unless given)."""
    record = step if isinstance(step, Step) else step_for(step)
    probe = record.probe
    runs = as_runs(runs)[-20:]
    names: dict[str, Any] = {}
    for name in probe.names:
        if name in namespace:
            try:
                names[name] = describe(namespace[name])
            except BaseException as err:  # a learner container whose iteration raises
                names[name] = {"t": "object", "type": "unreadable", "text": error_text(err)}
    snapshot: dict[str, Any] = {
        "version": SNAPSHOT_VERSION,
        "step": record.key,
        "names": names,
        "sources": [run.source[:20_000] for run in runs],
        "cells": [run.cell[:200] for run in runs],
        "errors": [run.error[:300] for run in runs],
        "calls": [],
        "printing": None,
    }
    predict = namespace.get("predict")
    wanted = probe.calls if calls is None else calls
    if wanted and callable(predict):
        snapshot["calls"] = probe_predict(predict, wanted)
    if probe.printing and runs:
        snapshot["printing"] = printing(runs, namespace)
    if probe.facts:  # Part 2's own facts: a sample of their table, their app's replies…
        from .part2.probe import gather_facts

        snapshot["facts"] = gather_facts(probe.facts, namespace)
    return snapshot


def snapshot_for(step: str, namespace: dict, runs: list[Run] | list[str],
                 calls: tuple[PredictCall, ...] | None = None) -> dict:
    """The snapshot of one step, taken the same way in the learner's kernel (`check(N)`) and in
    a grading worker: the quiz reads the recorded answers, every other step answers its
    `Probe` about `runs`, the cells its checks read (`sources.choose_sources`)."""
    record = step_for(step)
    if record.probe.quiz_answers:
        from .quiz_probe import quiz_snapshot

        return quiz_snapshot(namespace)
    return take_snapshot(record, namespace, runs, calls)
