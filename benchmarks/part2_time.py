#!/usr/bin/env python3
"""How long Part 2 takes a learner, step by step: `part1_time.py`'s model applied to notebook 06,
so the two parts are counted the same way.

Counted as for Part 1 (see that script for the speeds): prose read, given code read at half
speed, answers typed, a think-time per answer cell, every verdict plus one failed verdict per
check read. Part 2 adds what Part 1 doesn't have: its demonstrations, whose comments and printed
results are read at the same speed (their figures are what the step teaches), and the machine's
time running them, measured by executing the solution (`--no-run` leaves it out).

    .venv/bin/python benchmarks/part2_time.py [--answer-seconds 45] [--no-run]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from part1_time import (  # noqa: E402
    HINT,
    Minutes,
    cells,
    output_text,
    tags,
    typed,
    words,
)

from grader.spec import PART2_NOTEBOOK  # noqa: E402


def _step(cell: dict) -> str:
    return (cell.get("id") or "step?-").split("-")[0].removeprefix("step")


def _comments(code: str) -> str:
    return "\n".join(line for line in code.splitlines() if line.lstrip().startswith("#"))


def run_seconds() -> dict[str, float]:
    """Seconds each cell of the solution takes, executed as a learner's kernel would."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "solutions" / PART2_NOTEBOOK, as_version=4)
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["COURSE_PROGRESS_FILE"] = str(Path(scratch, "progress.json"))
        NotebookClient(nb, timeout=300, kernel_name="python3", record_timing=True,
                       resources={"metadata": {"path": scratch}}).execute()
    seconds = {}
    for cell in nb.cells:
        timing = cell.metadata.get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            start, end = (datetime.fromisoformat(timing[k].replace("Z", "+00:00"))
                          for k in ("iopub.execute_input", "shell.execute_reply"))
            seconds[cell.id] = (end - start).total_seconds()
    return seconds


def person(args: argparse.Namespace, machine: dict[str, float]) -> dict[str, Minutes]:
    learner, solution = cells("notebooks", PART2_NOTEBOOK), cells("solutions", PART2_NOTEBOOK)
    steps: dict[str, Minutes] = {}
    for mine, solved in zip(learner, solution, strict=True):
        spent = steps.setdefault(_step(solved), Minutes())
        if mine["cell_type"] == "markdown":
            spent.reading += words(HINT.sub("", mine["text"])) / args.wpm
        elif "answer" in tags(mine):
            characters, _ = typed(mine["text"], solved["text"])
            spent.typing += characters / args.cpm
            spent.thinking += args.answer_seconds / 60
        elif "check" in tags(mine):
            spent.verdicts += (words(output_text(solved)) + args.failed_verdict_words) / args.wpm
        elif "nbval-ignore-output" in tags(mine):  # a demonstration: its words and its results
            spent.reading += (words(_comments(mine["text"])) + words(output_text(solved))) \
                / args.wpm
            spent.doing += machine.get(solved["id"], 0.0) / 60
        else:
            spent.reading += words(mine["text"]) / (args.wpm / 2)
    return steps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wpm", type=float, default=200, help="prose read, words a minute")
    parser.add_argument("--cpm", type=float, default=150, help="code typed, characters a minute")
    parser.add_argument("--answer-seconds", type=float, default=45,
                        help="thinking per answer cell (Part 1's figure: 45)")
    parser.add_argument("--failed-verdict-words", type=int, default=60,
                        help="one failed verdict read per check cell")
    parser.add_argument("--no-run", action="store_true",
                        help="leave out the machine's time running the demonstrations")
    args = parser.parse_args()
    machine = {} if args.no_run else run_seconds()
    steps = person(args, machine)
    print(f"Reading {args.wpm:g} words/min (code at half), typing {args.cpm:g} characters/min, "
          f"thinking {args.answer_seconds:g} s per answer cell; demonstrations read and "
          f"{'run' if machine else 'not run'}.\n")
    print("| step | reading | typing | thinking | verdicts | demonstrations run | "
          "person (min) |")
    print("|---|---|---|---|---|---|---|")
    total = Minutes()
    for step, spent in sorted(steps.items()):
        if not re.fullmatch(r"\d+", step):
            continue
        print(f"| {step} | {spent.reading:.1f} | {spent.typing:.1f} | {spent.thinking:.1f} | "
              f"{spent.verdicts:.1f} | {spent.doing:.1f} | {spent.total:.1f} |")
        for name in ("reading", "typing", "thinking", "verdicts", "doing"):
            setattr(total, name, getattr(total, name) + getattr(spent, name))
    print(f"| **Part 2** | {total.reading:.1f} | {total.typing:.1f} | {total.thinking:.1f} | "
          f"{total.verdicts:.1f} | {total.doing:.1f} | **{total.total:.1f}** |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
