"""What the benchmarks share: where they work, and where their tables go.

$COURSE_BENCHMARK_WORK moves every scratch folder (benchmarks/work/ by default; the test
suite's smoke runs use a temporary folder), and --no-write prints a table without replacing
its RESULTS-*.md file.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK_ENV = "COURSE_BENCHMARK_WORK"
#: Right answers to steps 1-4, as a learner types them into the answer cells.
RIGHT = {
    "1": ["customers = [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)]"],
    "2": ["threshold = 0.6"],
    "3": ["def predict(feature):\n    return feature > threshold",
          "batch_results = [predict(feature) for customer_id, feature in customers]"],
    "4": ["print(batch_results)\nprint(predict(0.7))"],
}


def work_dir(name: str) -> Path:
    """The scratch folder of one benchmark."""
    base = os.environ.get(WORK_ENV)
    return (Path(base) if base else ROOT / "benchmarks" / "work") / name


def add_no_write(parser: argparse.ArgumentParser, results: str) -> None:
    parser.add_argument("--no-write", action="store_true",
                        help=f"print the table only; don't write benchmarks/{results}")


def write_results(results: str, text: str, args: argparse.Namespace) -> None:
    """Write a benchmark's table to benchmarks/<results>, unless --no-write."""
    if args.no_write:
        return
    path = ROOT / "benchmarks" / results
    path.write_text(text, encoding="utf-8")
    print(f"\nwritten to {path.relative_to(ROOT)}")
