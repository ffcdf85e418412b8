"""The inputs Part 2's facts echo, put back as they were asked, before any check reads them.

Part 2's checks work out what they expect from the inputs the facts echo (`questions.py`), so
fresh inputs need no change to a check. But the facts come from the learner's process: a reply
could echo inputs other than those asked (an earlier run's, say) along with the right answers
to *them*. Whoever asked knows what was asked, so the snapshot is built with every echo written
over with the asked value (`restore`); the learner's answers are then judged against the
inputs of this run. Honest facts echo exactly what was asked, so for them this changes nothing,
and the learner's own `check(N)` reads the same facts as a grade.

Only records that are there are written to (a function that is missing or timed out has fewer
calls); anything shaped otherwise is left for `facts.load_facts` and the checks to refuse.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .fallback import SLOW_SECONDS
from .questions import (
    BatchQuestions,
    FallbackQuestions,
    MeasureQuestions,
    Questions,
    ServingQuestions,
    as_data,
)

Echo = tuple[tuple[Any, ...], dict[str, Any]]  # (path to a record, its echoed fields)


def _plain(value: Any) -> Any:
    """Tuples as JSON gives them back: lists."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _batch(q: BatchQuestions) -> Iterator[Echo]:
    yield (), {"questions": as_data(q)}
    for index, version in enumerate(q.versions):
        yield ("job_runs", index), {"version": version}
    for index, threshold in enumerate(q.thresholds):
        yield ("vector_calls", index), {"threshold": threshold, "features": _plain(q.features)}


def _serving(q: ServingQuestions) -> Iterator[Echo]:
    yield (), {"questions": as_data(q)}
    for index, (path, count) in enumerate(q.skew_calls):
        yield ("skew_calls", index), {"path": path, "customers": _plain(q.customers[:count]),
                                      "threshold": q.threshold}
    for index, (customer_id, feature) in enumerate(q.online):
        yield ("serving_calls", "calls", index), {"customer_id": customer_id, "stored": feature}
    for ask in q.asks:
        yield ("app", "replies", ask.name), {
            "path": ask.path,
            "threshold": q.threshold if ask.threshold is None else ask.threshold,
            "model_version": q.model_version if ask.model_version is None
            else ask.model_version}


def _measure(q: MeasureQuestions) -> Iterator[Echo]:
    for index, (values, p) in enumerate(q.percentile_calls):
        yield ("percentile_calls", index), {"values": _plain(values), "p": p}
    for index, (levels, budget) in enumerate(q.capacity_calls):
        yield ("capacity_calls", index), {"levels": _plain(levels), "budget_ms": budget}


def _fallback(q: FallbackQuestions) -> Iterator[Echo]:
    yield (), {"stored": _plain(q.stored), "live": _plain(q.live), "timeout_cap": q.timeout_cap}
    for index, (scenario, customer_id) in enumerate(q.scenarios):
        yield ("fallback_calls", index), {"scenario": scenario, "customer_id": customer_id,
                                          "limit": SLOW_SECONDS}
    for index, (scored, per_second, used, price) in enumerate(q.cost_calls):
        yield ("cost_calls", index), {"scored": scored, "per_second": per_second, "used": used,
                                      "price_per_hour": price}


ECHOES = {"batch_job": lambda q: _batch(q.batch), "serving": lambda q: _serving(q.serving),
          "measure": lambda q: _measure(q.measure), "fallback": lambda q: _fallback(q.fallback)}


def _record(facts: Any, path: tuple[Any, ...]) -> dict | None:
    here = facts
    for step in path:
        if isinstance(step, int):
            here = here[step] if isinstance(here, list) and step < len(here) else None
        else:
            here = here.get(step) if isinstance(here, dict) else None
    return here if isinstance(here, dict) else None


def restore(gatherer: str, facts: dict, questions: Questions) -> dict:
    """`facts` with every input they echo set to what `questions` asked."""
    for path, echoed in ECHOES[gatherer](questions):
        record = _record(facts, path)
        if record is not None:
            record.update(echoed)
    return facts
