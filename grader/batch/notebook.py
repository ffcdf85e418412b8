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


def _without_outputs(data: dict) -> dict:
    """An old notebook's cells, bounded in number and without their outputs (never read here),
    before nbformat converts it: it validates every part, which costs seconds and hundreds of MB
    on 20 MB of tiny cells or outputs."""
    sheets = data.get("worksheets")
    if not isinstance(sheets, list):
        return data
    cells = [cell for sheet in sheets if isinstance(sheet, dict)
             and isinstance(sheet.get("cells"), list) for cell in sheet["cells"]]
    if len(sheets) + len(cells) > MAX_CELLS:
        raise InvalidNotebook(f"it has more than {MAX_CELLS} cells")
    for cell in cells:
        if isinstance(cell, dict) and "outputs" in cell:
            cell["outputs"] = []
    return data


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
        parsed, note = _upgrade(_without_outputs(parsed))
        notes.append(note)
    cells = parsed.get("cells")
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise InvalidNotebook("it is not a Jupyter notebook (no list of cells)")
    if len(cells) > MAX_CELLS:
        raise InvalidNotebook(f"it has more than {MAX_CELLS} cells")
    return parsed, notes


def plan_notebook(data: bytes, step: str) -> Plan:
    """Which cells to run for `step`, and the answer sources the checks will read.

    The worker runs the code cells top to bottom, skipping check cells and stopping at the last
    one (in a notebook of several steps, at this step's own check cell): the grade is then what
    the learner's own `check(N)` says after a clean run. Cells below the last check (the live
    serving panel) and cells opening with `# Demonstration` are for exploring, not for grading.
    """
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
            code.append((cell, name, source))
    if not code:
        raise InvalidNotebook("it has no code cells, so there is nothing to grade")
    checks = [i for i, (cell, _, source) in enumerate(code) if is_check_cell(cell, source)]
    # A notebook of several steps (Part 2) is run up to *this* step's check cell.
    own = [i for i in checks if step in checked_steps(code[i][2])]
    last = own[-1] if own else checks[-1] if checks else len(code)
    run = [Cell(cell_id, source) for i, (_, cell_id, source) in enumerate(code)
           if i < last and i not in checks and not is_demo_source(source)]
    if not checks:
        notes.append("no check cell found: every code cell was run")
    prefix = answer_cell_prefix(step)
    answers = [Run(source, cell_id) for cell, cell_id, source in code[:last]
               if "answer" in _tags(cell) or cell_id.startswith(prefix)]
    if step_for(step).sources == "printing_cells" and not answers:
        notes.append("no answer cell tagged: the checks read what its code cells printed")
    chosen = choose_sources(step, [Run(c.source, c.id) for c in run], answers)
    return Plan(step, tuple(run), tuple(Cell(r.cell, r.source) for r in chosen), tuple(notes))
