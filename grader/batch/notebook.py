"""From the bytes a learner handed in to a *plan*: which cells the worker runs, and which
sources the checks read.

This runs in a grading lane (the workers' trusted parent, see lane.py), on untrusted bytes,
so it only parses, within bounds: the file (`MAX_NOTEBOOK_BYTES`), each code cell and all code
cells together (so the little `ast` work on learner code here stays cheap); the coordinator caps
the class (`MAX_CLASS_BYTES` in all). It never executes anything. Whatever is wrong with a file
becomes one plain sentence (`InvalidNotebook`), which ends up in the learner's feedback and the
instructor's status column.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..questions import Question
from ..sources import (
    Run,
    answer_cell_prefix,
    checked_steps,
    choose_sources,
    is_check_source,
    is_demo_source,
)
from ..spec import step_for

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_CELLS = 2000
MAX_CELL_CHARS = 100_000  # one code cell; a course answer is a few hundred
MAX_CODE_CHARS = 1_000_000  # all code cells of one notebook
MAX_CLASS_BYTES = 8 * 1024**3  # read from a whole class's hand-ins in one run


class InvalidNotebook(ValueError):
    """A hand-in that can't be graded as a notebook; the message is meant for people."""


@dataclass(frozen=True)
class Cell:
    id: str
    source: str


@dataclass(frozen=True)
class Plan:
    """What to run for one step notebook, decided before any learner code runs."""

    step: str
    cells: tuple[Cell, ...]
    sources: tuple[Cell, ...]  # the cells whose runs the checks read (`choose_sources`)
    notes: tuple[str, ...] = ()
    files: tuple[tuple[str, bytes], ...] = ()  # placed in the worker's empty folder first
    questions: tuple[Question, ...] = ()  # what the worker answers (drawn by the harness)


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return "".join(value)
    raise InvalidNotebook("a cell's source is not text")


def _tags(cell: dict) -> list[str]:
    metadata = cell.get("metadata")
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def is_check_cell(cell: dict, source: str) -> bool:
    """A check cell is tagged `check`, or (tags lost) holds nothing but `check(...)` calls.
    An answer cell that merely *also* calls `check(` is still run: its code is the answer."""
    tags = _tags(cell)
    if "check" in tags:
        return True
    return "answer" not in tags and "check(" in source and is_check_source(source)


def _upgrade(data: dict) -> tuple[dict, str]:
    """Old nbformat 3 files (very old Jupyter) are converted rather than refused."""
    try:
        import nbformat  # costly to import; only an old notebook pays for it

        node = nbformat.convert(nbformat.from_dict(data), 4)
    except Exception as err:
        raise InvalidNotebook(
            f"it is in the old notebook format {data.get('nbformat')} and could not be "
            "converted; open it in Jupyter, save it and hand it in again") from err
    return json.loads(json.dumps(node)), f"converted from notebook format {data['nbformat']}"


def _tags_of(cell: dict) -> list[str]:
    tags = _tags(cell)
    return [t[:100] for t in tags[:20]]


def _skeleton(data: dict) -> dict:
    """An old notebook reduced to what grading reads (each code cell's code and tags) before
    nbformat converts it: converting validates every part, which costs seconds and gigabytes
    on 20 MB of metadata, outputs or prose, none of which grading reads."""
    sheets = data.get("worksheets")
    cells = [cell for sheet in sheets if isinstance(sheet, dict)
             and isinstance(sheet.get("cells"), list) for cell in sheet["cells"]
             ] if isinstance(sheets, list) else []
    if len(cells) > MAX_CELLS:
        raise InvalidNotebook(f"it has more than {MAX_CELLS} cells")
    code = [{"cell_type": "code", "input": cell.get("input", ""), "language": "python",
             "outputs": [], "metadata": {"tags": _tags_of(cell)} if _tags(cell) else {}}
            for cell in cells if isinstance(cell, dict) and cell.get("cell_type") == "code"]
    return {"nbformat": data["nbformat"], "nbformat_minor": 0, "metadata": {},
            "worksheets": [{"cells": code, "metadata": {}}]}


def load_notebook(data: bytes) -> tuple[dict, list[str]]:
    """Parse and sanity-check notebook JSON; (notebook, notes)."""
    if not data.strip():
        raise InvalidNotebook("the file is empty")
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise InvalidNotebook(f"the file is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, RecursionError, MemoryError):
        raise InvalidNotebook("it is not a Jupyter notebook (the file is not valid JSON)") from None
    except ValueError as err:  # not JSON, or a number too long to be one (int digit limit)
        why = "a number in it is too long" if "digits" in str(err) else "the file is not valid JSON"
        raise InvalidNotebook(f"it is not a Jupyter notebook ({why})") from None
    if not isinstance(parsed, dict) or "nbformat" not in parsed:
        raise InvalidNotebook("it is not a Jupyter notebook (no notebook format in the file)")
    notes: list[str] = []
    version = parsed.get("nbformat")
    if not isinstance(version, int):
        raise InvalidNotebook("it is not a Jupyter notebook (its format number is not a number)")
    if version < 4:
        parsed, note = _upgrade(_skeleton(parsed))
        notes.append(note)
    cells = parsed.get("cells")
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise InvalidNotebook("it is not a Jupyter notebook (no list of cells)")
    if len(cells) > MAX_CELLS:
        raise InvalidNotebook(f"it has more than {MAX_CELLS} cells")
    return parsed, notes


@dataclass(frozen=True)
class CodeCell:
    """A code cell as planning reads it."""

    id: str
    source: str
    tags: tuple[str, ...]
    checks: frozenset[str] | None  # a check cell: the steps it checks; None: not a check cell


@dataclass(frozen=True)
class Parsed:
    """A notebook's code cells, read once (within bounds), then planned for each of its steps:
    notebook 06 holds four."""

    code: tuple[CodeCell, ...]
    notes: tuple[str, ...]


def read_notebook(data: bytes) -> Parsed:
    """The code cells of a notebook's bytes, or `InvalidNotebook` in one sentence."""
    notebook, notes = load_notebook(data)
    code = []
    seen: set[str] = set()
    total = 0
    for index, cell in enumerate(notebook["cells"]):
        if cell.get("cell_type") == "code":
            cell_id = cell.get("id")
            source = _text(cell.get("source", ""))
            if len(source) > MAX_CELL_CHARS:
                raise InvalidNotebook(f"a code cell holds more than {MAX_CELL_CHARS:,} "
                                      "characters")
            total += len(source)
            if total > MAX_CODE_CHARS:
                raise InvalidNotebook(f"its code cells hold more than {MAX_CODE_CHARS:,} "
                                      "characters in all")
            name = cell_id[:200] if isinstance(cell_id, str) and cell_id else f"cell-{index + 1}"
            if name in seen:  # ids are unique in a valid notebook; a hand-edited one may repeat
                name = f"{name}-{index + 1}"
            seen.add(name)
            check = is_check_cell(cell, source)
            code.append(CodeCell(name, source, tuple(_tags(cell)),
                                 frozenset(checked_steps(source)) if check else None))
    if not code:
        raise InvalidNotebook("it has no code cells, so there is nothing to grade")
    return Parsed(tuple(code), tuple(notes))


def plan_notebook(data: bytes | Parsed, step: str) -> Plan:
    """Which cells to run for `step`, and the answer sources the checks will read (`data`:
    the notebook's bytes, or its cells as `read_notebook` read them).

    The worker runs the code cells top to bottom, skipping check cells and stopping at the last
    one (in a notebook of several steps, at this step's own check cell): the grade is then what
    the learner's own `check(N)` says after a clean run. Cells below the last check (the live
    serving panel) and cells opening with `# Demonstration` are for exploring, not for grading.
    """
    parsed = data if isinstance(data, Parsed) else read_notebook(data)
    code, notes = parsed.code, list(parsed.notes)
    checks = [i for i, cell in enumerate(code) if cell.checks is not None]
    # A notebook of several steps (Part 2) is run up to *this* step's check cell.
    own = [i for i in checks if step in code[i].checks]  # type: ignore[operator]
    last = own[-1] if own else checks[-1] if checks else len(code)
    run = [Cell(cell.id, cell.source) for i, cell in enumerate(code)
           if i < last and cell.checks is None and not is_demo_source(cell.source)]
    if not checks:
        notes.append("no check cell found: every code cell was run")
    prefix = answer_cell_prefix(step)
    answers = [Run(cell.source, cell.id) for cell in code[:last]
               if "answer" in cell.tags or cell.id.startswith(prefix)]
    if step_for(step).sources == "printing_cells" and not answers:
        notes.append("no answer cell tagged: the checks read what its code cells printed")
    chosen = choose_sources(step, [Run(c.source, c.id) for c in run], answers)
    return Plan(step, tuple(run), tuple(Cell(r.cell, r.source) for r in chosen), tuple(notes))
