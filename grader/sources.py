"""Which of the learner's code the checks read: one rule for the learner's kernel (inline
`check(N)`) and for the grading worker, so the two can't drift apart."""

from __future__ import annotations

import re

# A line that only imports the grader or calls `check(...)`: not the learner's answer.
_CHECK_LINE = re.compile(r"^((\w+\s*=\s*)?check\(.*\)|from grader import .*|import grader\b.*)$")


def answer_cell_prefix(step: str) -> str:
    """Answer cells are given ids `step<N>-answer-<k>` by the notebook builder."""
    return f"step{step}-answer-"


def is_check_source(source: str) -> bool:
    """True for a cell holding nothing but grader imports and `check(...)` calls (comments and
    blank lines aside). An answer cell that also calls `check(` is still an answer."""
    lines = [line.strip() for line in source.splitlines()]
    code = [line for line in lines if line and not line.startswith("#")]
    return bool(code) and all(_CHECK_LINE.match(line) for line in code)


def choose_sources(step: str, history: list[str], answers: list[str]) -> list[str]:
    """The sources the checks of `step` read, newest last.

    `history` is every cell that ran, oldest first; `answers` the step's answer cells, found by
    tag or id where the front-end gives them. Step 3 looks for the latest cell that builds
    `batch_results`, wherever it is, so it gets the history. Step 4 re-runs *the* answer cell to
    hear what it prints: by id or tag, else the latest cell that prints, else the latest cell.
    """
    history = [c for c in history
               if c.strip() and not is_check_source(c) and "serving_panel" not in c]
    if step != "4":
        return history[-20:]
    if answers:
        return answers[-1:]
    printing = [c for c in history if "print" in c]
    return printing[-1:] or history[-1:]
