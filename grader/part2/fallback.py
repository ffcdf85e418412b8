"""Step 8's probe: the learner's fallback against an endpoint that is up, down, slow or failing
(see `scenario_endpoint`), answering from a small stored table through the given `lookup`, and
their cost per used prediction on fixed figures.

For each fallback call the names the step tells the learner to use, `conn` (the stored table)
and `ENDPOINT_URL`, are set in the function's globals for that call and restored right after.
"""

from __future__ import annotations

import socket
import sqlite3
import time
from typing import Any

from .calls import call, defined, function, globals_of, names_set, returned
from .questions import FallbackQuestions
from .scenario_endpoint import scenario_endpoint

SLOW_SECONDS = 2.0  # how long a call may wait for an endpoint that never answers


def stored_table(rows: tuple[tuple[int, float, int], ...]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.execute("CREATE TABLE predictions (customer_id INTEGER PRIMARY KEY, feature REAL, "
                 "churn INTEGER, model_version TEXT, scored_at TEXT)")
    conn.executemany("INSERT INTO predictions VALUES (?, ?, ?, 'v1', '2024-01-01T02:00:00')",
                     rows)
    conn.commit()
    return conn


def _fallback_call(func: Any, questions: FallbackQuestions, scenario: str,
                   customer_id: int) -> dict:
    home = globals_of(func)
    conn = stored_table(questions.stored)
    try:
        with scenario_endpoint(scenario, dict(questions.live)) as (url, heard):
            with names_set(home, {"conn": conn, "ENDPOINT_URL": url}):
                started = time.perf_counter()
                record, value = call(func, customer_id, seconds=SLOW_SECONDS)
                elapsed = time.perf_counter() - started
    finally:
        conn.close()
    return returned({**record, "scenario": scenario, "customer_id": customer_id,
                     "seconds": round(elapsed, 3), "limit": SLOW_SECONDS,
                     "requests": heard.requests,
                     "attempts": heard.attempts, "timeouts": heard.timeouts,
                     "default_timeout": socket.getdefaulttimeout()}, value)


def _cost_calls(func: Any, questions: FallbackQuestions) -> list[dict]:
    calls = []
    for scored, per_second, used, price in questions.cost_calls:
        record, value = call(func, scored, per_second, used, price)
        calls.append(returned({**record, "scored": scored, "per_second": per_second,
                               "used": used, "price_per_hour": price}, value))
    return calls


def fallback_facts(namespace: dict, questions: FallbackQuestions) -> dict:
    facts: dict[str, Any] = {"lookup": defined(namespace, "lookup"),
                             "fallback": defined(namespace, "predict_with_fallback"),
                             "cost": defined(namespace, "cost_per_used"),
                             "stored": [list(r) for r in questions.stored],
                             "live": [list(r) for r in questions.live],
                             "timeout_cap": questions.timeout_cap}
    fallback = function(namespace, "predict_with_fallback")
    if fallback is not None:
        if globals_of(fallback) is None:
            facts["fallback"]["not_a_function"] = True
        else:
            facts["fallback_calls"] = [_fallback_call(fallback, questions, scenario, cid)
                                       for scenario, cid in questions.scenarios]
    cost = function(namespace, "cost_per_used")
    if cost is not None:
        facts["cost_calls"] = _cost_calls(cost, questions)
    return facts
