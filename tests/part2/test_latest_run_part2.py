"""Part 2 judges the latest run too: a function renamed in its answer cell after a pass is not
judged by the old one, in the learner's `check(N)` (runs recorded with Lab's cell ids) and in
grading (the saved notebook), with the same words."""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest

from grader.batch.api import grade_notebook
from grader.checks import checks_for
from grader.inline import judge
from grader.sources import Run, choose_sources
from grader.spec import PART2_NOTEBOOK
from tests.core.helpers import run_cell

from .solution import GIVEN, ORDER, RIGHT

ROOT = Path(__file__).resolve().parents[2]
# The answer cells' ids in notebook 06, in order (the builder numbers them through the notebook).
IDS = dict(zip(ORDER, [c.id for c in nbformat.read(ROOT / "notebooks" / PART2_NOTEBOOK, 4).cells
                       if "answer" in c.metadata.get("tags", [])], strict=True))
RENAMED = {  # name: (step, its part, the name, a new name for it)
    "run_batch_job": ("5", "job", "run_batch_job", "run_job"),
    "predict_with_fallback": ("8", "fallback", "predict_with_fallback", "fallback_predict"),
}


def _first_reading(step: str, name: str) -> str:
    return next(c.id for c in checks_for(step) if name in c.reads)


def _code(part: str) -> str:
    return textwrap.dedent(RIGHT[part]).strip() + "\n"


def _renamed(part: str, old: str, new: str) -> str:
    return _code(part).replace(f"def {old}(", f"def {new}(")


def _inline(step: str, changed: dict[str, str]):
    """Lab: the given cell and every answer run right, then `changed` cells run again."""
    namespace: dict = {}
    history = [Run(GIVEN, "step5-given-02", run_cell(GIVEN, namespace), "")]
    for part in ORDER:
        history.append(Run(_code(part), IDS[part], run_cell(_code(part), namespace), ""))
    assert judge(step, namespace, choose_sources(step, history, [])).passed
    for part, source in changed.items():
        history.append(Run(source, IDS[part], run_cell(source, namespace), ""))
    return judge(step, namespace, choose_sources(step, history, []))


def _saved(changed: dict[str, str]) -> bytes:
    nb = nbformat.read(ROOT / "notebooks" / PART2_NOTEBOOK, as_version=4)
    for cell in nb.cells:
        for part, cell_id in IDS.items():
            if cell.id == cell_id:
                cell.source = changed.get(part, _code(part))
    return nbformat.writes(nb).encode()


def _verdicts(result) -> list[tuple[str, bool, str, str]]:
    return [(c.id, c.passed, c.message, c.hint) for c in result.checks]


@pytest.mark.parametrize("name", RENAMED)
def test_a_renamed_function_is_not_judged_by_its_old_self(name) -> None:
    step, part, old, new = RENAMED[name]
    result = _inline(step, {part: _renamed(part, old, new)})
    failed = next(c for c in result.checks if c.id == _first_reading(step, old))
    assert not failed.passed and failed.message == (
        f"Your cell defines `{new}` but not `{old}`, the name the step asks for: the checks "
        "find your work by its name.")


@pytest.mark.slow
@pytest.mark.parametrize("name", RENAMED)
def test_grading_the_saved_notebook_says_the_same(name) -> None:
    step, part, old, new = RENAMED[name]
    changed = {part: _renamed(part, old, new)}
    graded = grade_notebook(_saved(changed), step=step)
    assert graded.status == "ok", graded.to_dict()
    assert _verdicts(graded.result) == _verdicts(_inline(step, changed))


def test_the_cell_given_its_name_back_passes_again() -> None:
    step, part, old, new = RENAMED["run_batch_job"]
    assert _inline(step, {part: _renamed(part, old, new) + _code(part)}).passed
