"""Part 2's right answers and the given code before them, as a learner would type them."""

from __future__ import annotations

import textwrap

from grader.inline import judge
from grader.results import CheckResult, StepResult

GIVEN = """
import json
import math
import urllib.request
import sqlite3
from datetime import datetime, timezone
import httpx
import numpy as np
from fastapi import FastAPI, HTTPException
threshold = 0.6
def predict(feature):
    return feature > threshold
MODEL_VERSION = "v1"
customers = [(200001, 0.438), (200002, 0.106), (200003, 0.618), (200004, 0.72)]
online_features = dict(customers)
online_features[105] = 0.7
def serving_feature(customer_id):
    return round(online_features[customer_id], 1)
def lookup(conn, customer_id):
    row = conn.execute("SELECT churn FROM predictions WHERE customer_id = ?",
                       (customer_id,)).fetchone()
    return None if row is None else bool(row[0])
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
    "skew": '''
def skew_share(customers, serving_feature):
    differ = sum(predict(feature) != predict(serving_feature(customer_id))
                 for customer_id, feature in customers)
    return differ / len(customers) if customers else 0.0
''',
    "serving": "def serving_feature(customer_id):\n    return online_features[customer_id]\n",
    "app": '''
app = FastAPI()
@app.get("/predict")
def predict_endpoint(customer_id: int):
    if customer_id not in online_features:
        raise HTTPException(status_code=404, detail=f"unknown customer {customer_id}")
    return {"customer_id": customer_id, "churn": predict(serving_feature(customer_id)),
            "model_version": MODEL_VERSION}
''',
    "percentile": '''
def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]
''',
    "capacity": '''
def capacity(latencies, budget_ms):
    return max((clients for clients, measured in latencies.items()
                if percentile(measured, 99) <= budget_ms), default=0)
''',
    "fallback": '''
def predict_with_fallback(customer_id):
    try:
        reply = httpx.get(f"{ENDPOINT_URL}/predict", params={"customer_id": customer_id},
                          timeout=0.2)
        reply.raise_for_status()
        return {"churn": reply.json()["churn"], "source": "live"}
    except httpx.HTTPError:
        return {"churn": lookup(conn, customer_id), "source": "batch"}
''',
    "cost": '''
def cost_per_used(scored, per_second, used, price_per_hour):
    return scored / per_second / 3600 * price_per_hour / used
''',
}
# The answer cells of notebook 06, in order, and which of them each step's check reads.
ORDER = ("job", "vectorised", "skew", "serving", "app", "percentile", "capacity", "fallback",
         "cost")
PARTS = {"5": ("job", "vectorised"), "6": ("skew", "serving", "app"),
         "7": ("percentile", "capacity"), "8": ("fallback", "cost")}


def namespace_for(step: str, **replaced: str) -> dict:
    """The namespace after the given code and the step's answers (some `replaced`) ran."""
    namespace: dict = {}
    exec(GIVEN, namespace)
    for part in PARTS[step]:
        exec(textwrap.dedent(replaced.get(part, RIGHT[part])), namespace)
    return namespace


def run_part2(step: str, **replaced: str) -> StepResult:
    """Run the given code and the step's answers (some `replaced`), then judge the step."""
    return judge(step, namespace_for(step, **replaced), [])


def failures(result: StepResult) -> list[CheckResult]:
    return [c for c in result.checks if c.ran and not c.passed]
