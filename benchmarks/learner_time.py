#!/usr/bin/env python3
"""How long a learner needs for each step, estimated from the solution notebooks, the same way
for every notebook so Part 1 and Part 2 can be compared.

An estimate, not a measurement of learners (none were timed): reading the markdown at
`--wpm` words a minute; reading each given or demonstration cell's code at `--code-seconds` a
line; writing each answer at `--minutes-per-line` a line of the solution (thinking, typing and
looking things up), plus one failed check per answer cell read and acted on
(`--fix-minutes`); running every cell (the time the solution's own cells took when it was last
executed, from `--timings`, a JSON file of seconds by cell id, if given) and reading what the
demonstrations print. Prints a Markdown table by step.

    .venv/bin/python benchmarks/learner_time.py [--timings cell_seconds.json]
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def _words(text: str) -> int:
    return len(re.findall(r"[A-Za-z0-9_]+", text))


def _code_lines(source: str) -> int:
    return sum(1 for line in source.splitlines()
               if line.strip() and not line.strip().startswith("#"))


def _answer_lines(source: str) -> int:
    inside, count = False, 0
    for line in source.splitlines():
        if MARKERS[0] in line:
            inside = True
        elif MARKERS[1] in line:
            inside = False
        elif inside and line.strip() and not line.strip().startswith("#"):
            count += 1
    return count


def _printed(cell: dict) -> str:
    return "".join(o.get("text", "") if isinstance(o.get("text"), str) else "".join(o.get("text",
                   [])) for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def estimate(path: Path, args: argparse.Namespace, timings: dict) -> dict[str, dict]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    steps: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    for cell in cells:
        step = (cell.get("id") or "step?-").split("-")[0].removeprefix("step")
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        row = steps[step]
        if cell["cell_type"] == "markdown":
            row["read"] += _words(source) / args.wpm
            continue
        if MARKERS[0] in source:
            row["answers"] += 1
            row["lines"] += _answer_lines(source)
            row["write"] += _answer_lines(source) * args.minutes_per_line + args.fix_minutes
        else:
            row["read"] += _code_lines(source) * args.code_seconds / 60
            row["read"] += _words(_printed(cell)) / args.wpm
        row["run"] += timings.get(cell.get("id"), 0.0) / 60
    for row in steps.values():
        row["total"] = row["read"] + row["write"] + row["run"]
    return steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wpm", type=float, default=150, help="reading speed (150)")
    parser.add_argument("--code-seconds", type=float, default=4, help="per line of code read")
    parser.add_argument("--minutes-per-line", type=float, default=1.5,
                        help="per line of answer written (1.5)")
    parser.add_argument("--fix-minutes", type=float, default=1.5,
                        help="per answer cell: one failed check read and acted on (1.5)")
    parser.add_argument("--timings", type=Path, help="JSON {cell id: seconds} of a run")
    args = parser.parse_args(argv)
    timings = json.loads(args.timings.read_text()) if args.timings else {}
    print("| notebook | step | answer cells | answer lines | read | write | run | total |")
    print("|---|---|---|---|---|---|---|---|")
    for path in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")):
        for step, row in estimate(path, args, timings).items():
            print(f"| {path.name} | {step} | {row['answers']:.0f} | {row['lines']:.0f} | "
                  f"{row['read']:.1f} | {row['write']:.1f} | {row['run']:.1f} | "
                  f"{row['total']:.0f} min |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
