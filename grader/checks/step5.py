"""Step 5: a batch job that scores every customer into a `predictions` table in SQLite.

The probe runs the learner's `run_batch_job` twice on 40 known customers in a fresh in-memory
database (versions "probe-v1", then "probe-v2") and records the table, how many transactions
each run took, and their vectorised `predict_vectorised` on a watched numpy array.
"""

from __future__ import annotations

import ast
from typing import Any

from ..part2.probe import PROBE_CUSTOMERS, RATE_CALLS, VECTOR_FEATURES
from ..snapshot import Snapshot
from ..spec import PART2_THRESHOLD, PREDICTIONS_COLUMNS
from . import Finding, check, fail, ok
from .code import parse
from .recorded import NOT_RETURNED, call_problem, definition_problem, kind, returned, show

JOB_CALL = "run_batch_job(conn, customers, model_version)"
JOB_HINT = ("Create the table if it does not exist, then write every row with one "
            "`conn.executemany(\"INSERT OR REPLACE INTO predictions VALUES (?, ?, ?, ?, ?)\", "
            "rows)` and one `conn.commit()` at the end.")
SCHEMA = ("CREATE TABLE IF NOT EXISTS predictions (customer_id INTEGER PRIMARY KEY, feature "
          "REAL, churn INTEGER, model_version TEXT, scored_at TEXT)")
EXPECTED = {cid: feature > PART2_THRESHOLD for cid, feature in PROBE_CUSTOMERS}


def _first(snap: Snapshot) -> dict:
    record = snap.facts.get("first")
    return record if isinstance(record, dict) else {}


def _table(record: dict) -> dict:
    table = record.get("table")
    return table if isinstance(table, dict) else {}


@check("5", "job_runs", f"`{JOB_CALL}` runs", reads=("run_batch_job",))
def job_runs(snap: Snapshot) -> Finding:
    problem = definition_problem(snap.facts.get("job"), "run_batch_job", JOB_CALL, JOB_HINT)
    if problem:
        return problem
    problem = call_problem(snap.facts.get("first"), JOB_CALL, JOB_HINT)
    if problem:
        return problem
    if _first(snap).get("connection_error"):
        return fail("Your job closed the connection it was given (`conn.close()`). The "
                    "connection belongs to whoever called the job: they still need it, to read "
                    "the table back.", "Leave `conn` open: commit, don't close.")
    return ok("`run_batch_job` ran on 40 test customers in a fresh database.")


@check("5", "table_shape", "it writes a `predictions` table with the five columns, "
       "`customer_id` its primary key", needs=("job_runs",))
def table_shape(snap: Snapshot) -> Finding:
    table = _table(_first(snap))
    if not table.get("exists"):
        return fail("After your job ran, the database has no `predictions` table.",
                    f"Start the job with `conn.execute(\"{SCHEMA}\")`.")
    if table.get("error"):
        return fail(f"The `predictions` table could not be read: `{table['error']}`.",
                    f"Create it as `{SCHEMA}`.")
    columns = [c for c in table.get("columns", []) if isinstance(c, list) and len(c) == 3]
    names = [c[0] for c in columns]
    missing = [n for n in PREDICTIONS_COLUMNS if n not in names]
    if missing:
        listed = ", ".join(f"`{n}`" for n in missing)
        return fail(f"The `predictions` table has no column {listed}; it has "
                    f"{', '.join(f'`{n}`' for n in names) or 'none'}.",
                    f"Create it as `{SCHEMA}`.")
    if not any(c[0] == "customer_id" and c[2] == 1 for c in columns) or \
            sum(1 for c in columns if c[2]) > 1:
        return fail("`customer_id` is not the table's (only) PRIMARY KEY, so nothing stops two "
                    "rows for one customer, and a lookup by customer has no index to use.",
                    f"Create it as `{SCHEMA}`.")
    return ok("The `predictions` table has the five columns, keyed by `customer_id`.")


def _rows(record: dict) -> list[dict]:
    rows = _table(record).get("rows", [])
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def _value(row: dict, column: str) -> tuple[Any, str]:
    cell = row.get(column)
    return (cell[0], cell[1]) if isinstance(cell, list) and len(cell) == 2 else (None, "null")


@check("5", "one_transaction", "the job commits once: one transaction for the whole run",
       needs=("job_runs",))
def one_transaction(snap: Snapshot) -> Finding:
    record = _first(snap)
    commits = record.get("commit", 0)
    if record.get("open_transaction") and not commits:
        return fail("Your job never commits: its rows stay in an open transaction, and any "
                    "other connection (the endpoint, tomorrow's lookup) sees none of them.",
                    "End the job with `conn.commit()`.")
    if isinstance(commits, int) and commits > 1:
        return fail(f"Your job committed {commits} times for 40 customers (once per row?). Each "
                    "commit waits for the disk, which makes a big batch slow, and a job that "
                    "stops halfway leaves a half-written table behind.",
                    "Write all rows first (`executemany`), then `conn.commit()` once.")
    if record.get("open_transaction"):
        return fail("Your job commits, but then leaves more writes uncommitted.",
                    "Make `conn.commit()` the job's last database call.")
    return ok("The whole run is one transaction: all rows appear together, or none.")


@check("5", "scores", "every customer is scored by the model: `churn` is `feature > threshold`, "
       "with the model version and a `scored_at` time", needs=("table_shape", "one_transaction"))
def scores(snap: Snapshot) -> Finding:
    record = _first(snap)
    count = _table(record).get("count")
    if count != len(PROBE_CUSTOMERS):
        return fail(f"For 40 customers your job left {count} row(s) in `predictions` (after "
                    "the job returned, counting only what it committed).",
                    "One row per customer, all committed: " + JOB_HINT)
    rows = _rows(record)
    for row in rows:
        cid, _ = _value(row, "customer_id")
        if cid not in EXPECTED:
            return fail(f"`predictions` holds a customer_id {show(cid)} that is not one of the "
                        "customers the job was given.", "Store each customer's own ID.")
        churn, churn_type = _value(row, "churn")
        if churn_type == "text":
            return fail(f"`churn` is stored as the text {show(churn)}. Store the bool `predict` "
                        "returns (SQLite keeps it as 1 or 0), so the table can be filtered.",
                        "`(customer_id, feature, predict(feature), model_version, scored_at)`")
        if churn not in (0, 1):
            return fail(f"`churn` for customer {cid} is {show(churn)}; it should be what "
                        "`predict` returns (stored as 1 or 0).",
                        "`(customer_id, feature, predict(feature), model_version, scored_at)`")
        feature = dict(PROBE_CUSTOMERS)[cid]
        stored_feature, _ = _value(row, "feature")
        if not isinstance(stored_feature, (int, float)) or abs(stored_feature - feature) > 1e-9:
            return fail(f"Customer {cid}'s `feature` is stored as {show(stored_feature)}, but "
                        f"it is {feature}.", "Store each customer's feature next to its score.")
        if bool(churn) != EXPECTED[cid]:
            rule = ">=" if feature == PART2_THRESHOLD else "the model"
            return fail(f"Customer {cid} (feature {feature}) is stored with churn "
                        f"{bool(churn)}; `predict({feature})` is {EXPECTED[cid]}"
                        + (" (`>` not `>=`: exactly at the threshold is no churn)."
                           if rule == ">=" else "."),
                        "Score each row with `predict(feature)`.")
        version, _ = _value(row, "model_version")
        if version != "probe-v1":
            return fail(f"`model_version` is {show(version)}, but the job was called with "
                        "`model_version=\"probe-v1\"`: store the argument, not a fixed text.",
                        "Use the `model_version` parameter in each row.")
        scored_at, _ = _value(row, "scored_at")
        if scored_at in (None, ""):
            return fail("`scored_at` is empty: without it nobody can tell how old a stored "
                        "answer is.", "Take one time for the run, e.g. "
                        "`datetime.now(timezone.utc).isoformat()`, and store it in every row.")
    if len({str(_value(r, 'scored_at')[0]) for r in rows}) > 1:
        return fail("Rows of one run have different `scored_at` times. A batch run scores a "
                    "snapshot of the data: take the time once, before the loop.",
                    "`scored_at = datetime.now(timezone.utc).isoformat()` once, at the top.")
    return ok("All 40 customers are scored as `predict` says, with the version and one "
              "`scored_at` time.")


@check("5", "rerun_replaces", "running the job again replaces the rows instead of adding to "
       "them", needs=("table_shape",))
def rerun_replaces(snap: Snapshot) -> Finding:
    second = snap.facts.get("second")
    if not isinstance(second, dict):
        return fail("The job could not be run a second time.", JOB_HINT)
    error = str(second.get("error", ""))
    if second.get("outcome") == "raised" and ("UNIQUE" in error or "already exists" in error):
        return fail(f"Running the job a second time fails with `{error}`. A nightly job runs "
                    "every night: its re-run must replace yesterday's rows.",
                    "`CREATE TABLE IF NOT EXISTS ...` and `INSERT OR REPLACE INTO ...`.")
    problem = call_problem(second, JOB_CALL + " (a second time)", JOB_HINT)
    if problem:
        return problem
    count = _table(second).get("count")
    if isinstance(count, int) and count > len(PROBE_CUSTOMERS):
        return fail(f"After a second run the table holds {count} rows for 40 customers: the "
                    "re-run added rows instead of replacing them.",
                    "Key the table by `customer_id` and write with `INSERT OR REPLACE`.")
    versions = {str(_value(r, "model_version")[0]) for r in _rows(second)}
    if "probe-v1" in versions:
        return fail("After a second run with `model_version=\"probe-v2\"` the table still holds "
                    "the first run's answers (`INSERT OR IGNORE` keeps old rows): the table "
                    "stays stale.", "Use `INSERT OR REPLACE` so a new run overwrites.")
    if count != len(PROBE_CUSTOMERS):
        return fail(f"After a second run the table holds {count} rows for 40 customers.",
                    JOB_HINT)
    return ok("A second run replaced every row (40 rows, all from the new run).")


VECTOR_HINT = "`return features > threshold`: numpy compares the whole array at once."
VECTOR_LINE = "def predict_vectorised(features):\n    return features > threshold"


def _uses_vectorize(source: str) -> bool:
    tree = parse(source)
    if tree is None:
        return "vectorize" in source
    return any(isinstance(n, ast.Attribute) and n.attr in ("vectorize", "frompyfunc")
               for n in ast.walk(tree))


@check("5", "vectorised", "`predict_vectorised(features)` scores a numpy array without a "
       "Python loop", reads=("predict_vectorised",), line=VECTOR_LINE)
def vectorised(snap: Snapshot) -> Finding:
    fact = snap.facts.get("vectorised")
    problem = definition_problem(fact, "predict_vectorised", "predict_vectorised(features)",
                                 VECTOR_HINT)
    if problem:
        return problem
    record = snap.facts.get("vector_call")
    problem = call_problem(record, "predict_vectorised(features)", VECTOR_HINT)
    if problem:
        return problem
    if _uses_vectorize(str(fact.get("source", ""))) or (
            not record.get("looped") and record.get("predict_calls", 0) >= len(VECTOR_FEATURES)):
        return fail("`predict_vectorised` calls `predict` once per customer: `np.vectorize` is "
                    "a Python loop in disguise, no faster than the loop.", VECTOR_HINT)
    if not record.get("is_array"):
        return fail(f"`predict_vectorised` returned a {record.get('type')}, not a numpy array.",
                    VECTOR_HINT)
    if record.get("looped") or record.get("predict_calls", 0) >= len(VECTOR_FEATURES):
        return fail("`predict_vectorised` loops over the array in Python (a `for` or a "
                    "comprehension). That is the slow batch job again.", VECTOR_HINT)
    if record.get("dtype") != "bool":
        return fail(f"`predict_vectorised` returned an array of {record.get('dtype')}, not of "
                    "bools.", VECTOR_HINT)
    expected = [f > PART2_THRESHOLD for f in VECTOR_FEATURES]
    got = [returned({"outcome": "returned", "value": v}) for v in record.get("values", [])]
    if got != expected:
        return fail(f"For features {list(VECTOR_FEATURES)} `predict_vectorised` gave {got}; "
                    f"`predict` gives {expected}.", VECTOR_HINT)
    return ok("`predict_vectorised` scores the whole array at once, as `predict` would.")


RATE_HINT = "Rows per second is rows divided by seconds: `return rows / seconds`."
RATE_LINE = "def rows_per_second(rows, seconds):\n    return rows / seconds"


@check("5", "rows_per_second", "`rows_per_second(rows, seconds)` is the throughput",
       reads=("rows_per_second",), line=RATE_LINE)
def rows_per_second(snap: Snapshot) -> Finding:
    problem = definition_problem(snap.facts.get("rate"), "rows_per_second",
                                 "rows_per_second(rows, seconds)", RATE_HINT)
    if problem:
        return problem
    calls = snap.facts.get("rate_calls", [])
    for (rows, seconds), record in zip(RATE_CALLS, calls, strict=False):
        problem = call_problem(record, f"rows_per_second({rows}, {seconds})", RATE_HINT)
        if problem:
            return problem
        value = returned(record)
        if type(value) not in (int, float):
            shown = "nothing" if value is NOT_RETURNED else kind(value)
            return fail(f"`rows_per_second({rows}, {seconds})` returned {shown}, not a number.",
                        RATE_HINT)
        if abs(value - rows / seconds) <= 1e-6 * rows / seconds:
            continue
        if abs(value - seconds / rows) < 1e-12:
            return fail(f"`rows_per_second({rows}, {seconds})` is {value}: that is seconds per "
                        "row, the other way round.", RATE_HINT)
        if abs(value - rows / seconds / 1000) < 1e-6 or abs(value - rows / (seconds * 1000)) \
                < 1e-6:
            return fail(f"`rows_per_second({rows}, {seconds})` is {value}: the seconds seem to "
                        "be taken as milliseconds.", RATE_HINT)
        return fail(f"`rows_per_second({rows}, {seconds})` is {show(value)}; it should be "
                    f"{rows / seconds:g}.", RATE_HINT)
    return ok("`rows_per_second` divides rows by seconds.")
