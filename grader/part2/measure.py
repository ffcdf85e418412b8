"""Step 7's probe: the learner's `percentile` on fixed lists (some unsorted: is the caller's
list left alone?) and their `capacity` on measurements made up to tell the statistics apart."""

from __future__ import annotations

from typing import Any

from .calls import call, defined, function, returned
from .questions import MeasureQuestions


def _percentile_calls(func: Any, questions: MeasureQuestions) -> list[dict]:
    calls = []
    for values, p in questions.percentile_calls:
        given = list(values)
        record, value = call(func, given, p)
        calls.append(returned({**record, "values": list(values), "p": p,
                               "mutated": given != list(values)}, value))
        if record["outcome"] == "timeout":
            break
    return calls


def _capacity_calls(func: Any, questions: MeasureQuestions) -> list[dict]:
    calls = []
    for levels, budget in questions.capacity_calls:
        given = {clients: list(latencies) for clients, latencies in levels}
        record, value = call(func, given, budget)
        calls.append(returned({**record, "levels": [[c, list(v)] for c, v in levels],
                               "budget_ms": budget}, value))
        if record["outcome"] == "timeout":
            break
    return calls


def measure_facts(namespace: dict, questions: MeasureQuestions) -> dict:
    facts: dict[str, Any] = {"percentile": defined(namespace, "percentile"),
                             "capacity": defined(namespace, "capacity")}
    percentile = function(namespace, "percentile")
    if percentile is not None:
        facts["percentile_calls"] = _percentile_calls(percentile, questions)
    capacity = function(namespace, "capacity")
    if capacity is not None:
        facts["capacity_calls"] = _capacity_calls(capacity, questions)
    return facts

