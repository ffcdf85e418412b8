#!/usr/bin/env python3
"""Grading on Dask workers vs this machine's own pool, side by side in one run.

Builds the synthetic class of benchmarks/grading.py (every notebook unique, so nothing is
deduplicated; here without its three infinite loops, so the figures are the machinery's), then
grades it with `python -m grader grade`, each a fresh process and a fresh gradebook:

  local     --jobs 2: this machine's fork-server pool (the default path)
  cluster   a Dask LocalCluster of W = 2 and W = 1 worker processes (one thread each), started
            by this script; `grade --cluster tcp://...` joins it by address, as it would join
            a scheduler on SLURM or Kubernetes, and each worker grades its chunks in its own
            fork-server pool of one job

and reports wall time, notebooks per second, the cluster's extra cost per notebook over the
local run, the coordinating process's own CPU time per notebook, the peak memory of the
grading command's process tree, and whether every notebook got the same verdict; the best of
--repeat rounds. On one 2-core machine a cluster can't be faster than the local pool (the same
cores, plus Dask's own work): what this measures is its overhead, and how throughput grows
from one worker to two.

    .venv/bin/python benchmarks/cluster.py [--learners 200] [--timeout 5] [--workers 2 1]

Needs Dask (pip install '.[cluster]'). Writes the Markdown table to stdout and to
benchmarks/RESULTS-cluster.md.
"""

from __future__ import annotations

import argparse
import contextlib
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
from common import add_no_write, work_dir, write_results  # noqa: E402

WORK = work_dir("cluster")
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


@contextlib.contextmanager
def local_cluster(workers: int):
    """A LocalCluster of `workers` processes, started here (timed) so that the grading runs
    join it as they would join any running scheduler, and its start is not in their time."""
    import dask
    from distributed import LocalCluster

    scratch = tempfile.mkdtemp(prefix="course-bench-dask-")
    started = time.perf_counter()
    try:
        with dask.config.set({"distributed.worker.daemon": False,
                              "temporary-directory": scratch}), \
                LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                             dashboard_address=None, local_directory=scratch,
                             env={"TMPDIR": scratch},
                             silence_logs=logging.ERROR) as cluster:
            yield cluster, time.perf_counter() - started
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def best(runs: dict, label: str, run: tuple) -> None:
    if label not in runs or run[0] < runs[label][0]:
        runs[label] = run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=2, help="rounds; the best of each is kept")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 1], metavar="W",
                        help="sizes of the Dask LocalCluster to compare (default: 2 1)")
    add_no_write(parser, "RESULTS-cluster.md")
    args = parser.parse_args()
    base.TIMEOUT_LEARNERS = set()  # no infinite loops: measure the machinery, not the deadline
    folder = WORK / "class"
    notebooks = base.make_class(folder, range(args.learners))
    print(f"class: {args.learners} learners, {notebooks} unique notebooks; "
          f"{os.cpu_count()} CPUs", file=sys.stderr)

    load_before = os.getloadavg()[0]
    runs, startup = {}, {}
    for repeat in range(args.repeat):  # the best of a few: other work on the machine only adds
        print(f"round {repeat + 1}: local --jobs 2", file=sys.stderr)
        best(runs, "local, --jobs 2", grade(folder, WORK / "out", args.timeout, "--jobs", "2"))
        for workers in args.workers:
            with local_cluster(workers) as (cluster, seconds):
                startup[workers] = min(seconds, startup.get(workers, seconds))
                print(f"round {repeat + 1}: Dask LocalCluster of {workers}", file=sys.stderr)
                label = (f"Dask LocalCluster, {workers} worker{'s' if workers > 1 else ''} "
                         f"(--cluster {cluster.scheduler_address.split(':')[0]}://...)")
                best(runs, label, grade(folder, WORK / "out", args.timeout,
                                        "--cluster", cluster.scheduler_address))
    shutil.rmtree(WORK, ignore_errors=True)

    local_label = "local, --jobs 2"
    local_seconds, _, _, local_verdicts = runs[local_label]
    graded = {k: v for k, v in local_verdicts.items() if v[0] != "missing"}  # not the quiz
    lines = ["| run | notebooks | wall time (s) | notebooks / s | extra per notebook vs local "
             "(ms) | coordinator CPU per notebook (ms) | peak memory (MB) | same verdicts as "
             "local |", "|---|---|---|---|---|---|---|---|"]
    for label, (seconds, peak, cpu, verdicts) in runs.items():
        extra = ("—" if label == local_label
                 else f"{1000 * (seconds - local_seconds) / notebooks:+.1f}")
        same = sum(verdicts.get(k) == v for k, v in graded.items())
        lines.append(f"| {label} | {notebooks} | {seconds:.1f} | {notebooks / seconds:.1f} | "
                     f"{extra} | {1000 * cpu / notebooks:.1f} | {peak / 2**20:.0f} | "
                     f"{same} / {len(graded)} |")
    seconds_by_size = {w: next(v[0] for k, v in runs.items() if f" {w} worker" in k)
                       for w in args.workers}
    started = ", ".join(f"{w} worker{'s' if w > 1 else ''}: {startup[w]:.1f} s"
                        for w in sorted(startup))
    lines += ["", f"Best of {args.repeat} rounds each, {os.cpu_count()} CPUs, load average "
              f"{load_before:.1f} before and {os.getloadavg()[0]:.1f} after (other work on the "
              f"machine). The cluster was started before each cluster run ({started}, not in "
              "its wall time); the grading command joined it by its "
              "address, as it would join any scheduler, so each run includes connecting and "
              "warming every worker's fork server. Peak memory counts the grading command's "
              "process tree only, not the cluster's workers."]
    if {1, 2} <= seconds_by_size.keys():
        one, two = seconds_by_size[1], seconds_by_size[2]
        lines.append(f"Throughput 1 → 2 workers: {notebooks / one:.1f} → {notebooks / two:.1f} "
                     f"notebooks/s (×{one / two:.2f}), the workers and the coordinator sharing "
                     f"{os.cpu_count()} CPUs.")
    table = "\n".join(lines)
    print(table)
    write_results("RESULTS-cluster.md", table + "\n", args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
