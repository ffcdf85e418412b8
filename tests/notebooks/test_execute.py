"""Run every notebook top to bottom in a real Jupyter kernel, as a learner would.

The learner notebooks must run without an error and every check must say "not started yet"; the
solution notebooks must pass every check. Together: each check fails on the learner notebook and
passes on the solution (the inverted test). It also proves the step 4 printed-output check works
through a real kernel, where answer cells are recognised by their cell ids.
"""

from pathlib import Path

import nbformat
import pytest
from kernels import PrivateKernelManager
from nbclient import NotebookClient

from grader.spec import ALL_STEPS

ROOT = Path(__file__).resolve().parents[2]


def _run(path: Path, workdir: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=60, kernel_name="python3",
                   kernel_manager_class=PrivateKernelManager,
                   resources={"metadata": {"path": str(workdir)}}).execute()
    return nb


def _name(step) -> str:
    return step.name  # "Step 3", "Choose the mode", "The quiz"


def _verdict(nb: nbformat.NotebookNode) -> str:
    """What the notebook's check cells printed (Part 2's notebook has one per step)."""
    return "".join(o.get("data", {}).get("text/plain", "") for c in nb.cells
                   if "check" in c.metadata.get("tags", []) for o in c.outputs)


NOTEBOOKS = list(dict.fromkeys(s.notebook for s in ALL_STEPS))


def _steps(notebook: str) -> list:
    return [s for s in ALL_STEPS if s.notebook == notebook]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_learner_notebook_runs_and_says_not_done_yet(notebook, tmp_path) -> None:
    nb = _run(ROOT / "notebooks" / notebook, tmp_path)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors == []
    for step in _steps(notebook):
        assert f"{_name(step)} is not started yet" in _verdict(nb)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_solution_notebook_passes_its_check(notebook, tmp_path) -> None:
    verdict = _verdict(_run(ROOT / "solutions" / notebook, tmp_path))
    for step in _steps(notebook):
        assert f"{_name(step)} passed" in verdict
    assert "✘" not in verdict
