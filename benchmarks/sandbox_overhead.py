#!/usr/bin/env python3
"""What the hardened sandbox costs per notebook: the grader before it and after it, side by side.

Builds a class of right answers (learner code costs next to nothing, so what is measured is the
grader: fork, walls, run, snapshot, judge, clean-up), then grades it with

  before    the grader as it was before the hardening (git revision --before, exported from
            this repository's history into benchmarks/work/), and
  after     this working tree,

alternating the two for --rounds rounds, each time one notebook at a time (`--jobs 1`: the
per-notebook overhead, the median of results.json's per-notebook runtimes) and with `--jobs 2`
(wall time of the whole command, notebooks per second). Run it as root to measure what root
gets (user ids per run, namespaces); as another user both sides skip those walls.

    .venv/bin/python benchmarks/sandbox_overhead.py [--learners 25] [--rounds 3]

Writes the Markdown table to stdout and to benchmarks/RESULTS-sandbox.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import add_no_write, work_dir, write_results  # noqa: E402
from grading import make_class  # noqa: E402  (the class builder of benchmarks/grading.py)

WORK = work_dir("sandbox")
BEFORE = "ef18855"  # the last commit before the hardening (issue 7)


def export(revision: str, target: Path) -> Path:
    """The grader and course package of `revision`, as files (no checkout, no git worktree)."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    with tempfile.TemporaryFile() as archive:
        subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", revision, "grader",
                        "churn_course"], stdout=archive, check=True)
        archive.seek(0)
        with tarfile.open(fileobj=archive) as tar:
            tar.extractall(target, filter="data")
    return target


def grade(tree: Path, folder: Path, jobs: int) -> tuple[float, list[float], dict]:
    """(wall seconds, per-notebook runtimes, results) of `python -m grader grade` from `tree`."""
    out = WORK / f"out-{tree.name}-{jobs}"
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(tree))
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader", "grade", str(folder), "-o", str(out), "-q",
                    "--jobs", str(jobs), "--timeout", "20"], cwd=tree, env=env, check=True)
    seconds = time.perf_counter() - started
    results = json.loads((out / "results.json").read_text())
    runtimes = [nb["runtime"] for learner in results["learners"].values()
                for nb in learner["notebooks"].values() if nb["status"] == "ok"]
    return seconds, runtimes, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", default=BEFORE, help="git revision (default: %(default)s)")
    add_no_write(parser, "RESULTS-sandbox.md")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    trees = {"before": export(args.before, WORK / "before"), "after": ROOT}
    folder = WORK / "class"
    # learners 20+ of benchmarks/grading.py's class hold right answers and no infinite loop
    count = make_class(folder, range(20, 20 + args.learners))
    if any("while True" in nb.read_text() for nb in folder.rglob("*.ipynb")):
        raise SystemExit("the class must hold no infinite loop: choose other learners")
    overhead: dict[str, list[float]] = {name: [] for name in trees}
    walls: dict[str, list[float]] = {name: [] for name in trees}
    points: dict[str, float] = {}
    for round_ in range(args.rounds):
        for name, tree in trees.items():
            _, runtimes, _ = grade(tree, folder, 1)
            overhead[name].append(statistics.median(runtimes))
            seconds, _, results = grade(tree, folder, 2)
            walls[name].append(seconds)
            points[name] = sum(nb["points"] for learner in results["learners"].values()
                               for nb in learner["notebooks"].values())
            print(f"round {round_ + 1}, {name}: {overhead[name][-1] * 1000:.1f} ms per "
                  f"notebook, {count} notebooks in {seconds:.1f} s", flush=True)
    if points["before"] != points["after"]:
        raise SystemExit(f"the two graders disagree: {points}")
    user = "root" if os.geteuid() == 0 else "not root"
    lines = ["| grader | per-notebook overhead, median (ms) | whole class, 2 jobs (s) | "
             "notebooks / s |", "|---|---|---|---|"]
    for name, label in (("before", f"before the hardening (`{args.before}`)"),
                        ("after", "after: user ids per run, namespaces, uid sweep")):
        median_ms = statistics.median(overhead[name]) * 1000
        wall = statistics.median(walls[name])
        lines.append(f"| {label} | {median_ms:.1f} | {wall:.2f} | {count / wall:.0f} |")
    ratio = statistics.median(overhead["after"]) / statistics.median(overhead["before"])
    lines += ["", f"{count} notebooks of right answers ({args.learners} learners), "
              f"{args.rounds} rounds alternating the two, as {user}, {os.cpu_count()} CPUs. "
              f"Overhead after / before: {ratio:.2f}× (target: at most 2×). Both gave the same "
              f"points ({points['after']:g})."]
    table = "\n".join(lines)
    print()
    print(table)
    write_results("RESULTS-sandbox.md",
                  f"# Sandbox overhead benchmark\n\n`{' '.join(sys.argv)}`\n\n{table}\n", args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
