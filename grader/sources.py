"""Which of the learner's code the checks read: one rule for the learner's kernel (inline
`check(N)`) and for the grading worker, so the two can't drift apart."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .spec import step_for


@dataclass(frozen=True)
class Run:
    """One run of one cell, as the learner's kernel recorded it or a grading worker ran it."""

    source: str
    cell: str = ""  # the cell's id; "" when the front-end sent none
    error: str = ""  # how this run failed ("TypeError: ..."), "" when it ran cleanly
    printed: str | None = None  # what it printed; None when that was not recorded


def as_runs(sources: Iterable[str | Run], outcomes: Mapping[str, str] | None = None
            ) -> list[Run]:
    """Runs from bare sources (an API caller's `source=`), each with its latest outcome."""
    return [s if isinstance(s, Run) else Run(s, error=(outcomes or {}).get(s, "") or "")
            for s in sources]


# The ids the notebook builder gives: `step3-answer-1`, `step3-given-02`, `step3-check-08`.
_BUILT_ID = re.compile(r"^step[0-9a-z]+-(answer|given|check)-\d+$")


def cell_role(cell_id: str) -> str:
    """"answer", "given" or "check" for a cell the builder made, "learner" for a cell the
    learner added (any other id), "" when the front-end sent no id."""
    if not cell_id:
        return ""
    match = _BUILT_ID.match(cell_id)
    return match.group(1) if match else "learner"


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


def choose_sources(step: str, history: Iterable[str | Run], answers: Iterable[str | Run]
                   ) -> list[Run]:
    """The runs the checks of `step` read, newest last, by its `Step.sources` rule.

    `history` is every cell run, oldest first; `answers` the step's answer cells, found by tag
    or id where the front-end gives them. Steps 1-3 get the history (step 3 looks for the
    latest cell that builds `batch_results`, wherever it is; a re-run of the cell that built a
    name shows whether it still does). Step 4 reads what its cells printed: see
    `_printing_cells`.
    """
    rule = step_for(step).sources
    if rule == "none":
        return []
    # An emptied cell's run stays (it says the cell no longer builds what it built); a blank
    # run with no cell to belong to says nothing.
    runs = [r for r in as_runs(history) if (r.source.strip() or r.cell)
            and not is_check_source(r.source) and "serving_panel" not in r.source]
    if rule == "each_once":
        # Notebook 06 is long and its demonstrations are re-run often: each source once, at its
        # newest run (its outcome is kept per source anyway), so re-runs can't push the step's
        # answer cells out of the 20 the snapshot holds.
        seen: set[str] = set()
        newest_first = [r for r in reversed(runs) if not (r.source in seen or seen.add(r.source))]
        runs = newest_first[::-1]
    if rule != "printing_cells":
        return runs[-20:]
    return _printing_cells(runs, as_runs(answers))


def _printing_cells(runs: list[Run], answers: list[Run]) -> list[Run]:
    """The cells whose prints step 4 reads: where cells have ids, the latest run of each
    answer cell and each cell the learner added (given code and check cells aside), in the
    order each first ran, so prints spread over the answer cell and cells below it read in
    order. Without ids: the answer cell if known, else the latest cell that prints."""
    if any(r.cell for r in runs):
        latest: dict[str, Run] = {}  # cell -> its latest run, in the order cells first ran
        for index, run in enumerate(runs):
            latest[run.cell or f"#{index}"] = run  # a run without an id is a cell of its own
        chosen = [run for run in latest.values() if cell_role(run.cell) in ("answer", "learner",
                                                                             "")]
        if chosen:
            return chosen[-20:]
    if answers:
        return answers[-1:]
    printing = [r for r in runs if "print" in r.source]
    return printing[-1:] or runs[-1:]
