#!/usr/bin/env python3
"""How long does `check(N)` take in a learner's running kernel, import included?

Starts a real Jupyter kernel (as JupyterLab would), times the first `from grader import check`
inside it (cold import, which also installs the cell recorder), runs the step's given code and
a right answer as separate cells (so every check reads the recorded cells and their outcomes,
as in a learner's notebook), then times `check(N)` for every step, repeated. Prints a Markdown
table.

    .venv/bin/python benchmarks/inline_check.py [--repeat 50]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import start_new_kernel

IMPORT = """
import time as _t, json as _j
_t0 = _t.perf_counter()
from grader import check
_import_ms = (_t.perf_counter() - _t0) * 1000
"""
SETUP = (  # one cell each, as in the notebooks
    "customers = [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)]\nthreshold = 0.6",
    "def predict(feature):\n    return feature > threshold",
    "batch_results = [predict(feature) for customer_id, feature in customers]",
    "print(batch_results)\nprint(predict(0.7))",
)
TIMER = """
_times, _bare = {}, {}
for _step in ("1", "2", "3", "4"):
    _src = "print(batch_results)\\nprint(predict(0.7))" if _step == "4" else None
    _runs, _unsaved = [], []
    for _ in range(%(repeat)d):
        _t0 = _t.perf_counter()
        _r = check(_step, source=_src)
        _runs.append((_t.perf_counter() - _t0) * 1000)
        assert _r.passed, repr(_r)
    for _ in range(%(repeat)d):  # the same check without saving the progress file
        _t0 = _t.perf_counter()
        check(_step, source=_src, record=False)
        _unsaved.append((_t.perf_counter() - _t0) * 1000)
    _times[_step], _bare[_step] = _runs, _unsaved
print("RESULT" + _j.dumps({"import_ms": _import_ms, "times": _times, "bare": _bare}))
"""


def _run(client, code: str) -> str:
    out: list[str] = []

    def keep(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            raise RuntimeError("\n".join(msg["content"]["traceback"]))

    client.execute_interactive(code, output_hook=keep, timeout=120)
    return "".join(out)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["COURSE_PROGRESS_FILE"] = str(Path(scratch, "progress.json"))
        manager, client = start_new_kernel(kernel_name="python3", cwd=scratch)
        try:
            _run(client, IMPORT)
            for cell in SETUP:
                _run(client, cell)
            text = _run(client, TIMER % {"repeat": args.repeat})
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
    data = json.loads(text.split("RESULT", 1)[1])
    print(f"Cold `from grader import check` in a running kernel: {data['import_ms']:.1f} ms\n")
    print("| step | first call (ms) | median (ms) | p95 (ms) | first call + import (ms) "
          "| median without saving progress (ms) |")
    print("|---|---|---|---|---|---|")
    worst = 0.0
    for step, runs in data["times"].items():
        total = runs[0] + data["import_ms"]
        worst = max(worst, total)
        print(f"| {step} | {runs[0]:.2f} | {statistics.median(runs):.2f} | "
              f"{percentile(runs, 0.95):.2f} | {total:.1f} | "
              f"{statistics.median(data['bare'][step]):.2f} |")
    print(f"\nWorst first check including the import: {worst:.1f} ms (target < 50 ms); "
          f"{args.repeat} runs per step; Python {sys.version.split()[0]}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
