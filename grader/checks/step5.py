"""Step 5: a batch job that scores every customer into a `predictions` table in SQLite, and
the same scores with numpy.

The probe runs the learner's `run_batch_job` twice on known customers in a fresh in-memory
database and records the table and how many transactions each run took; it calls
`predict_vectorised` on a watched numpy array with `threshold` set to several values. What a
check expects comes from the inputs the facts echo (`facts["questions"]`).
"""

from __future__ import annotations

import ast
from typing import Any

from ..snapshot import Snapshot
from ..spec import PREDICTIONS_COLUMNS
from . import Finding, check, fail, ok
from .code import defines, parse
from .recorded import (
    NOT_RETURNED,
    call_problem,
    definition_problem,
    model_replaced,
    records,
    returned,
    show,
)

JOB_CALL = "run_batch_job(conn, customers, model_version)"
SCHEMA = ("CREATE TABLE IF NOT EXISTS predictions (customer_id INTEGER PRIMARY KEY, feature "
          "REAL, churn INTEGER, model_version TEXT, scored_at TEXT)")
JOB_HINT = "Create the table if it is missing, write all the rows, then commit once."
JOB_LINE = '''def run_batch_job(conn, customers, model_version):
    scored_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    conn.execute("CREATE TABLE IF NOT EXISTS predictions (customer_id INTEGER PRIMARY KEY, "
                 "feature REAL, churn INTEGER, model_version TEXT, scored_at TEXT)")
    rows = [(customer_id, feature, predict(feature), model_version, scored_at)
            for customer_id, feature in customers]
    conn.executemany("INSERT OR REPLACE INTO predictions VALUES (?, ?, ?, ?, ?)", rows)
    conn.commit()'''


def _questions(snap: Snapshot) -> dict:
    questions = snap.facts.get("questions")
    return questions if isinstance(questions, dict) else {}


def _customers(snap: Snapshot) -> dict[Any, Any]:
    pairs = _questions(snap).get("customers", [])
    return {p[0]: p[1] for p in pairs if isinstance(p, list) and len(p) == 2} \
        if isinstance(pairs, list) else {}


def _threshold(snap: Snapshot) -> float:
    value = _questions(snap).get("threshold")
    return float(value) if type(value) in (int, float) else 0.6


def _first(snap: Snapshot) -> dict:
    runs = records(snap, "job_runs")
    return runs[0] if runs else {}


def _table(record: dict) -> dict:
    table = record.get("table")
    return table if isinstance(table, dict) else {}


@check("5", "job_runs", f"`{JOB_CALL}` runs", reads=("run_batch_job",), line=JOB_LINE)
def job_runs(snap: Snapshot) -> Finding:
    problem = definition_problem(snap.facts.get("job"), "run_batch_job", JOB_CALL, JOB_HINT)
    if problem:
        return problem
    if snap.facts.get("model_is_route"):
        return model_replaced()
    problem = call_problem(_first(snap) or None, JOB_CALL, JOB_HINT)
    if problem:
        return problem
    if _first(snap).get("connection_error"):
        return fail("Your job closed the connection it was given (`conn.close()`). The "
                    "connection belongs to whoever called the job: they still need it, to read "
                    "the table back.", "Leave `conn` open: commit, don't close.")
    return ok(f"`run_batch_job` ran on {len(_customers(snap))} test customers in a fresh "
              "database.")


@check("5", "table_shape", "it writes a `predictions` table with the five columns, "
       "`customer_id` its primary key", needs=("job_runs",), line=JOB_LINE)
def table_shape(snap: Snapshot) -> Finding:
    table = _table(_first(snap))
    nudge = "Create the table with the five columns the step lists, `customer_id` its key."
    if not table.get("exists"):
        return fail("After your job ran, the database has no `predictions` table.",
                    "Start the job with `CREATE TABLE IF NOT EXISTS predictions (...)`.")
    if table.get("error"):
        return fail(f"The `predictions` table could not be read: `{table['error']}`.", nudge)
    columns = [c for c in table.get("columns", []) if isinstance(c, list) and len(c) == 3]
    names = [c[0] for c in columns]
    missing = [n for n in PREDICTIONS_COLUMNS if n not in names]
    if missing:
        listed = ", ".join(f"`{n}`" for n in missing)
        return fail(f"The `predictions` table has no column {listed}; it has "
                    f"{', '.join(f'`{n}`' for n in names) or 'none'}.", nudge,
                    f"conn.execute(\"{SCHEMA}\")")
    if not any(c[0] == "customer_id" and c[2] == 1 for c in columns) or \
            sum(1 for c in columns if c[2]) > 1:
        return fail("`customer_id` is not the table's (only) PRIMARY KEY, so nothing stops two "
                    "rows for one customer, and a lookup by customer has no index to use.",
                    "Declare `customer_id INTEGER PRIMARY KEY`.", f"conn.execute(\"{SCHEMA}\")")
    return ok("The `predictions` table has the five columns, keyed by `customer_id`.")


def _rows(record: dict) -> list[dict]:
    rows = _table(record).get("rows", [])
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def _value(row: dict, column: str) -> tuple[Any, str]:
    cell = row.get(column)
    return (cell[0], cell[1]) if isinstance(cell, list) and len(cell) == 2 else (None, "null")


@check("5", "one_transaction", "the job commits once: one transaction for the whole run",
       needs=("job_runs",), line=JOB_LINE)
def one_transaction(snap: Snapshot) -> Finding:
    record = _first(snap)
    commits = record.get("commit", 0)
    count = len(_customers(snap))
    if record.get("open_transaction") and not commits:
        return fail("Your job never commits: its rows stay in an open transaction, and any "
                    "other connection (the endpoint, tomorrow's lookup) sees none of them.",
                    "What makes a transaction's rows visible to others?", "conn.commit()")
    if isinstance(commits, int) and commits > 1:
        return fail(f"Your job committed {commits} times for {count} customers (once per row?). "
                    "Each commit waits for the disk, which makes a big batch slow, and a job "
                    "that stops halfway leaves a half-written table behind.",
                    "Write every row first, then commit once, after the loop.")
    if record.get("open_transaction"):
        return fail("Your job commits, but then leaves more writes uncommitted.",
                    "Make the commit the job's last database call.")
    return ok("The whole run is one transaction: all rows appear together, or none.")


def _row_problem(row: dict, customers: dict, threshold: float, version: str) -> Finding | None:
    row_line = "(customer_id, feature, predict(feature), model_version, scored_at)"
    cid, _ = _value(row, "customer_id")
    if cid not in customers:
        return fail(f"`predictions` holds a customer_id {show(cid)} that is not one of the "
                    "customers the job was given.", "Store each customer's own ID.", row_line)
    churn, churn_type = _value(row, "churn")
    if churn_type == "text":
        return fail(f"`churn` is stored as the text {show(churn)}. Store the bool `predict` "
                    "returns (SQLite keeps it as 1 or 0), so the table can be filtered.",
                    "Is the model's answer turned into text somewhere?", row_line)
    if churn not in (0, 1):
        return fail(f"`churn` for customer {cid} is {show(churn)}; it should be what `predict` "
                    "returns (stored as 1 or 0).", "Store the model's answer as it is.",
                    row_line)
    feature = customers[cid]
    stored_feature, _ = _value(row, "feature")
    if not isinstance(stored_feature, (int, float)) or abs(stored_feature - feature) > 1e-9:
        return fail(f"Customer {cid}'s `feature` is stored as {show(stored_feature)}, but it "
                    f"is {feature}.", "Store each customer's feature next to its score.",
                    row_line)
    want = feature > threshold
    if bool(churn) != want:
        at = " (`>` not `>=`: exactly at the threshold is no churn)" \
            if feature == threshold else ""
        return fail(f"Customer {cid} (feature {feature}) is stored with churn {bool(churn)}; "
                    f"`predict({feature})` is {want}{at}.",
                    "Score each row with the model, `predict`.", row_line)
    stored_version, _ = _value(row, "model_version")
    if stored_version != version:
        return fail(f"`model_version` is {show(stored_version)}, but the job was called with "
                    f"`model_version=\"{version}\"`: store the argument, not a fixed text.",
                    "Which parameter says the version?", row_line)
    scored_at, _ = _value(row, "scored_at")
    if scored_at in (None, ""):
        return fail("`scored_at` is empty: without it nobody can tell how old a stored answer "
                    "is.", "Take the time once for the run and store it in every row.",
                    'scored_at = datetime.now(timezone.utc).isoformat(timespec="seconds")')
    return None


@check("5", "scores", "every customer is scored by the model: `churn` is `feature > threshold`, "
       "with the model version and a `scored_at` time", needs=("table_shape", "one_transaction"),
       line=JOB_LINE)
def scores(snap: Snapshot) -> Finding:
    record, customers = _first(snap), _customers(snap)
    count = _table(record).get("count")
    if count != len(customers):
        return fail(f"For {len(customers)} customers your job left {count} row(s) in "
                    "`predictions` (after the job returned, counting only what it committed).",
                    "One row per customer, all committed.")
    rows = _rows(record)
    for row in rows:
        problem = _row_problem(row, customers, _threshold(snap), str(record.get("version")))
        if problem:
            return problem
    if len({str(_value(r, 'scored_at')[0]) for r in rows}) > 1:
        return fail("Rows of one run have different `scored_at` times. A batch run scores a "
                    "snapshot of the data: take the time once, before the loop.",
                    "Where is the time taken: once, or once per row?",
                    'scored_at = datetime.now(timezone.utc).isoformat(timespec="seconds")')
    return ok(f"All {len(customers)} customers are scored as `predict` says, with the version "
              "and one `scored_at` time.")


@check("5", "rerun_replaces", "running the job again replaces the rows instead of adding to "
       "them", needs=("table_shape",), line=JOB_LINE)
def rerun_replaces(snap: Snapshot) -> Finding:
    runs, count = records(snap, "job_runs"), len(_customers(snap))
    second = runs[1] if len(runs) > 1 else None
    if not isinstance(second, dict):
        return fail("The job could not be run a second time.", JOB_HINT)
    error = str(second.get("error", ""))
    if second.get("outcome") == "raised" and ("UNIQUE" in error or "already exists" in error):
        return fail(f"Running the job a second time fails with `{error}`. A nightly job runs "
                    "every night: its re-run must replace yesterday's rows.",
                    "Which words make `CREATE TABLE` and `INSERT` accept what is already there?",
                    "CREATE TABLE IF NOT EXISTS ...  and  INSERT OR REPLACE INTO ...")
    problem = call_problem(second, JOB_CALL + " (a second time)", JOB_HINT)
    if problem:
        return problem
    total = _table(second).get("count")
    if isinstance(total, int) and total > count:
        return fail(f"After a second run the table holds {total} rows for {count} customers: "
                    "the re-run added rows instead of replacing them.",
                    "Key the table by `customer_id` and let a new row replace the old one.",
                    'conn.executemany("INSERT OR REPLACE INTO predictions VALUES '
                    '(?, ?, ?, ?, ?)", rows)')
    versions = {str(_value(r, "model_version")[0]) for r in _rows(second)}
    first_version = str(_first(snap).get("version"))
    if first_version in versions:
        return fail(f"After a second run with `model_version=\"{second.get('version')}\"` the "
                    "table still holds the first run's answers (`INSERT OR IGNORE` keeps old "
                    "rows): the table stays stale.", "A new run must overwrite, not skip.",
                    'conn.executemany("INSERT OR REPLACE INTO predictions VALUES '
                    '(?, ?, ?, ?, ?)", rows)')
    if total != count:
        return fail(f"After a second run the table holds {total} rows for {count} customers.",
                    JOB_HINT)
    return ok(f"A second run replaced every row ({count} rows, all from the new run).")


VECTOR_HINT = "Compare the whole array with `threshold` in one expression: numpy does the loop."
VECTOR_LINE = "def predict_vectorised(features):\n    return features > threshold"


def _uses_vectorize(snap: Snapshot) -> bool:
    """The newest cell that defines `predict_vectorised` calls `np.vectorize` (or
    `np.frompyfunc`): read from the cell's code, never from the learner's process."""
    source = next((s for s in reversed(snap.sources) if defines(s, "predict_vectorised")), "")
    tree = parse(source)
    if tree is None:
        return "vectorize" in source
    return any(isinstance(n, ast.Attribute) and n.attr in ("vectorize", "frompyfunc")
               for n in ast.walk(tree))


def _vector_shape(snap: Snapshot, record: dict) -> Finding | None:
    size = len(record.get("features") or [])
    per_row = record.get("predict_calls", 0) >= size > 0
    if _uses_vectorize(snap) or (not record.get("looped") and per_row):
        return fail("`predict_vectorised` calls `predict` once per customer: `np.vectorize` is "
                    "a Python loop in disguise, no faster than the loop.", VECTOR_HINT)
    if not record.get("is_array"):
        return fail(f"`predict_vectorised` returned a {record.get('type')}, not a numpy array.",
                    "Return numpy's own result, without turning it into a list.")
    if record.get("looped") or per_row:
        return fail("`predict_vectorised` loops over the array in Python (a `for` or a "
                    "comprehension). That is the slow batch job again.", VECTOR_HINT)
    if record.get("dtype") != "bool":
        return fail(f"`predict_vectorised` returned an array of {record.get('dtype')}, not of "
                    "bools.", "A comparison of arrays is already an array of bools.")
    return None


@check("5", "vectorised", "`predict_vectorised(features)` scores a numpy array without a "
       "Python loop, at whatever `threshold` is", reads=("predict_vectorised",),
       line=VECTOR_LINE)
def vectorised(snap: Snapshot) -> Finding:
    fact = snap.facts.get("vectorised")
    problem = definition_problem(fact, "predict_vectorised", "predict_vectorised(features)",
                                 VECTOR_HINT)
    if problem:
        return problem
    results = []
    for record in records(snap, "vector_calls"):
        problem = call_problem(record, "predict_vectorised(features)", VECTOR_HINT) or \
            _vector_shape(snap, record)
        if problem:
            return problem
        features, limit = record.get("features") or [], record.get("threshold")
        got = returned(record)
        want = [f > limit for f in features]
        results.append((limit, got if got is not NOT_RETURNED else None, want))
    wrong = [(limit, got, want) for limit, got, want in results if got != want]
    if not results:
        return fail("`predict_vectorised` could not be called.", VECTOR_HINT)
    if wrong and len(wrong) < len(results) and results[0][1] == results[0][2]:
        limit, got, want = wrong[0]
        return fail(f"With `threshold = {limit}`, `predict_vectorised` still gave {got} (the "
                    f"answers at 0.6); `predict` gives {want}. It compares with a fixed number "
                    "instead of reading `threshold`.", "Use the name `threshold`, not its value.")
    if wrong:
        limit, got, want = wrong[0]
        features = records(snap, "vector_calls")[0].get("features")
        return fail(f"For features {features} at `threshold = {limit}`, `predict_vectorised` "
                    f"gave {got}; `predict` gives {want}.", VECTOR_HINT)
    return ok("`predict_vectorised` scores the whole array at once, as `predict` would, and "
              "follows `threshold`.")
