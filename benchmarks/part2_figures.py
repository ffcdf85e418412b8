#!/usr/bin/env python3
"""The figures a learner sees in notebook 06, measured from the solution's own code.

Runs the solution's given and answer cells (not its demonstration cells) in this process, in a
scratch folder, then measures what the demonstrations show: the batch job writing 100,000 rows
to SQLite (rows/s), the same scores with numpy (rows/s), 1,000 real HTTP requests to the
FastAPI endpoint served by uvicorn on 127.0.0.1 (requests/s and p50/p95/p99 with the
solution's own `percentile`), and 1,000 lookups in the stored table. Each figure is the median
of `--repeat` runs. Prints a Markdown table.

    .venv/bin/python benchmarks/part2_figures.py [--repeat 5]
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

    from churn_course.endpoint import send_requests, start_endpoint, stop_endpoint

    customers = ns["customers"]
    conn = ns["sqlite3"].connect("predictions.sqlite")
    started = time.perf_counter()
    ns["run_batch_job"](conn, customers, "bench")
    job = time.perf_counter() - started
    features = np.array([f for _, f in customers])
    started = time.perf_counter()
    ns["predict_vectorised"](features)
    vectorised = time.perf_counter() - started
    endpoint = start_endpoint(ns["app"])
    try:
        latencies = send_requests(endpoint.url, customers, 1000)
    finally:
        stop_endpoint()
    started = time.perf_counter()
    for customer_id, _ in customers[:1000]:
        ns["lookup"](conn, customer_id)
    lookups = time.perf_counter() - started
    conn.close()
    percentile = ns["percentile"]
    return {"job rows/s": len(customers) / job,
            "numpy rows/s": len(customers) / vectorised,
            "requests/s": 1000 / (sum(latencies) / 1000),
            "p50 ms": percentile(latencies, 50), "p95 ms": percentile(latencies, 95),
            "p99 ms": percentile(latencies, 99), "lookups/s": 1000 / lookups}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median; 5)")
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
        finally:
            os.chdir(home)
    print(f"Notebook 06's figures, solution code, median of {args.repeat} runs "
          f"({os.cpu_count()} CPUs):\n")
    print("| figure | value |\n|---|---|")
    for name in runs[0]:
        value = statistics.median(run[name] for run in runs)
        shown = f"{value:.2f}" if name.endswith("ms") else f"{value:,.0f}"
        print(f"| {name} | {shown} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
