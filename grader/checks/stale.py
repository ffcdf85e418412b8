"""Judge the latest run: a name a check reads is judged only if a cell's latest run made it.

A notebook keeps the values of earlier runs. The snapshot carries the runs the checks read,
with their cell ids where the front-end sends them: the newest run that binds a name is where
its value came from. When that cell has run again since and no longer binds the name (renamed,
`==` typed for `=`, a capital letter, emptied), the value is stale: the check says what the
cell does now and does not judge the old value. When a name was never made but a cell nearly
makes it (a fresh kernel, or a grading worker running the saved notebook), the same words
come, so inline and graded verdicts agree. Pure functions of the snapshot, like every check.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..part2.facts import defined
from ..snapshot import Snapshot
from ..sources import answer_cell_prefix, cell_role
from .code import bound_names, compared, defines, parse


@dataclass(frozen=True)
class Unbound:
    """A name no cell's latest run makes: what to say instead of judging it."""

    name: str
    message: str = ""  # "" when no cell nearly makes it: judge it as not defined
    hint: str = ""


def newest_binding(snap: Snapshot, name: str) -> int | None:
    """The index of the newest run that (re)binds `name`."""
    for index in range(len(snap.sources) - 1, -1, -1):
        if defines(snap.sources[index], name):
            return index
    return None


def superseded(snap: Snapshot, index: int) -> int | None:
    """The index of a later run of the same cell, if that cell has run again since."""
    cell = snap.cells[index]
    later = [i for i in range(index + 1, len(snap.cells)) if cell and snap.cells[i] == cell]
    return later[-1] if later else None


def has_value(snap: Snapshot, name: str) -> bool:
    return snap.has(name) or defined(snap.facts, name)


def unbound(snap: Snapshot, name: str, known: frozenset[str]) -> Unbound | None:
    """`Unbound` when `name` holds a stale value, or none at all while a cell nearly makes it;
    None when its value is a latest run's (or nothing can be said). `known`: the names the
    step reads, which are never taken for a renamed one."""
    index = newest_binding(snap, name)
    if index is not None:
        later = superseded(snap, index)
        if later is None:
            return None
        found = near_miss(snap, name, known, first=later)
        return found or Unbound(name)
    if has_value(snap, name):
        return None  # made some way the code doesn't show (or out of sight): trust it
    return near_miss(snap, name, known)


def near_miss(snap: Snapshot, name: str, known: frozenset[str], first: int | None = None
              ) -> Unbound | None:
    """What a cell does instead of making `name`: the run `first` (the cell that made it),
    then the others, newest first; each cell's latest run only, given code aside."""
    order = list(range(len(snap.sources) - 1, -1, -1))
    if first is not None:
        order = [first] + [i for i in order if i != first]
    for index in order:
        role = cell_role(snap.cells[index])
        if role in ("given", "check") or superseded(snap, index) is not None:
            continue
        answer = role == "answer" and snap.cells[index].startswith(answer_cell_prefix(snap.step))
        found = _instead(snap.sources[index], name, known, answer)
        if found:
            return found
    return None


def _similar(made: str, wanted: str) -> bool:
    """`thresh`, `treshold`, `batch_result`, `run_batch` for the name asked; not `predict` for
    `predict_vectorised` nor `rows` for `rows_per_second` (names the course itself uses)."""
    import difflib  # only when a name is missing: not on every check's import

    return difflib.SequenceMatcher(None, made.lower(), wanted.lower()).ratio() >= 0.8


def _instead(source: str, name: str, known: frozenset[str], own_cell: bool) -> Unbound | None:
    """What `source` makes instead of `name`, if it nearly makes it. In one of the step's own
    answer cells any other name it makes counts as a rename."""
    tree = parse(source)
    if tree is None:
        return None
    made = [(other, kind) for other, kind in bound_names(tree) if other != name]
    verb = {"def": "defines", "assign": "makes"}
    for other, kind in made:
        if other.lower() == name.lower():
            return Unbound(name, f"Your cell {verb[kind]} `{other}`, but names are "
                           f"case-sensitive: the step asks for `{name}`.",
                           "Spell the name exactly as the step does, small letters included.")
    comparison = compared(tree, name)
    if comparison is not None:
        shown = ast.get_source_segment(source, comparison) or f"{name} == ..."
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return Unbound(name, f"Your cell compares `{shown}` instead of setting `{name}`: `==` "
                       "asks whether two values are equal; one `=` sets a name.",
                       f"Use a single `=` to give `{name}` its value.")
    for other, kind in made:
        if other not in known and (_similar(other, name) or own_cell):
            return Unbound(name, f"Your cell {verb[kind]} `{other}` but not `{name}`, the "
                           "name the step asks for: the checks find your work by its name.",
                           f"Name it `{name}`.")
    return None
