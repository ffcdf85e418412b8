"""Which of the learner's code the checks read: one rule for the learner's kernel (inline
`check(N)`) and for the grading worker, so the two can't drift apart."""

from __future__ import annotations

import ast

from .spec import step_for


def answer_cell_prefix(step: str) -> str:
    """Answer cells are given ids `step<N>-answer-<k>` by the notebook builder."""
    return f"step{step}-answer-"


def is_check_source(source: str) -> bool:
    """True for a cell holding nothing but grader imports and `check(...)` calls (comments and
    blank lines aside). An answer cell that also calls `check(` is still an answer."""
    if "check" not in source and "grader" not in source:  # most cells: no parse needed
        return False
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return bool(body) and all(_is_check_statement(node) for node in body)


def _is_check_statement(node: ast.stmt) -> bool:
    """`from grader import check`, `import grader`, `check(3)` or `report = check(3)`."""
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] == "grader"
    if isinstance(node, ast.Import):
        return all(alias.name.split(".")[0] == "grader" for alias in node.names)
    value = node.value if isinstance(node, (ast.Expr, ast.Assign)) else None
    return (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
            and value.func.id == "check")


DEMO_MARKER = "# Demonstration"


def is_demo_source(source: str) -> bool:
    """A cell that only demonstrates (starts a server, times 100,000 rows, draws a plot): it
    opens with `# Demonstration`, and grading does not run it."""
    first = next((line for line in source.splitlines() if line.strip()), "")
    return first.lstrip().startswith(DEMO_MARKER)


def checked_steps(source: str) -> set[str]:
    """Which steps a check cell checks: `check(5)` -> {"5"}; unreadable arguments are left out."""
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    found = set()
    for node in body:
        value = node.value if isinstance(node, (ast.Expr, ast.Assign)) else None
        if isinstance(value, ast.Call) and value.args and isinstance(value.args[0], ast.Constant):
            found.add(str(value.args[0].value).strip().lower())
    return found


def choose_sources(step: str, history: list[str], answers: list[str]) -> list[str]:
    """The sources the checks of `step` read, newest last, by its `Step.sources` rule.

    `history` is every cell that ran, oldest first; `answers` the step's answer cells, found by
    tag or id where the front-end gives them. Step 3 looks for the latest cell that builds
    `batch_results`, wherever it is, so it gets the history. Step 4 re-runs *the* answer cell to
    hear what it prints: by id or tag, else the latest cell that prints, else the latest cell.
    """
    rule = step_for(step).sources
    if rule == "none":
        return []
    history = [c for c in history
               if c.strip() and not is_check_source(c) and "serving_panel" not in c]
    if rule == "each_once":
        # Notebook 06 is long and its demonstrations are re-run often: each source once, at its
        # newest run (its outcome is kept per source anyway), so re-runs can't push the step's
        # answer cells out of the 20 the snapshot holds.
        history = list(reversed(dict.fromkeys(reversed(history))))
    if rule != "answer_cell":
        return history[-20:]
    if answers:
        return answers[-1:]
    printing = [c for c in history if "print" in c]
    return printing[-1:] or history[-1:]
