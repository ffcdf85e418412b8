"""Part 2's probe: what the learner's batch job, endpoint, percentile and fallback *do*.

Runs beside learner code, like `grader/probe.py` (which calls `gather_facts` for steps 5-8), and
returns plain JSON-able facts: a sample of the table their job wrote into a fresh in-memory
SQLite database (and how many transactions it took), their app's replies to fixed requests
(in memory, see `asgi.py`), their `percentile` on fixed inputs, their fallback against an
endpoint that is up, down, slow or failing. The checks judge these facts; nothing here judges.
"""

from __future__ import annotations

import inspect
import sqlite3
import types
from typing import Any

from ..deadline import TimeUp, time_limit
from ..values import describe

CALL_SECONDS = 1.5
MAX_ROWS = 60
MAX_SOURCE = 6000

# 40 customers the grader scores with the learner's job: features include the threshold itself.
PROBE_CUSTOMERS: tuple[tuple[int, float], ...] = tuple(
    (9001 + i, round(((i * 37) % 40) / 40 + 0.0125, 4)) for i in range(37)
) + ((9038, 0.6), (9039, 0.59), (9040, 0.61))
VECTOR_FEATURES = (0.2, 0.8, 0.5, 0.9, 0.6, 0.59, 0.61, 0.0, 1.0)
RATE_CALLS = ((100_000, 2.0), (1_000, 0.5), (5, 0.25))
LATENCIES = (15, 20, 35, 40, 50)
PERCENTILE_CALLS: tuple[tuple[tuple[float, ...], float], ...] = (
    (LATENCIES, 30), (LATENCIES, 40), (LATENCIES, 50), (LATENCIES, 100),
    ((50, 15, 40, 20, 35), 50), ((50, 15, 40, 20, 35), 100), ((50, 15, 40, 20, 35), 20),
    (tuple(range(1, 11)), 95), (tuple(range(1, 11)), 99), ((7,), 99),
)
# The stored table the lookup and the fallback read: 105 was stored as "no churn" last night.
STORED = ((101, 0.2, 0), (102, 0.8, 1), (105, 0.55, 0))
LOOKUP_CALLS = (105, 102, 101, 999)
SHARE_CALLS: tuple[tuple[tuple[bool, ...], tuple[bool, ...]], ...] = (
    ((True, False, True, False), (True, True, True, True)),
    ((False, False, True), (False, False, True)),
    ((), ()),
)
# (scenario, customer_id, feature): see `_FakeHttpx` for what each scenario does.
FALLBACK_CALLS = (("up", 105, 0.7), ("down", 105, 0.7), ("slow", 105, 0.7),
                  ("error", 105, 0.7), ("down", 107, 0.9))
_MISSING = object()


def _error_text(err: BaseException) -> str:
    try:
        detail = str(err)
    except BaseException:
        detail = ""
    return (f"{type(err).__name__}: {detail}" if detail else type(err).__name__)[:300]


def _call(func: Any, *args: Any, seconds: float = CALL_SECONDS, **kwargs: Any) -> tuple[dict,
                                                                                        Any]:
    """(outcome record, returned value): learner code, stopped after `seconds`."""
    try:
        with time_limit(seconds):
            value = func(*args, **kwargs)
    except TimeUp:
        return {"outcome": "timeout"}, None
    except BaseException as err:
        return {"outcome": "raised", "error": _error_text(err)}, None
    return {"outcome": "returned"}, value


def _plain(value: Any) -> Any:
    """A numpy scalar (np.float64 from np.percentile, np.bool_) as the Python value it is."""
    kind = type(value)
    if getattr(kind, "__module__", "") == "numpy" and hasattr(value, "item") and \
            getattr(value, "shape", None) == ():
        try:
            return value.item()
        except BaseException:
            return value
    return value


def _source(func: Any) -> str:
    try:
        return inspect.getsource(func)[:MAX_SOURCE]
    except BaseException:
        return ""


def _callable(namespace: dict, name: str) -> Any:
    value = namespace.get(name, _MISSING)
    return value if callable(value) and not isinstance(value, type) else None


def _defined(namespace: dict, name: str) -> dict:
    value = namespace.get(name, _MISSING)
    if value is _MISSING:
        return {"defined": False}
    return {"defined": True, "callable": callable(value), "type": type(value).__name__[:60],
            "source": _source(value) if callable(value) else ""}


# ---- step 5: the batch job ------------------------------------------------------------------

def _cell(value: Any) -> list:
    """A stored SQLite value as [JSON value, SQLite type]."""
    if isinstance(value, bytes):
        return [value[:40].hex(), "blob"]
    if isinstance(value, str):
        return [value[:100], "text"]
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        kind = {type(None): "null", int: "integer", float: "real"}.get(type(value), "integer")
        return [value, kind]
    return [str(value)[:100], "text"]


def table_facts(conn: sqlite3.Connection) -> dict:
    """The shape and a sample of `predictions` as the learner's job left it."""
    try:
        info = conn.execute("PRAGMA table_info(predictions)").fetchall()
        if not info:
            return {"exists": False}
        columns = [[str(r[1])[:60], str(r[2])[:30], int(r[5])] for r in info][:20]
        count = conn.execute("SELECT COUNT(*) FROM predictions").fetchone()[0]
        names = [c[0] for c in columns]
        wanted = [n for n in ("customer_id", "feature", "churn", "model_version", "scored_at")
                  if n in names]
        rows = []
        if "customer_id" in names:
            cursor = conn.execute(f"SELECT {', '.join(wanted)} FROM predictions "
                                  f"ORDER BY customer_id LIMIT {MAX_ROWS}")
            rows = [dict(zip(wanted, map(_cell, row), strict=True)) for row in cursor]
        return {"exists": True, "columns": columns, "count": int(count), "rows": rows}
    except sqlite3.Error as err:
        return {"exists": True, "error": _error_text(err)}


def _run_job(job: Any, conn: sqlite3.Connection, version: str) -> dict:
    counts = {"begin": 0, "commit": 0, "statements": 0}

    def trace(statement: str) -> None:
        word = statement.lstrip()[:6].upper()
        counts["statements"] += 1
        if word.startswith("BEGIN"):
            counts["begin"] += 1
        elif word.startswith(("COMMIT", "END")):
            counts["commit"] += 1

    conn.set_trace_callback(trace)
    record, _ = _call(job, conn, [tuple(c) for c in PROBE_CUSTOMERS], version, seconds=3.0)
    record.update(counts)
    try:
        conn.set_trace_callback(None)
        record["open_transaction"] = conn.in_transaction
        if conn.in_transaction:
            conn.rollback()  # what another connection would see: only committed rows
    except sqlite3.Error as err:  # e.g. the job closed the connection it was lent
        record["connection_error"] = _error_text(err)
        return record
    record["table"] = table_facts(conn)
    return record


def _vector_facts(func: Any) -> dict:
    import numpy as np

    iterated = []

    class Watched(np.ndarray):
        """An array that notices a Python loop over it (vectorised code never iterates)."""

        def __iter__(self) -> Any:
            iterated.append(True)
            return super().__iter__()

    features = np.array(VECTOR_FEATURES).view(Watched)
    home = getattr(func, "__globals__", None)
    model = home.get("predict") if isinstance(home, dict) else None
    calls = [0]

    def counted(*args: Any, **kwargs: Any) -> Any:  # the model called once per customer?
        calls[0] += 1
        return model(*args, **kwargs)  # type: ignore[misc]

    if callable(model):
        home["predict"] = counted  # type: ignore[index]
    try:
        record, value = _call(func, features)
    finally:
        if callable(model):
            home["predict"] = model  # type: ignore[index]
    record["predict_calls"] = calls[0]
    record["looped"] = bool(iterated)  # before we read the result (which may be Watched too)
    if record["outcome"] == "returned":
        value = value.view(np.ndarray) if isinstance(value, Watched) else value
        record["type"] = type(value).__name__[:60]
        record["is_array"] = isinstance(value, np.ndarray)
        record["dtype"] = str(getattr(value, "dtype", ""))[:30]
        try:
            record["values"] = [describe(v.item() if hasattr(v, "item") else v)
                                for v in list(value)[:20]]
        except BaseException as err:
            record["values_error"] = _error_text(err)
    return record


def batch_facts(namespace: dict) -> dict:
    facts: dict[str, Any] = {"job": _defined(namespace, "run_batch_job"),
                             "vectorised": _defined(namespace, "predict_vectorised"),
                             "rate": _defined(namespace, "rows_per_second")}
    job = _callable(namespace, "run_batch_job")
    if job is not None:
        conn = sqlite3.connect(":memory:")
        try:
            facts["first"] = _run_job(job, conn, "probe-v1")
            if facts["first"].get("outcome") == "returned" and \
                    "connection_error" not in facts["first"]:
                facts["second"] = _run_job(job, conn, "probe-v2")
        finally:
            conn.close()
    vectorised = _callable(namespace, "predict_vectorised")
    if vectorised is not None:
        facts["vector_call"] = _vector_facts(vectorised)
    rate = _callable(namespace, "rows_per_second")
    if rate is not None:
        calls = []
        for rows, seconds in RATE_CALLS:
            record, value = _call(rate, rows, seconds)
            if record["outcome"] == "returned":
                record["value"] = describe(_plain(value))
            calls.append(record)
        facts["rate_calls"] = calls
    return facts


# ---- step 6: the endpoint -------------------------------------------------------------------

REQUESTS = (
    ("churns", "/predict?customer_id=105&feature=0.7"),
    ("stays", "/predict?customer_id=101&feature=0.2"),
    ("at_threshold", "/predict?customer_id=106&feature=0.6"),
    ("no_feature", "/predict?customer_id=105"),
    ("text_feature", "/predict?customer_id=105&feature=abc"),
    ("no_customer", "/predict?feature=0.7"),
)


def endpoint_facts(namespace: dict) -> dict:
    app = namespace.get("app", _MISSING)
    if app is _MISSING:
        return {"app": {"defined": False}}
    facts: dict[str, Any] = {"app": {"defined": True, "type": type(app).__name__[:60]}}
    try:
        from fastapi import FastAPI
    except ImportError:
        facts["app"]["fastapi_missing"] = True
        return facts
    facts["app"]["is_fastapi"] = isinstance(app, FastAPI)
    if not isinstance(app, FastAPI):
        return facts
    from .asgi import get

    replies = {}
    for name, path in REQUESTS:
        record, reply = _call(get, app, path, seconds=3.0)
        if record["outcome"] == "returned" and isinstance(reply, dict):
            record.update(reply)
        replies[name] = record
        if record["outcome"] == "timeout":
            break  # it would again
    facts["replies"] = replies
    return facts


# ---- step 7: percentiles and the stored-table lookup ----------------------------------------

def _stored_table() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.execute("CREATE TABLE predictions (customer_id INTEGER PRIMARY KEY, feature REAL, "
                 "churn INTEGER, model_version TEXT, scored_at TEXT)")
    conn.executemany("INSERT INTO predictions VALUES (?, ?, ?, 'v1', '2024-01-01T02:00:00')",
                     STORED)
    conn.commit()
    return conn


def measure_facts(namespace: dict) -> dict:
    facts: dict[str, Any] = {"percentile": _defined(namespace, "percentile"),
                             "lookup": _defined(namespace, "lookup")}
    percentile = _callable(namespace, "percentile")
    if percentile is not None:
        calls = []
        for values, p in PERCENTILE_CALLS:
            given = list(values)
            record, value = _call(percentile, given, p)
            if record["outcome"] == "returned":
                record["value"] = describe(_plain(value))
            record["mutated"] = given != list(values)
            calls.append(record)
            if record["outcome"] == "timeout":
                break
        facts["percentile_calls"] = calls
    lookup = _callable(namespace, "lookup")
    if lookup is not None:
        conn = _stored_table()
        try:
            calls = []
            for customer_id in LOOKUP_CALLS:
                record, value = _call(lookup, conn, customer_id)
                if record["outcome"] == "returned":
                    record["value"] = describe(_plain(value))
                calls.append(record)
        finally:
            conn.close()
        facts["lookup_calls"] = calls
    return facts


# ---- step 8: freshness and the fallback -----------------------------------------------------

class _Reply:
    """What `httpx.get` returns, as far as a fallback needs it."""

    def __init__(self, status: int, body: dict) -> None:
        self.status_code = status
        self._body = body
        self.is_success = 200 <= status < 300
        self.is_error = not self.is_success

    def json(self) -> dict:
        return dict(self._body)

    def raise_for_status(self) -> _Reply:
        import httpx

        if self.is_error:
            request = httpx.Request("GET", "http://endpoint.test/predict")
            raise httpx.HTTPStatusError(f"Server error '{self.status_code}'", request=request,
                                        response=httpx.Response(self.status_code,
                                                                request=request))
        return self


def _fake_httpx(scenario: str, seen: list) -> types.ModuleType:
    """The real `httpx` module with its `get` replaced: the endpoint is up, down, slow (it
    never answers: only a timeout gets the caller out) or failing with a 500."""
    import time

    import httpx

    fake = types.ModuleType("httpx")
    fake.__dict__.update(httpx.__dict__)

    def get(url: Any, *args: Any, params: Any = None, timeout: Any = _MISSING,
            **kwargs: Any) -> _Reply:
        limit = None if timeout is _MISSING else timeout
        seen.append({"timeout": describe(limit if isinstance(limit, (int, float)) or limit is None
                                         else str(limit)[:40]),
                     "timeout_given": timeout is not _MISSING})
        request = httpx.Request("GET", "http://endpoint.test/predict")
        if scenario == "down":
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if scenario == "slow":
            wait = limit if isinstance(limit, (int, float)) and not isinstance(limit, bool) \
                else (5.0 if timeout is _MISSING else 3600.0)  # httpx's default is 5 s
            time.sleep(min(wait, 3600.0))
            raise httpx.ReadTimeout("timed out", request=request)
        if scenario == "error":
            return _Reply(500, {"detail": "Internal Server Error"})
        customer = params.get("customer_id") if isinstance(params, dict) else None
        feature = params.get("feature") if isinstance(params, dict) else None
        try:
            churn = float(feature) > 0.6
        except (TypeError, ValueError):
            churn = True  # a URL built by hand: the live answer for customer 105 at 0.7
        return _Reply(200, {"customer_id": customer if customer is not None else 105,
                            "churn": churn})

    fake.get = get  # type: ignore[attr-defined]
    return fake


def _swapped(home: dict, values: dict) -> dict:
    saved = {name: home.get(name, _MISSING) for name in values}
    home.update(values)
    return saved


def _restore(home: dict, saved: dict) -> None:
    for name, value in saved.items():
        if value is _MISSING:
            home.pop(name, None)
        else:
            home[name] = value


def fallback_facts(namespace: dict) -> dict:
    facts: dict[str, Any] = {"share": _defined(namespace, "share_wrong"),
                             "fallback": _defined(namespace, "predict_with_fallback"),
                             "lookup": _defined(namespace, "lookup")}  # the fallback's answer
    share = _callable(namespace, "share_wrong")
    if share is not None:
        calls = []
        for stored, live in SHARE_CALLS:
            record, value = _call(share, list(stored), list(live))
            if record["outcome"] == "returned":
                record["value"] = describe(_plain(value))
            calls.append(record)
        facts["share_calls"] = calls
    fallback = _callable(namespace, "predict_with_fallback")
    if fallback is None:
        return facts
    try:
        home = getattr(fallback, "__globals__", None)
    except Exception:
        home = None
    if not isinstance(home, dict):
        facts["not_a_function"] = True
        return facts
    calls = []
    for scenario, customer_id, feature in FALLBACK_CALLS:
        seen: list = []
        conn = _stored_table()
        saved = _swapped(home, {"httpx": _fake_httpx(scenario, seen), "conn": conn,
                                "ENDPOINT_URL": "http://endpoint.test"})
        try:
            record, value = _call(fallback, customer_id, feature, seconds=CALL_SECONDS)
        finally:
            _restore(home, saved)
            conn.close()
        if record["outcome"] == "returned":
            record["value"] = describe(value)
        record.update(scenario=scenario, customer_id=customer_id, requests=seen[:5])
        calls.append(record)
    facts["fallback_calls"] = calls
    return facts


# What each Part 2 step's `Probe.facts` names (see `grader/spec.py`).
FACTS = {"batch_job": batch_facts, "endpoint": endpoint_facts, "measure": measure_facts,
         "fallback": fallback_facts}


def gather_facts(name: str, namespace: dict) -> dict:
    """Every fact the gatherer `name` collects for its step's checks."""
    return FACTS[name](namespace)
