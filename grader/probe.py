"""The probe: the only grader code that runs beside learner code.

It looks at the learner's names, calls their `predict` on chosen inputs (under a time limit, with
`threshold` swapped and always restored) and, for step 4, re-runs the answer cell to hear what it
prints. It returns plain JSON-able data: the *snapshot*. Verdicts are computed elsewhere, from the
snapshot alone, so learner code can't reach the code that judges it.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping
from typing import Any

from .deadline import TimeUp, time_limit
from .part2 import PART2_KEYS
from .values import describe

SNAPSHOT_VERSION = 1
NAMES = ("customers", "threshold", "predict", "batch_results")
CALL_SECONDS = 1.0
MAX_PRINTED = 20_000

# (argument, threshold to set first or None): the checks look these calls up by the same pairs.
PROBE_CALLS: tuple[tuple[Any, float | None], ...] = (
    (0.2, None), (0.8, None), (0.5, None), (0.9, None), (0.7, None),
    (0.6, None), (0.59, None), (0.61, None),
    (0.5, 0.3), (0.8, 0.85),
    ((105, 0.7), None),
)


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


def probe_predict(predict: Any) -> list[dict]:
    """Call `predict` on every probe input; stop early once it times out (it would again)."""
    try:
        home = getattr(predict, "__globals__", None)
    except Exception:  # a learner object whose attribute lookup raises
        home = None
    calls: list[dict] = []
    for argument, threshold in PROBE_CALLS:
        record: dict[str, Any] = {"arg": describe(argument), "threshold": threshold}
        if any(c.get("outcome") == "timeout" for c in calls):
            record["outcome"] = "skipped"
            calls.append(record)
            continue
        if threshold is not None and not isinstance(home, dict):
            record["outcome"] = "skipped"  # not a plain function: its threshold can't be swapped
            calls.append(record)
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
        calls.append(record)
    return calls


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


def rerun_printing(source: str, namespace: dict) -> dict:
    """Run an answer cell again in a copy of the namespace and keep what it prints."""
    try:
        code = compile(_transform(source), "<answer cell>", "exec")
    except (SyntaxError, ValueError) as err:
        return {"outcome": "raised", "error": error_text(err), "printed": ""}
    scratch = dict(namespace)
    return _run_captured(exec, code, scratch)


def take_snapshot(step: str, namespace: dict, sources: list[str], printing_source: str | None
                  = None, outcomes: Mapping[str, str] | None = None) -> dict:
    """Everything the checks of `step` may look at, as JSON-able data. `outcomes` maps a
    source to the error of its latest run ("" when it ran cleanly)."""
    names: dict[str, Any] = {}
    for name in NAMES:
        if name in namespace:
            try:
                names[name] = describe(namespace[name])
            except BaseException as err:  # a learner container whose iteration raises
                names[name] = {"t": "object", "type": "unreadable", "text": error_text(err)}
    snapshot: dict[str, Any] = {
        "version": SNAPSHOT_VERSION,
        "step": step,
        "names": names,
        "sources": [s[:20_000] for s in sources[-20:]],
        "errors": [_outcome(outcomes, s) for s in sources[-20:]],
        "calls": [],
        "printing": None,
    }
    predict = namespace.get("predict")
    if step in ("3", "4") and callable(predict):
        snapshot["calls"] = probe_predict(predict)
    if step == "4" and printing_source is not None:
        snapshot["printing"] = rerun_printing(printing_source, namespace)
    return snapshot


def _outcome(outcomes: Mapping[str, str] | None, source: str) -> str:
    error = outcomes.get(source, "") if outcomes else ""
    return error[:300] if isinstance(error, str) else ""


def snapshot_for(step: str, namespace: dict, sources: list[str],
                 outcomes: Mapping[str, str] | None = None) -> dict:
    """The snapshot of one step, taken the same way in the learner's kernel (`check(N)`) and in
    a grading worker: step 4 re-runs its answer cell (the last source) to hear what it prints;
    the quiz reads the recorded answers. `outcomes`: each source's latest error, "" if none."""
    if step == "quiz":
        from .quiz_probe import quiz_snapshot

        return quiz_snapshot(namespace)
    printing = sources[-1] if step == "4" and sources else None
    snapshot = take_snapshot(step, namespace, sources, printing, outcomes)
    if step in PART2_KEYS:  # Part 2's own facts: a sample of their table, their app's replies…
        from .part2.probe import part2_facts

        snapshot["facts"] = part2_facts(step, namespace)
    return snapshot
