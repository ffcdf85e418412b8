"""Step 7: latency under load. The learner's `percentile(values, p)` (nearest rank) and
`capacity(latencies, budget_ms)`: how many concurrent clients the server can take while p99
stays within the budget. Timings themselves are never judged: they differ on every machine;
the probe hands both functions made-up measurements (see `grader/part2/questions.py`)."""

from __future__ import annotations

import math
from collections.abc import Callable

from ..snapshot import Snapshot
from . import Finding, check, fail, ok
from .recorded import NOT_RETURNED, call_problem, definition_problem, kind, records, returned, show

DEFINITION = ("nearest rank: sort the values; the p-th percentile is the value at rank "
              "`ceil(p / 100 * n)`, counting from 1")
HINT = "Sort a copy, find the rank as the step defines it, and remember ranks count from 1."
LINE = '''def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]'''


def nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def _inputs(record: dict) -> tuple[list, float]:
    values = record.get("values")
    return (values if isinstance(values, list) else []), record.get("p", 0)


@check("7", "percentile_runs", "`percentile(values, p)` returns one of the values",
       reads=("percentile",), line=LINE)
def percentile_runs(snap: Snapshot) -> Finding:
    problem = definition_problem(snap.facts.get("percentile"), "percentile",
                                 "percentile(values, p)", HINT)
    if problem:
        return problem
    for record in records(snap, "percentile_calls"):
        values, p = _inputs(record)
        call = f"percentile({values}, {p})"
        if record.get("outcome") == "raised" and "IndexError" in str(record.get("error")):
            return fail(f"`{call}` stopped with `{record.get('error')}`: the rank is counted from "
                        "1, the list index from 0.", HINT)
        problem = call_problem(record, call, HINT)
        if problem:
            return problem
        value = returned(record)
        if type(value) not in (int, float):
            shown = "nothing" if value is NOT_RETURNED else kind(value)
            return fail(f"`{call}` returned {shown}, not a number.", HINT)
        if value not in values:
            return fail(f"`{call}` is {show(value)}, which is not one of the values: that is an "
                        "interpolated percentile (numpy's default). This course uses "
                        f"{DEFINITION}, so a p99 is a latency some request really had.", HINT)
    return ok("`percentile` returns one of the measured values.")


@check("7", "nearest_rank", f"it follows the stated definition ({DEFINITION})",
       needs=("percentile_runs",), line=LINE)
def nearest_rank_check(snap: Snapshot) -> Finding:
    for record in records(snap, "percentile_calls"):
        values, p = _inputs(record)
        value, want = returned(record), nearest_rank(values, p)
        if values == sorted(values) and value != want:
            return fail(f"`percentile({values}, {p})` is {show(value)}; by {DEFINITION} it is "
                        f"{want}.", HINT)
    return ok("Sorted latencies match nearest rank (e.g. p30 of [15, 20, 35, 40, 50] is 20).")


@check("7", "percentile_sorted", "it sorts first: percentiles of unsorted latencies are right",
       needs=("nearest_rank",), line=LINE)
def percentile_sorted(snap: Snapshot) -> Finding:
    for record in records(snap, "percentile_calls"):
        values, p = _inputs(record)
        value = returned(record)
        if value != nearest_rank(values, p):
            return fail(f"`percentile({values}, {p})` is {show(value)}, but it is "
                        f"{nearest_rank(values, p)}: latencies arrive in the order requests "
                        "finished, not sorted, and your function took them as they came.",
                        "What has to happen to the values before you count ranks?")
    return ok("Unsorted latencies give the same percentiles as sorted ones.")


@check("7", "leaves_input", "it leaves the caller's list as it was", needs=("percentile_runs",),
       line=LINE)
def leaves_input(snap: Snapshot) -> Finding:
    if any(r.get("mutated") for r in records(snap, "percentile_calls")):
        return fail("`percentile` reordered the list it was given (`values.sort()` sorts in "
                    "place): the latencies are no longer in request order for the next figure.",
                    "One of Python's two ways to sort makes a sorted copy.")
    return ok("The latencies passed in are left untouched.")


CAPACITY_CALL = "capacity(latencies, budget_ms)"
CAPACITY_HINT = ("Go through the client counts; keep the largest whose p99 latency is within "
                 "the budget.")
CAPACITY_LINE = '''def capacity(latencies, budget_ms):
    return max((clients for clients, measured in latencies.items()
                if percentile(measured, 99) <= budget_ms), default=0)'''

Levels = list[tuple[int, list[float]]]


def _levels(record: dict) -> Levels:
    levels = record.get("levels")
    return [(lv[0], lv[1]) for lv in levels if isinstance(lv, list) and len(lv) == 2
            and isinstance(lv[1], list) and lv[1]] if isinstance(levels, list) else []


def _largest_within(levels: Levels, budget: float, stat: Callable[[list[float]], float],
                    within: Callable[[float, float], bool] = lambda v, b: v <= b) -> int:
    return max((clients for clients, measured in levels if within(stat(measured), budget)),
               default=0)


def _first_break(levels: Levels, budget: float) -> int:
    broken = [c for c, m in sorted(levels) if nearest_rank(m, 99) > budget]
    return broken[0] if broken else 0


def _in_order(levels: Levels, budget: float) -> int:
    best = 0
    for clients, measured in levels:  # as given, stopping at the first that breaks
        if nearest_rank(measured, 99) > budget:
            break
        best = clients
    return best


def _p(q: float) -> Callable[[list[float]], float]:
    return lambda values: nearest_rank(values, q)


# (what the learner's answers match, in words): the right rule first.
CAPACITY_RULES: tuple[tuple[str, Callable[[Levels, float], int]], ...] = (
    ("right", lambda lv, b: _largest_within(lv, b, _p(99))),
    ("the mean latency, which hides the slowest customers", lambda lv, b: _largest_within(
        lv, b, lambda m: sum(m) / len(m))),
    ("p50, the median: half the customers waited longer", lambda lv, b: _largest_within(
        lv, b, _p(50))),
    ("p95: one customer in twenty, not one in a hundred", lambda lv, b: _largest_within(
        lv, b, _p(95))),
    ("the slowest single request (p100), which one unlucky request decides",
     lambda lv, b: _largest_within(lv, b, max)),
    ("`<` the budget: a p99 exactly at the budget is within it (`<=`)",
     lambda lv, b: _largest_within(lv, b, _p(99), lambda v, budget: v < budget)),
    ("the first client count that breaks the budget, not the last that holds", _first_break),
    ("the order the measurements came in: look at every client count, not just the ones "
     "before the first that breaks", _in_order),
)


def _capacity_text(record: dict) -> str:
    shown = ", ".join(f"{c}: {len(m)} latencies" for c, m in _levels(record))
    return f"`capacity({{{shown}}}, {record.get('budget_ms')})`"


@check("7", "capacity", f"`{CAPACITY_CALL}` is the most concurrent clients whose p99 stays "
       "within the budget", reads=("capacity",), line=CAPACITY_LINE)
def capacity(snap: Snapshot) -> Finding:
    problem = definition_problem(snap.facts.get("capacity"), "capacity", CAPACITY_CALL,
                                 CAPACITY_HINT)
    if problem:
        return problem
    calls = records(snap, "capacity_calls")
    answers = []
    for record in calls:
        problem = call_problem(record, _capacity_text(record).strip("`"), CAPACITY_HINT)
        if problem:
            return problem
        value = returned(record)
        if value is None:
            value = 0  # "no count is within the budget" said as None is fine
        if type(value) is not int:
            shown = "nothing" if value is NOT_RETURNED else f"{kind(value)} {show(value)}"
            return fail(f"{_capacity_text(record)} returned {shown}; answer a number of "
                        "clients (0 when none is within the budget).", CAPACITY_HINT)
        answers.append(value)
    expected = {name: [rule(_levels(r), r.get("budget_ms", 0)) for r in calls]
                for name, rule in CAPACITY_RULES}
    if answers == expected["right"]:
        return ok("`capacity` finds the most clients whose p99 is within the budget.")
    for name, values in expected.items():
        if name != "right" and answers == values:
            return fail(f"`capacity` answers as if judged by {name}.", CAPACITY_HINT)
    wrong = next(i for i, (a, b) in enumerate(zip(answers, expected["right"], strict=True))
                 if a != b)
    return fail(f"{_capacity_text(calls[wrong])} is {answers[wrong]}; by p99 it is "
                f"{expected['right'][wrong]}.", CAPACITY_HINT)
