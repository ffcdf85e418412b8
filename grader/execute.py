"""Re-running solution notebooks to refresh their stored outputs (what nbval compares against).

Runs in a scratch folder with its own progress and quiz files, so an author's own progress is
untouched and the stored outputs don't depend on what was run before.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .build import NOTEBOOK_GLOB
from .files import write_atomic


def execute_solutions(solutions: Path, timeout: int = 60) -> None:
    for path in sorted(solutions.glob(NOTEBOOK_GLOB)):
        nb = nbformat.read(path, as_version=4)
        with tempfile.TemporaryDirectory() as scratch:
            saved = {k: os.environ.get(k) for k in ("COURSE_PROGRESS_FILE", "COURSE_QUIZ_ANSWERS")}
            os.environ["COURSE_PROGRESS_FILE"] = str(Path(scratch, "progress.json"))
            os.environ["COURSE_QUIZ_ANSWERS"] = str(Path(scratch, "quiz_answers.json"))
            try:
                NotebookClient(nb, timeout=timeout, kernel_name="python3",
                               resources={"metadata": {"path": scratch}}).execute()
            finally:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value
        write_atomic(path, nbformat.writes(nb) + "\n")
        print(f"executed {path}")
