"""Part 2's right answers and the given code before them, as a learner would type them."""

from __future__ import annotations

import textwrap

from grader.inline import judge
from grader.results import CheckResult, StepResult

GIVEN = """
import sqlite3
from datetime import datetime, timezone
import httpx
import numpy as np
from fastapi import FastAPI
threshold = 0.6
def predict(feature):
    return feature > threshold
"""
RIGHT = {
    "job": '''
def run_batch_job(conn, customers, model_version):
    scored_at = datetime.now(timezone.utc).isoformat()
    conn.execute("CREATE TABLE IF NOT EXISTS predictions (customer_id INTEGER PRIMARY KEY, "
                 "feature REAL, churn INTEGER, model_version TEXT, scored_at TEXT)")
    rows = [(c, f, predict(f), model_version, scored_at) for c, f in customers]
    conn.executemany("INSERT OR REPLACE INTO predictions VALUES (?, ?, ?, ?, ?)", rows)
    conn.commit()
''',
    "vectorised": "def predict_vectorised(features):\n    return features > threshold\n",
    "rate": "def rows_per_second(rows, seconds):\n    return rows / seconds\n",
    "app": '''
app = FastAPI()
@app.get("/predict")
def predict_endpoint(customer_id: int, feature: float):
    return {"customer_id": customer_id, "churn": predict(feature)}
''',
    "percentile": '''
import math
def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]
''',
    "lookup": '''
def lookup(conn, customer_id):
    row = conn.execute("SELECT churn FROM predictions WHERE customer_id = ?",
                       (customer_id,)).fetchone()
    return None if row is None else bool(row[0])
''',
    "share": '''
def share_wrong(stored, live):
    return sum(s != v for s, v in zip(stored, live)) / len(stored) if stored else 0.0
''',
    "fallback": '''
def predict_with_fallback(customer_id, feature):
    try:
        reply = httpx.get(f"{ENDPOINT_URL}/predict",
                          params={"customer_id": customer_id, "feature": feature}, timeout=0.2)
        reply.raise_for_status()
        return {"churn": reply.json()["churn"], "source": "live"}
    except httpx.HTTPError:
        return {"churn": lookup(conn, customer_id), "source": "batch"}
''',
}
PARTS = {"5": ("job", "vectorised", "rate"), "6": ("app",), "7": ("percentile", "lookup"),
         "8": ("lookup", "share", "fallback")}


def run_part2(step: str, **replaced: str) -> StepResult:
    """Run the given code and the step's answers (some `replaced`), then judge the step."""
    namespace: dict = {}
    exec(GIVEN, namespace)
    for part in PARTS[step]:
        code = textwrap.dedent(replaced.get(part, RIGHT[part]))
        exec(code, namespace)
    return judge(step, namespace, [])


def failures(result: StepResult) -> list[CheckResult]:
    return [c for c in result.checks if c.ran and not c.passed]
