"""Step 7: the learner's `percentile(values, p)` (nearest rank) and `lookup(conn, customer_id)`
in the stored table. Timings themselves are never judged: they differ on every machine."""

from __future__ import annotations

import math

from ..part2.probe import LOOKUP_CALLS, PERCENTILE_CALLS, STORED
from ..snapshot import Snapshot
from . import Finding, check, fail, ok
from .recorded import NOT_RETURNED, call_problem, definition_problem, kind, returned, show

DEFINITION = ("nearest rank: sort the values; the p-th percentile is the value at rank "
              "`ceil(p / 100 * n)`, counting from 1")
HINT = ("`ordered = sorted(values)`, `rank = math.ceil(p / 100 * len(ordered))`, "
        "`return ordered[rank - 1]`.")


def nearest_rank(values: tuple[float, ...], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def _calls(snap: Snapshot) -> list:
    calls = snap.facts.get("percentile_calls")
    return calls if isinstance(calls, list) else []


@check("7", "percentile_runs", "`percentile(values, p)` returns one of the values",
       reads=("percentile",))
def percentile_runs(snap: Snapshot) -> Finding:
    problem = definition_problem(snap.facts.get("percentile"), "percentile",
                                 "percentile(values, p)", HINT)
    if problem:
        return problem
    for (values, p), record in zip(PERCENTILE_CALLS, _calls(snap), strict=False):
        call = f"percentile({list(values)}, {p})"
        if isinstance(record, dict) and record.get("outcome") == "raised" and \
                "IndexError" in str(record.get("error")):
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
       needs=("percentile_runs",))
def nearest_rank_check(snap: Snapshot) -> Finding:
    for (values, p), record in zip(PERCENTILE_CALLS, _calls(snap), strict=False):
        value, want = returned(record), nearest_rank(values, p)
        if list(values) == sorted(values) and value != want:
            return fail(f"`percentile({list(values)}, {p})` is {show(value)}; by {DEFINITION} "
                        f"it is {want}.", HINT)
    return ok("Sorted latencies match nearest rank (e.g. p30 of [15, 20, 35, 40, 50] is 20).")


@check("7", "percentile_sorted", "it sorts first: percentiles of unsorted latencies are right",
       needs=("nearest_rank",))
def percentile_sorted(snap: Snapshot) -> Finding:
    for (values, p), record in zip(PERCENTILE_CALLS, _calls(snap), strict=False):
        value = returned(record)
        if value != nearest_rank(values, p):
            return fail(f"`percentile({list(values)}, {p})` is {show(value)}, but it is "
                        f"{nearest_rank(values, p)}: latencies arrive in the order requests "
                        "finished, not sorted, and your function took them as they came.",
                        "Sort a copy first: `ordered = sorted(values)`.")
    return ok("Unsorted latencies give the same percentiles as sorted ones.")


@check("7", "leaves_input", "it leaves the caller's list as it was", needs=("percentile_runs",))
def leaves_input(snap: Snapshot) -> Finding:
    if any(isinstance(r, dict) and r.get("mutated") for r in _calls(snap)):
        return fail("`percentile` reordered the list it was given (`values.sort()` sorts in "
                    "place): the latencies are no longer in request order for the next figure.",
                    "Use `sorted(values)`, which makes a sorted copy.")
    return ok("The latencies passed in are left untouched.")


LOOKUP_HINT = ("`row = conn.execute(\"SELECT churn FROM predictions WHERE customer_id = ?\", "
               "(customer_id,)).fetchone()`, then `None` if `row is None` else `bool(row[0])`.")
STORED_CHURN = {cid: bool(churn) for cid, _, churn in STORED}


@check("7", "lookup", "`lookup(conn, customer_id)` reads the stored answer: a bool, or None "
       "for an unknown customer", reads=("lookup",))
def lookup(snap: Snapshot) -> Finding:
    problem = definition_problem(snap.facts.get("lookup"), "lookup", "lookup(conn, customer_id)",
                                 LOOKUP_HINT)
    if problem:
        return problem
    calls = snap.facts.get("lookup_calls")
    for customer_id, record in zip(LOOKUP_CALLS, calls if isinstance(calls, list) else [],
                                   strict=False):
        call = f"lookup(conn, {customer_id})"
        want = STORED_CHURN.get(customer_id)
        if want is None and isinstance(record, dict) and record.get("outcome") == "raised":
            return fail(f"`{call}` for a customer the table doesn't hold stopped with "
                        f"`{record.get('error')}`. The batch table never has everyone (new "
                        "customers!): answer `None`.", LOOKUP_HINT)
        problem = call_problem(record, call, LOOKUP_HINT)
        if problem:
            return problem
        value = returned(record)
        if want is None:
            if value is not None:
                return fail(f"`{call}` (not in the table) is {show(value)}; answer `None`, so "
                            "\"no stored answer\" is not mistaken for \"no churn\".", LOOKUP_HINT)
            continue
        if isinstance(value, (tuple, list)):
            return fail(f"`{call}` returned the whole row {show(value)}; return just the churn "
                        "value, as a bool.", LOOKUP_HINT)
        if type(value) is int and value in (0, 1):
            return fail(f"`{call}` returned {value}: SQLite stores bools as 1/0. Turn it back "
                        "into `True`/`False` with `bool(...)`.", LOOKUP_HINT)
        if value is not want:
            return fail(f"`{call}` is {show(value)}, but the table stores {want} for customer "
                        f"{customer_id}. Read the `churn` column of that customer's row; don't "
                        "score again.", LOOKUP_HINT)
    return ok("`lookup` answers from the stored table, and `None` for an unknown customer.")
