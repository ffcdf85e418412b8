#!/usr/bin/env python3
"""The figures a learner sees in notebook 06, measured from the solution's own code.

Runs the solution's given and answer cells (not its demonstration cells) in this process, in a
scratch folder, then measures what the demonstrations show, each `--repeat` times (median): the
batch job writing 100,000 rows to SQLite, the same scores with numpy, 1,000 requests one after
another to the FastAPI endpoint served by uvicorn on 127.0.0.1 (client-side latency), the
endpoint under load (the model given 3 ms per call, one call at a time; 1, 8 and 32 concurrent
clients in another process: p99 and the server's throughput), and the cost per used prediction
those throughputs give at $0.20 an hour. The skew and staleness shares are seeded, the same on
every run. Prints a Markdown table.

    .venv/bin/python benchmarks/part2_figures.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "06_measure_it.ipynb"
BUDGET_MS = 50
PRICE_PER_HOUR = 0.20


def solution_namespace() -> dict:
    """The solution's given and answer cells, run as the grader would (no demonstrations)."""
    from grader.sources import is_check_source, is_demo_source

    cells = json.loads(SOLUTION.read_text(encoding="utf-8"))["cells"]
    namespace: dict = {"__name__": "__main__"}
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and not is_demo_source(source) \
                and not is_check_source(source):
            with contextlib.redirect_stdout(io.StringIO()):  # the given cell's greeting
                exec(compile(source, f"<{cell.get('id', 'cell')}>", "exec"), namespace)
    return namespace


def measure_once(ns: dict) -> dict[str, float]:
    import numpy as np

    from churn_course.endpoint import send_requests, start_endpoint, stop_endpoint, warm_up
    from churn_course.load import measure, model_time

    customers = ns["customers"]
    conn = ns["sqlite3"].connect("predictions.sqlite")
    ns["run_batch_job"](conn, customers, "warm")  # the file and table exist: a warm run
    started = time.perf_counter()
    ns["run_batch_job"](conn, customers, "bench")
    job = time.perf_counter() - started
    conn.close()
    features = np.array([f for _, f in customers])
    ns["predict_vectorised"](features)
    started = time.perf_counter()
    ns["predict_vectorised"](features)
    vectorised = time.perf_counter() - started
    ids = [cid for cid, _ in customers]
    endpoint = start_endpoint(ns["app"])
    try:
        warm_up(endpoint.url, ids[0])
        latencies = send_requests(endpoint.url, ids, 1000)
        with model_time(ns, ms=3):
            levels = measure(endpoint.url, ids)
    finally:
        stop_endpoint()
    percentile, capacity = ns["percentile"], ns["capacity"]
    most = capacity({lv.clients: lv.latencies_ms for lv in levels}, BUDGET_MS)
    server = {lv.clients: lv.throughput for lv in levels}.get(most, levels[0].throughput)
    figures = {"job rows/s": len(customers) / job, "numpy rows/s": len(customers) / vectorised,
               "one client: mean ms": sum(latencies) / len(latencies),
               "one client: p50 ms": percentile(latencies, 50),
               "one client: p99 ms": percentile(latencies, 99)}
    for lv in levels:
        who = f"{lv.clients} client{'s' if lv.clients != 1 else ''} at once"
        figures[f"{who}: p99 ms"] = percentile(lv.latencies_ms, 99)
        figures[f"{who}: server requests/s"] = lv.throughput
    figures["capacity within p99 ≤ 50 ms (clients)"] = most
    cost = ns["cost_per_used"]
    figures["batch $ per used prediction"] = cost(len(customers), len(customers) / job, 5000,
                                                  PRICE_PER_HOUR)
    figures["server all day $ per used prediction"] = cost(server * 86_400, server, 5000,
                                                           PRICE_PER_HOUR)
    return figures


def seeded(ns: dict) -> dict[str, float]:
    """The shares that don't depend on the machine."""
    from churn_course.freshness import staleness_by_interval
    from churn_course.synthetic import feature_updates

    customers, predict = ns["customers"], ns["predict"]
    online, rounded = ns["online_features"], lambda cid: round(online[cid], 1)
    days = staleness_by_interval(customers, feature_updates(customers), [24, 0.25], predict)
    return {"skew of the given serving path": ns["skew_share"](customers, rounded),
            "nightly table: share of decisions unlike live": days[24].share,
            "refreshed every 15 min: share unlike live": days[0.25].share}


def _shown(name: str, value: float) -> str:
    if "share" in name or "skew" in name:
        return f"{value:.1%}"
    if name.startswith("$") or "$" in name:
        return f"${value:.2g}"
    if name.endswith("ms"):
        return f"{value:.2f}"
    return f"{value:,.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median; 3)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    from tqdm import tqdm

    home = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="course-part2-bench-") as scratch:
        os.chdir(scratch)
        try:
            ns = solution_namespace()
            runs = [measure_once(ns) for _ in tqdm(range(args.repeat), desc="Measuring",
                                                   file=sys.stderr)]
            fixed = seeded(ns)
        finally:
            os.chdir(home)
    print(f"Notebook 06's figures, solution code, median of {args.repeat} runs "
          f"({os.cpu_count()} CPUs):\n")
    print("| figure | value |\n|---|---|")
    for name in runs[0]:
        print(f"| {name} | {_shown(name, statistics.median(run[name] for run in runs))} |")
    for name, value in fixed.items():
        print(f"| {name} (seeded) | {_shown(name, value)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
