"""Step 6's probe: the learner's skew measure, their serving path and their endpoint.

`skew_share(customers, serving_feature)` is handed serving paths the probe makes (the feature as
stored, rounded, as a percentage), so the right share is known. The learner's own
`serving_feature` and `app` are asked about customers put into their online table for the
call (and taken out again), with `threshold` and `MODEL_VERSION` set as each request says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .calls import (
    call,
    defined,
    entries_added,
    function,
    model_is_route,
    names_set,
    returned,
)
from .questions import ServingQuestions, as_data

ONLINE_TABLE = "online_features"


def serving_path(name: str, table: dict) -> Callable[[int], float]:
    """A serving path by name (see questions.SERVING_PATHS), reading `table`."""
    if name == "rounded":
        return lambda customer_id: round(table[customer_id], 1)
    if name == "percent":
        return lambda customer_id: table[customer_id] * 100
    return lambda customer_id: table[customer_id]


def _skew_calls(func: Any, namespace: dict, questions: ServingQuestions) -> list[dict]:
    calls = []
    for path, count in questions.skew_calls:
        customers = [tuple(c) for c in questions.customers[:count]]
        given = list(customers)
        with names_set(namespace, {"threshold": questions.threshold}):
            record, value = call(func, given, serving_path(path, dict(customers)))
        calls.append(returned({**record, "path": path, "customers": [list(c) for c in customers],
                               "threshold": questions.threshold}, value))
        if record["outcome"] == "timeout":
            break
    return calls


def _serving_calls(func: Any, namespace: dict, questions: ServingQuestions) -> dict:
    online = dict(questions.online)
    calls = []
    with entries_added(namespace.get(ONLINE_TABLE), online) as is_table:
        for customer_id, feature in questions.online:
            record, value = call(func, customer_id)
            calls.append(returned({**record, "customer_id": customer_id, "stored": feature},
                                  value))
    return {"table_is_dict": is_table, "calls": calls}


def _replies(app: Any, namespace: dict, questions: ServingQuestions) -> dict:
    from .asgi import get

    replies = {}
    base = {"threshold": questions.threshold, "MODEL_VERSION": questions.model_version}
    with entries_added(namespace.get(ONLINE_TABLE), dict(questions.online)):
        for ask in questions.asks:
            swaps = dict(base)
            if ask.threshold is not None:
                swaps["threshold"] = ask.threshold
            if ask.model_version is not None:
                swaps["MODEL_VERSION"] = ask.model_version
            with names_set(namespace, swaps):
                record, reply = call(get, app, ask.path, seconds=3.0)
            if record["outcome"] == "returned" and isinstance(reply, dict):
                record.update(reply)
            record.update(path=ask.path, threshold=swaps["threshold"],
                          model_version=swaps["MODEL_VERSION"])
            replies[ask.name] = record
            if record["outcome"] == "timeout":
                break  # it would again
    return replies


def serving_facts(namespace: dict, questions: ServingQuestions) -> dict:
    facts: dict[str, Any] = {"skew": defined(namespace, "skew_share"),
                             "serving": defined(namespace, "serving_feature"),
                             "model_is_route": model_is_route(namespace),
                             "questions": as_data(questions)}
    skew = function(namespace, "skew_share")
    if skew is not None:
        facts["skew_calls"] = _skew_calls(skew, namespace, questions)
    serving = function(namespace, "serving_feature")
    if serving is not None:
        facts["serving_calls"] = _serving_calls(serving, namespace, questions)
    facts["app"] = _app_facts(namespace, questions)
    return facts


def _app_facts(namespace: dict, questions: ServingQuestions) -> dict:
    app = namespace.get("app")
    if "app" not in namespace:
        return {"defined": False}
    fact: dict[str, Any] = {"defined": True, "type": type(app).__name__[:60]}
    try:
        from fastapi import FastAPI
    except ImportError:
        return {**fact, "fastapi_missing": True}
    fact["is_fastapi"] = isinstance(app, FastAPI)
    if fact["is_fastapi"]:
        fact["replies"] = _replies(app, namespace, questions)
    return fact
