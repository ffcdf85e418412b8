#!/usr/bin/env python3
"""A re-run with nothing changed, at class size: where the instructor's process spends it.

Builds the class of benchmarks/grading.py at --learners (1,600 learners: 6,400 notebooks, every
one unique), grades it once, then runs the same grading again twice, in this process, timing
each phase of the coordinating process: reading the hand-ins (collect), finding every verdict
in the gradebook (grade), and writing the reports:

  every report rewritten   feedback/ removed first, so all of it is written again (what every
                           re-run did before reports were compared with what is on disk)
  only changed reports     the reports on disk are compared and left alone when unchanged

    .venv/bin/python benchmarks/rerun.py [--learners 1600]

Writes the Markdown table to stdout and to benchmarks/RESULTS-rerun.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import grading as base  # noqa: E402

from grader.batch.collect import collect  # noqa: E402
from grader.batch.gradebook import Gradebook  # noqa: E402
from grader.batch.grading import grade_class  # noqa: E402
from grader.batch.reports import write_reports  # noqa: E402
from grader.batch.sandbox import Limits  # noqa: E402
from grader.spec import ALL_STEPS, STEPS  # noqa: E402

WORK = ROOT / "benchmarks" / "work" / "rerun"


def _inodes(out: Path) -> dict[str, int]:
    """Every report file's inode: a report written again (renamed into place) gets a new one."""
    found = {p.name: p.stat().st_ino for p in out.glob("*.*") if p.suffix in (".csv", ".json")}
    folder = out / "feedback"
    if folder.exists():
        found.update({f"feedback/{p.name}": p.stat().st_ino for p in folder.iterdir()})
    return found


def rerun(folder: Path, out: Path, timeout: float) -> dict[str, float]:
    times = {}
    started = time.perf_counter()
    collection = collect(folder, ALL_STEPS)
    times["collect"] = time.perf_counter() - started
    book = Gradebook(out / "gradebook.sqlite")
    try:
        mark = time.perf_counter()
        result = grade_class(collection, jobs=2, limits=Limits(timeout=timeout), gradebook=book)
        times["grade"] = time.perf_counter() - mark
    finally:
        book.close()
    assert result.ran == 0, f"{result.ran} notebooks ran: not a no-change re-run"
    before = _inodes(out)
    mark = time.perf_counter()
    write_reports(result, out)
    times["reports"] = time.perf_counter() - mark
    after = _inodes(out)
    times["written"] = sum(after[name] != before.get(name) for name in after)
    times["files"] = len(after)
    times["total"] = time.perf_counter() - started
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=1600)
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--keep", action="store_true", help="keep benchmarks/work/rerun")
    args = parser.parse_args()
    base.TIMEOUT_LEARNERS = set()
    folder, out = WORK / "class", WORK / "out"
    notebooks = len(STEPS) * args.learners
    if not folder.exists():
        base.make_class(folder, range(args.learners))
    # brings the gradebook up to date with this grader (all of it, the first time: minutes)
    print(f"grading {notebooks} notebooks (once, or what this grader has not yet) ...",
          file=sys.stderr)
    subprocess.run([sys.executable, "-m", "grader", "grade", str(folder), "-o", str(out), "-q",
                    "--jobs", "2", "--timeout", str(args.timeout)], check=True, cwd=ROOT)
    rows = []
    for label, wipe in [("every report rewritten", True), ("only changed reports", False)]:
        best = None
        for _ in range(3):
            if wipe:
                shutil.rmtree(out / "feedback", ignore_errors=True)
            times = rerun(folder, out, args.timeout)
            best = times if best is None or times["total"] < best["total"] else best
        rows.append((label, best))
    lines = ["| no-change re-run | notebooks | report files written | collect (s) | verdicts "
             "from the gradebook (s) | reports (s) | total (s) |", "|---|---|---|---|---|---|---|"]
    for label, t in rows:
        lines.append(f"| {label} | {notebooks} | {t['written']} of {t['files']} | "
                     f"{t['collect']:.2f} | {t['grade']:.2f} | {t['reports']:.2f} | "
                     f"{t['total']:.2f} |")
    lines.append(f"\nBest of 3 each, in one process; {os.cpu_count()} CPUs, load average "
                 f"{os.getloadavg()[0]:.1f}.")
    table = "\n".join(lines)
    print(table)
    (ROOT / "benchmarks" / "RESULTS-rerun.md").write_text(table + "\n")
    if not args.keep:
        shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
