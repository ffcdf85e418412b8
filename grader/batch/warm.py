"""Imported only by the fork server: do once what every worker would otherwise do.

Each worker is a fork of the server, so an IPython shell built here (and one trivial cell run
through it, to warm IPython's compiler) is inherited ready to use, copy-on-write, saving about
20 ms per notebook. The shell's namespace is never touched here: every worker starts clean.
"""

from __future__ import annotations

import shutil
import tempfile
from typing import Any

from .worker import Guard, make_shell


def _template() -> Any:
    folder = tempfile.mkdtemp(prefix="course-grader-ipython-")
    try:
        shell = make_shell(folder)
        shell.run_cell("pass", store_history=False, silent=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # history is off: nothing is kept there
    return shell


def _quiz() -> None:
    """The quiz notebook builds its widget before its check: import that and read the question
    bank once here, instead of in every quiz worker."""
    import ipywidgets  # noqa: F401

    from churn_course.quiz import load_bank

    load_bank()


import grader.part2.preload  # noqa: E402, F401  (numpy, FastAPI: see that module)

SHELL = _template()
_quiz()
import grader.batch.forkserver  # noqa: E402, F401  (and the walls: imported before the view)
import grader.batch.sandbox.walls  # noqa: E402, F401

GUARD = Guard()  # taken last, once: no learner code has run in this process, ever
