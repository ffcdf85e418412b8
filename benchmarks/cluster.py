#!/usr/bin/env python3
"""Grading on Dask workers vs this machine's own pool, side by side in one run.

Builds the synthetic class of benchmarks/grading.py (every notebook unique, so nothing is
deduplicated; here without its three infinite loops, so the figures are the machinery's), then
grades it with `python -m grader grade`, each a fresh process and a fresh gradebook:

  local     --jobs 2: this machine's fork-server pool (the default path)
  cluster   --cluster local:W for W = 1 and 2: a Dask LocalCluster of W worker processes, each
            grading its chunks in its own fork-server pool of one job

and reports wall time, notebooks per second, the cluster's extra cost per notebook over the
local run, the time to start and stop an empty LocalCluster, the peak memory of the whole
process tree, and whether every notebook got the same verdict. On one 2-core machine a cluster
can't be faster than the local pool (same cores, plus Dask's own work): what this measures is
its overhead, and how throughput grows with workers.

    .venv/bin/python benchmarks/cluster.py [--learners 200] [--timeout 5]

Needs Dask (pip install '.[cluster]'). Writes the Markdown table to stdout and to
benchmarks/RESULTS-cluster.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import grading as base  # noqa: E402  (benchmarks/grading.py: the class and the timer)

WORK = ROOT / "benchmarks" / "work" / "cluster"
PY = sys.executable


def _cpu_seconds(pid: int) -> float | None:
    """CPU time of one process alone (not its children): /proc/PID/stat utime + stime."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def grade(folder: Path, out: Path, timeout: float, *extra: str) -> tuple[float, int, float, dict]:
    """Wall time, peak memory of the process tree, CPU seconds of the coordinating process
    alone (sampled until it exits), and every notebook's verdict."""
    shutil.rmtree(out, ignore_errors=True)
    command = [PY, "-m", "grader", "grade", str(folder), "-o", str(out), "-q",
               "--timeout", str(timeout), *extra]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    memory = base.PeakMemory(process.pid)
    cpu = 0.0
    while process.poll() is None:
        cpu = _cpu_seconds(process.pid) or cpu
        time.sleep(0.02)
    err = process.stderr.read() if process.stderr else ""
    seconds, peak = time.perf_counter() - started, memory.stop()
    if process.returncode != 0:
        raise SystemExit(f"grading failed ({process.returncode}):\n{err[-3000:]}")
    results = json.loads((out / "results.json").read_text())
    verdicts = {(learner, name): (nb["status"], nb["points"])
                for learner, row in results["learners"].items()
                for name, nb in row["notebooks"].items()}
    return seconds, peak, cpu, verdicts


def cluster_start_stop(workers: int) -> float:
    """Seconds to start a LocalCluster of `workers` processes, connect, and close it all."""
    import dask
    from distributed import Client, LocalCluster

    scratch = tempfile.mkdtemp(prefix="course-bench-dask-")
    started = time.perf_counter()
    try:
        with dask.config.set({"distributed.worker.daemon": False,
                              "temporary-directory": scratch}), \
                LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                             dashboard_address=None, local_directory=scratch,
                             silence_logs=logging.ERROR) as cluster, Client(cluster):
            pass
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    base.TIMEOUT_LEARNERS = set()  # no infinite loops: measure the machinery, not the deadline
    folder = WORK / "class"
    notebooks = base.make_class(folder, range(args.learners))
    print(f"class: {args.learners} learners, {notebooks} unique notebooks; "
          f"{os.cpu_count()} CPUs", file=sys.stderr)

    runs = {}
    for label, extra in [("local, --jobs 2", ["--jobs", "2"]),
                         ("Dask LocalCluster, 2 workers (local:2)", ["--cluster", "local:2"]),
                         ("Dask LocalCluster, 1 worker (local:1)", ["--cluster", "local:1"])]:
        print(f"grading: {label} ...", file=sys.stderr)
        runs[label] = grade(folder, WORK / "out", args.timeout, *extra)
    startup = {w: cluster_start_stop(w) for w in (1, 2)}
    shutil.rmtree(WORK, ignore_errors=True)

    local_label = "local, --jobs 2"
    local_seconds, _, _, local_verdicts = runs[local_label]
    graded = {k: v for k, v in local_verdicts.items() if v[0] != "missing"}  # not the quiz
    lines = ["| run | notebooks | wall time (s) | less cluster start (s) | notebooks / s | extra "
             "per notebook vs local (ms) | coordinator CPU per notebook (ms) | peak memory (MB) "
             "| same verdicts as local |", "|---|---|---|---|---|---|---|---|---|"]
    workers_of = {local_label: 0, "Dask LocalCluster, 2 workers (local:2)": 2,
                  "Dask LocalCluster, 1 worker (local:1)": 1}
    for label, (seconds, peak, cpu, verdicts) in runs.items():
        net = seconds - startup.get(workers_of[label], 0.0)
        extra = ("—" if label == local_label
                 else f"{1000 * (net - local_seconds) / notebooks:.1f}")
        same = sum(verdicts.get(k) == v for k, v in graded.items())
        lines.append(f"| {label} | {notebooks} | {seconds:.1f} | {net:.1f} | "
                     f"{notebooks / net:.1f} | {extra} | {1000 * cpu / notebooks:.1f} | "
                     f"{peak / 2**20:.0f} | {same} / {len(graded)} |")
    one = runs["Dask LocalCluster, 1 worker (local:1)"][0] - startup[1]
    two = runs["Dask LocalCluster, 2 workers (local:2)"][0] - startup[2]
    lines += ["", f"Starting and stopping an empty LocalCluster (no grading): 1 worker "
              f"{startup[1]:.1f} s, 2 workers {startup[2]:.1f} s: taken off the wall times for "
              "the columns after it. With local:N the coordinator's process also hosts Dask's "
              "scheduler and nannies, so its CPU figure includes theirs.",
              f"Throughput 1 → 2 workers: {notebooks / one:.1f} → {notebooks / two:.1f} "
              f"notebooks/s (×{one / two:.2f}) on {os.cpu_count()} CPUs shared by the workers "
              "and the coordinator."]
    table = "\n".join(lines)
    print(table)
    (ROOT / "benchmarks" / "RESULTS-cluster.md").write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
