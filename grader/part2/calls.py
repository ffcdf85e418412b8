"""Calling learner code for Part 2's probe: under a time limit, with names of its globals set
for the call and always restored, answering plain records."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from ..deadline import TimeUp, time_limit
from ..values import describe

CALL_SECONDS = 1.5
MISSING = object()


def error_text(err: BaseException) -> str:
    try:
        detail = str(err)
    except BaseException:
        detail = ""
    return (f"{type(err).__name__}: {detail}" if detail else type(err).__name__)[:300]


def call(func: Any, *args: Any, seconds: float = CALL_SECONDS, **kwargs: Any) -> tuple[dict,
                                                                                       Any]:
    """(outcome record, returned value): learner code, stopped after `seconds`."""
    try:
        with time_limit(seconds):
            value = func(*args, **kwargs)
    except TimeUp:
        return {"outcome": "timeout"}, None
    except BaseException as err:  # the learner's, not ours: SystemExit and KeyboardInterrupt too
        return {"outcome": "raised", "error": error_text(err)}, None
    return {"outcome": "returned"}, value


def plain(value: Any) -> Any:
    """A numpy scalar (np.float64 from np.percentile, np.bool_) as the Python value it is."""
    kind = type(value)
    if getattr(kind, "__module__", "") == "numpy" and hasattr(value, "item") and \
            getattr(value, "shape", None) == ():
        try:
            return value.item()
        except BaseException:
            return value
    return value


def returned(record: dict, value: Any) -> dict:
    """`record` with the described value added when the call returned."""
    if record["outcome"] == "returned":
        try:
            record["value"] = describe(plain(value))
        except BaseException as err:  # a learner container whose iteration raises
            record["value"] = {"t": "object", "type": "unreadable", "text": error_text(err)}
    return record


def function(namespace: Mapping, name: str) -> Any:
    """The learner's `name` when it can be called (a class is not a function here)."""
    value = namespace.get(name, MISSING)
    return value if callable(value) and not isinstance(value, type) else None


def defined(namespace: Mapping, name: str) -> dict:
    value = namespace.get(name, MISSING)
    if value is MISSING:
        return {"defined": False}
    return {"defined": True, "callable": callable(value), "type": type(value).__name__[:60]}


@contextlib.contextmanager
def names_set(home: Any, values: Mapping[str, Any]) -> Iterator[None]:
    """Set `values` in the globals `home` for the block; afterwards each name holds what it
    held before, or is gone again if it wasn't there."""
    with entries_added(home, values):
        yield


@contextlib.contextmanager
def entries_added(table: Any, entries: Mapping[Any, Any]) -> Iterator[bool]:
    """Put `entries` into the learner's dict `table` for the block (True when it is a dict),
    then give back each key's old value, or remove the key."""
    if not isinstance(table, dict):
        yield False
        return
    saved = {key: table.get(key, MISSING) for key in entries}
    table.update(entries)
    try:
        yield True
    finally:
        for key, value in saved.items():
            if value is MISSING:
                table.pop(key, None)
            else:
                table[key] = value


def globals_of(func: Any) -> dict | None:
    """The globals a learner function reads its names from (None for other callables)."""
    try:
        home = getattr(func, "__globals__", None)
    except BaseException:
        return None
    return home if isinstance(home, dict) else None


def model_is_route(namespace: Mapping) -> bool:
    """True when the learner's `predict` is the function behind one of their app's routes:
    `@app.get(...)` on `def predict(...)` replaced the model with the endpoint."""
    model = namespace.get("predict")
    try:
        routes = list(getattr(namespace.get("app"), "routes", None) or [])[:50]
        return model is not None and any(getattr(r, "endpoint", None) is model for r in routes)
    except BaseException:
        return False
