"""The probe: the only grader code that runs beside learner code. It answers questions.

Each question (`questions.py`) gets one plain JSON answer: a description of a learner name,
what the learner's `predict` did on an input (under a time limit, with `threshold` swapped and
always restored), Part 2's facts, the quiz answers recorded, and (for cells whose prints were not
heard as they ran) what cells print when run again. The same code answers in the learner's
kernel (`check(N)`) and in a grading worker. It never builds the snapshot nor judges: the
asker reads the answers against its own questions (`snapshot.build_snapshot`), so learner code
can't reach what judges it.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping, Sequence
from typing import Any

from .deadline import TimeUp, time_limit
from .questions import (
    MAX_ERROR,
    MAX_PRINTED,
    Describe,
    GatherFacts,
    Question,
    RecordedQuiz,
    RerunCells,
    course_questions,
    kind_of,
)
from .sources import Run, as_runs
from .spec import PredictCall, Step, step_for
from .values import describe

__all__ = ["MAX_PRINTED", "answer_all", "error_text", "snapshot_for", "take_snapshot"]

CALL_SECONDS = 1.0


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
    return (f"{type(err).__name__}: {detail}" if detail else type(err).__name__)[:MAX_ERROR]


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
        swap = home if threshold is not None and isinstance(home, dict) else None
        saved = swap.get("threshold", _MISSING) if swap is not None else _MISSING
        try:
            if swap is not None:
                swap["threshold"] = threshold
            record.update(_run_captured(predict, argument))
        finally:
            if swap is not None:
                if saved is _MISSING:
                    swap.pop("threshold", None)
                else:
                    swap["threshold"] = saved
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


def rerun_printing(sources: Sequence[str], namespace: dict) -> tuple[list[Run], bool]:
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


def describe_name(namespace: Mapping[str, Any], name: str) -> dict:
    """A learner name's description (`None` when it is not defined)."""
    if name not in namespace:
        return {"name": name, "defined": False, "value": None}
    try:
        value = describe(namespace[name])
    except BaseException as err:  # a learner container whose iteration raises
        value = {"t": "object", "type": "unreadable", "text": error_text(err)}
    return {"name": name, "defined": True, "value": value}


def _call_answer(record: dict) -> dict:
    return {"outcome": record["outcome"], "value": record.get("value"),
            "error": record.get("error", ""), "printed": record.get("printed", "")}


def answer_all(questions: tuple[Question, ...], namespace: dict) -> list[dict]:
    """One JSON answer per question, in order. The calls of `predict` are made together
    (after a timeout the rest are skipped); none are made without a callable `predict`."""
    calls = [q for q in questions if isinstance(q, PredictCall)]
    predict = namespace.get("predict")
    made = iter(probe_predict(predict, tuple(calls)) if calls and callable(predict) else ())
    answers: list[dict] = []
    for question in questions:
        kind = kind_of(question)
        if isinstance(question, Describe):
            answer = describe_name(namespace, question.name)
        elif isinstance(question, PredictCall):
            record = next(made, None)
            answer = _call_answer(record) if record is not None else {"outcome": "absent"}
        elif isinstance(question, RerunCells):
            reran, timed_out = rerun_printing(question.sources, namespace)
            answer = {"runs": [{"error": r.error, "printed": r.printed} for r in reran],
                      "timed_out": timed_out}
        elif isinstance(question, GatherFacts):
            from .part2.probe import gather_facts

            answer = {"facts": gather_facts(question.gatherer, namespace, question.asked)}
        elif isinstance(question, RecordedQuiz):
            from churn_course.quiz_record import current_answers, solutions_seen

            answer = {"answers": current_answers(),  # the score the widget shows too
                      "seen": sorted(solutions_seen())}
        answers.append({"kind": kind, **answer})
    return answers


def take_snapshot(step: str | Step, namespace: dict, runs: Sequence[Run] | Sequence[str],
                  calls: tuple[PredictCall, ...] | None = None) -> dict:
    """The snapshot of `step` as plain data, asked as `check(N)` asks: `runs` are the cells the
    checks read (see `sources.choose_sources`), newest last; `calls` replace the step's own
    calls of `predict`. For `check(N)`, and for tests and tools that want to look at one."""
    from .questions import read_answer
    from .snapshot import assemble

    record = step if isinstance(step, Step) else step_for(step)
    told = as_runs(runs)
    asked = course_questions(record, told[-20:], calls)
    answers = [read_answer(q, a) for q, a in zip(asked, answer_all(asked, namespace),
                                                   strict=True)]
    return assemble(record.key, asked, answers, told)


def snapshot_for(step: str, namespace: dict, runs: Sequence[Run] | Sequence[str],
                 calls: tuple[PredictCall, ...] | None = None) -> dict:
    """The same as `take_snapshot` (kept for tools written against the earlier name)."""
    return take_snapshot(step, namespace, runs, calls)
