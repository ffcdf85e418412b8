"""nbval's run of solutions/ leaves the source folder as it was: what a notebook writes beside
itself for a learner (Part 2's predictions.sqlite) goes to the test session's scratch folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]


def test_a_notebook_run_by_nbval_writes_into_the_scratch_folder(tmp_path: Path) -> None:
    folder = tmp_path / "solutions"
    folder.mkdir()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(
        'import os\nopen("predictions.sqlite", "w").close()\nos.path.exists("predictions.sqlite")',
        outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "True"},
                                        execution_count=1)],
        execution_count=1)]
    nbformat.write(notebook, folder / "writes_a_file.ipynb")
    # The project's own session set-up (its root conftest), loaded as a plugin for a notebook
    # outside the project, with nbval as the project runs it.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "conftest",
         "--nbval", "--nbval-current-env", str(folder)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "1 passed" in done.stdout
    assert sorted(p.name for p in folder.iterdir()) == ["writes_a_file.ipynb"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["solutions"], "scratch removed"
