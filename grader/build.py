"""The notebook builder: solutions/ (the masters) -> notebooks/ (what learners get).

In a solution notebook, what the learner writes sits between `### BEGIN SOLUTION` and
`### END SOLUTION`; a cell that calls `check(...)` is a check cell. The builder tags and locks
cells by role, gives them stable ids (the inline check finds answer cells by id), replaces each
answer with a placeholder and clears outputs. An answer cell may instead give the learner a
template to fill in: a `### BEGIN PROMPT` / `### END PROMPT` block of commented lines (inert in
the solution) becomes, uncommented, the learner's cell in place of the solution (the same idea
as otter-grader's prompts). The output is a pure function of the input, so
building twice changes nothing and `--check` can tell a stale `notebooks/` from a fresh one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .files import write_atomic
from .sources import answer_cell_prefix, checked_steps, is_check_source
from .spec import ALL_STEPS, step_for_notebook

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
PLACEHOLDER = "# YOUR CODE HERE"
SOLUTION_BLOCK = re.compile(
    rf"^([ \t]*){re.escape(BEGIN)}[^\n]*\n.*?^[ \t]*{re.escape(END)}[^\n]*(\n|$)", re.M | re.S)
PROMPT_BEGIN = "### BEGIN PROMPT"
PROMPT_END = "### END PROMPT"
PROMPT_BLOCK = re.compile(
    rf"^[ \t]*{re.escape(PROMPT_BEGIN)}[^\n]*\n(.*?)^[ \t]*{re.escape(PROMPT_END)}[^\n]*(?:\n|$)",
    re.M | re.S)
# Course notebooks are named NN_name.ipynb; a notebook placed between two others takes a letter
# (04b_choose_the_mode.ipynb sorts after 04_ and before 05_), so names already in gradebooks
# and LMS downloads never change.
NOTEBOOK_GLOB = "[0-9][0-9]*_*.ipynb"
KEEP_CELL_METADATA = ("tags", "editable", "deletable", "collapsed", "jupyter")
NBVAL_TAGS = ("nbval-ignore-output", "nbval-skip", "raises-exception", "nbval-check-output")


class BuildError(Exception):
    """A solution notebook the builder can't turn into a learner notebook."""


@dataclass(frozen=True)
class Built:
    name: str
    solution: str  # normalised solution JSON
    learner: str  # learner notebook JSON


def _role(cell: nbformat.NotebookNode) -> str:
    if cell.cell_type == "code" and BEGIN in cell.source:
        return "answer"
    if cell.cell_type == "code" and is_check_source(cell.source) and "check(" in cell.source:
        return "check"
    return "given"


def strip_solutions(source: str) -> str:
    """The learner's version of an answer cell: each solution becomes the placeholder, or, when
    the cell has a prompt, the prompt (uncommented) takes the solutions' place."""
    if source.count(BEGIN) != source.count(END):
        raise BuildError(f"unbalanced {BEGIN} / {END} markers in:\n{source}")
    if source.count(PROMPT_BEGIN) != source.count(PROMPT_END) or source.count(PROMPT_BEGIN) > 1:
        raise BuildError(f"a cell takes one {PROMPT_BEGIN} / {PROMPT_END} pair:\n{source}")
    prompt = PROMPT_BLOCK.search(source)
    if prompt is None:
        return SOLUTION_BLOCK.sub(lambda m: f"{m.group(1)}{PLACEHOLDER}{m.group(2)}", source)
    template = _uncomment(prompt.group(1), source)
    return SOLUTION_BLOCK.sub("", PROMPT_BLOCK.sub(lambda _: template, source))


def _uncomment(block: str, source: str) -> str:
    lines = []
    for line in block.splitlines(keepends=True):
        if not line.lstrip().startswith("#"):
            raise BuildError(f"every line of a {PROMPT_BEGIN} block is commented out, so the "
                             f"solution stays runnable; this one isn't: {line.strip()!r} in:\n"
                             f"{source}")
        text = line.lstrip()[1:]
        lines.append(text[1:] if text.startswith(" ") else text)
    return "".join(lines)


def _clean_metadata(cell: nbformat.NotebookNode, role: str) -> None:
    kept = {k: v for k, v in cell.metadata.items() if k in KEEP_CELL_METADATA}
    tags = [t for t in kept.get("tags", []) if t in NBVAL_TAGS]
    if role != "given":
        tags.append(role)
    kept["tags"] = sorted(set(tags))
    if not kept["tags"]:
        del kept["tags"]
    kept["editable"] = role == "answer"
    kept["deletable"] = False
    cell.metadata = nbformat.from_dict(kept)


def _steps_of_cells(nb: nbformat.NotebookNode, step_key: str) -> list[str]:
    """Each cell's step: in a notebook of several steps (Part 2), the step of the next check
    cell, so `check(6)` finds its answers by their ids; elsewhere the notebook's one step."""
    checks = [sorted(checked_steps(c.source)) for c in nb.cells if _role(c) == "check"]
    keys, current = [], (checks[-1][:1] or [None])[0] if checks else None  # the cells after
    for cell in reversed(nb.cells):  # the last check belong to the last step
        if _role(cell) == "check":
            current = next(iter(sorted(checked_steps(cell.source))), current)
        keys.append(current or step_key)
    return keys[::-1]


def normalise_solution(nb: nbformat.NotebookNode, step_key: str) -> nbformat.NotebookNode:
    """Stable ids by role, tidy metadata; outputs are kept (nbval compares them)."""
    nb.metadata = nbformat.from_dict({
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
    })
    counters: dict[str, int] = {}
    keys = _steps_of_cells(nb, step_key)
    for index, cell in enumerate(nb.cells):
        role = _role(cell)
        counters[role] = counters.get(role, 0) + 1
        if role == "answer":
            cell.id = f"{answer_cell_prefix(keys[index])}{counters[role]}"
        else:
            cell.id = f"step{keys[index]}-{role}-{index + 1:02d}"
        _clean_metadata(cell, role)
    return nb


def learner_version(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(solution)
    for cell in nb.cells:
        if "answer" in cell.metadata.get("tags", []):
            cell.source = strip_solutions(cell.source)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def _dump(nb: nbformat.NotebookNode) -> str:
    nbformat.validate(nb)
    return nbformat.writes(nb, version=4) + "\n"


def build_one(path: Path) -> Built:
    step = step_for_notebook(path.name)
    if step is None:
        known = ", ".join(s.notebook for s in ALL_STEPS)
        raise BuildError(f"{path.name} is not a course notebook (expected one of: {known})")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:
        raise BuildError(f"{path} is not a readable notebook: {err}") from err
    solution = normalise_solution(nb, step.key)
    if step.answer_cells and not any(_role(c) == "answer" for c in solution.cells):
        raise BuildError(f"{path.name} has no cell with {BEGIN}")
    return Built(path.name, _dump(solution), _dump(learner_version(solution)))


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def build(solutions: Path, notebooks: Path, check_only: bool = False) -> list[Path]:
    """Build every notebook; return the files that were (or, with check_only, would be) changed.

    Everything is built in memory first, so one bad solution writes nothing at all.
    """
    sources = sorted(solutions.glob(NOTEBOOK_GLOB))
    if not sources:
        raise BuildError(f"no solution notebooks (NN_name.ipynb) in {solutions}")
    built = [build_one(path) for path in sources]
    stale: list[Path] = []
    for item in built:
        for target, text in ((solutions / item.name, item.solution),
                             (notebooks / item.name, item.learner)):
            if _read(target) != text:
                stale.append(target)
                if not check_only:
                    write_atomic(target, text)
    expected = {item.name for item in built}
    for extra in sorted(notebooks.glob(NOTEBOOK_GLOB)):
        if extra.name not in expected:
            stale.append(extra)
            if not check_only:
                extra.unlink()
    return stale
