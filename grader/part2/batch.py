"""Step 5's probe: what the learner's batch job writes, and what `predict_vectorised` returns
with `threshold` set to each of several values."""

from __future__ import annotations

import sqlite3
from typing import Any

from .calls import (
    call,
    defined,
    error_text,
    function,
    model_is_route,
    names_set,
    returned,
)
from .questions import BatchQuestions, as_data

MAX_ROWS = 60
COLUMNS = ("customer_id", "feature", "churn", "model_version", "scored_at")


def _cell(value: Any) -> list:
    """A stored SQLite value as [JSON value, SQLite type]."""
    if isinstance(value, bytes):
        return [value[:40].hex(), "blob"]
    if isinstance(value, str):
        return [value[:100], "text"]
    if value is None:
        return [None, "null"]
    if isinstance(value, float):
        return [value, "real"]
    if isinstance(value, int):
        return [int(value), "integer"]
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
        wanted = [n for n in COLUMNS if n in names]
        rows = []
        if "customer_id" in names:
            cursor = conn.execute(f"SELECT {', '.join(wanted)} FROM predictions "
                                  f"ORDER BY customer_id LIMIT {MAX_ROWS}")
            rows = [dict(zip(wanted, map(_cell, row), strict=True)) for row in cursor]
        return {"exists": True, "columns": columns, "count": int(count), "rows": rows}
    except sqlite3.Error as err:
        return {"exists": True, "error": error_text(err)}


def _run_job(job: Any, conn: sqlite3.Connection, customers: list, version: str) -> dict:
    counts = {"begin": 0, "commit": 0, "statements": 0}

    def trace(statement: str) -> None:
        word = statement.lstrip()[:6].upper()
        counts["statements"] += 1
        if word.startswith("BEGIN"):
            counts["begin"] += 1
        elif word.startswith(("COMMIT", "END")):
            counts["commit"] += 1

    conn.set_trace_callback(trace)
    record, _ = call(job, conn, [tuple(c) for c in customers], version, seconds=3.0)
    record.update(counts, version=version)
    try:
        conn.set_trace_callback(None)
        record["open_transaction"] = conn.in_transaction
        if conn.in_transaction:
            conn.rollback()  # what another connection would see: only committed rows
    except sqlite3.Error as err:  # e.g. the job closed the connection it was lent
        record["connection_error"] = error_text(err)
        return record
    record["table"] = table_facts(conn)
    return record


def _vector_call(func: Any, namespace: dict, features: tuple, threshold: float) -> dict:
    """One call on a numpy array that notices a Python loop over it, with the model counted."""
    import numpy as np

    iterated = []

    class Watched(np.ndarray):
        """An array that notices a Python loop over it (vectorised code never iterates)."""

        def __iter__(self) -> Any:
            iterated.append(True)
            return super().__iter__()

    model = namespace.get("predict")
    counted = [0]

    def counting(*args: Any, **kwargs: Any) -> Any:  # the model called once per customer?
        counted[0] += 1
        return model(*args, **kwargs)  # type: ignore[misc]

    swaps: dict[str, Any] = {"threshold": threshold}
    if callable(model):
        swaps["predict"] = counting
    with names_set(namespace, swaps):
        record, value = call(func, np.array(features).view(Watched))
    record.update(threshold=threshold, features=list(features), predict_calls=counted[0],
                  looped=bool(iterated))
    if record["outcome"] == "returned":
        value = value.view(np.ndarray) if isinstance(value, Watched) else value
        record.update(type=type(value).__name__[:60], is_array=isinstance(value, np.ndarray),
                      dtype=str(getattr(value, "dtype", ""))[:30])
        try:
            values = [v.item() if hasattr(v, "item") else v for v in list(value)[:20]]
            returned(record, values)
        except BaseException as err:
            record["values_error"] = error_text(err)
    return record


def batch_facts(namespace: dict, questions: BatchQuestions) -> dict:
    facts: dict[str, Any] = {"job": defined(namespace, "run_batch_job"),
                             "vectorised": defined(namespace, "predict_vectorised"),
                             "model_is_route": model_is_route(namespace),
                             "questions": as_data(questions)}
    job = function(namespace, "run_batch_job")
    if job is not None:
        conn = sqlite3.connect(":memory:")
        runs = []
        try:
            with names_set(namespace, {"threshold": questions.threshold}):
                for version in questions.versions:
                    runs.append(_run_job(job, conn, list(questions.customers), version))
                    if runs[-1].get("outcome") != "returned" or "connection_error" in runs[-1]:
                        break
        finally:
            conn.close()
        facts["job_runs"] = runs
    vectorised = function(namespace, "predict_vectorised")
    if vectorised is not None:
        facts["vector_calls"] = [_vector_call(vectorised, namespace, questions.features, t)
                                 for t in questions.thresholds]
    return facts
