"""Session-wide test set-up, for tests/ and for nbval's run of solutions/ alike.

Kernels started by nbval inherit this environment, so the solution notebooks record progress
and quiz answers in a scratch folder instead of beside the notebooks, and they run in that
folder too: what a notebook writes beside itself for a learner (Part 2's predictions.sqlite)
lands there, not in solutions/. The folder is removed when the session ends, so a test run
leaves nothing in the temp directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from tests.marking import marks_below

_SCRATCH: list[str] = []
# nbval's run of solutions/ executes every notebook in a kernel: slow (see tests/marking.py).
pytest_collection_modifyitems = marks_below(Path(__file__).parent / "solutions", "slow")


def pytest_configure(config: object) -> None:
    scratch = tempfile.mkdtemp(prefix="course-tests-")
    _SCRATCH.append(scratch)
    os.environ["COURSE_PROGRESS_FILE"] = os.path.join(scratch, "progress.json")
    os.environ["COURSE_QUIZ_ANSWERS"] = os.path.join(scratch, "quiz_answers.json")
    _run_nbval_kernels_in(os.path.join(scratch, "notebooks"))


def _run_nbval_kernels_in(folder: str) -> None:
    """nbval starts each notebook's kernel in the notebook's own folder and has no option to
    change it; its kernel class is swapped for one that starts in `folder`."""
    try:
        from nbval import plugin
    except ImportError:  # nbval not installed: nothing runs the solutions
        return
    os.makedirs(folder, exist_ok=True)

    class KernelInScratch(plugin.RunningKernel):
        def __init__(self, kernel_name: str, cwd: str | None = None,
                     startup_timeout: int = 60) -> None:
            super().__init__(kernel_name, cwd=folder, startup_timeout=startup_timeout)

    plugin.RunningKernel = KernelInScratch


def pytest_unconfigure(config: object) -> None:
    while _SCRATCH:
        shutil.rmtree(_SCRATCH.pop(), ignore_errors=True)
