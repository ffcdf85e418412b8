"""Imported only by the fork server: do once what every worker would otherwise do.

Each worker is a fork of the server, so an IPython shell built here (and one trivial cell run
through it, to warm IPython's compiler) is inherited ready to use, copy-on-write, saving about
20 ms per notebook. The shell's namespace is never touched here: every worker starts clean.
"""

from __future__ import annotations

import shutil
import tempfile
from typing import Any

from . import sandbox
from .worker import make_shell


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

sandbox.python_readable_by_all()  # cache the answer in the server
SHELL = _template()
_quiz()
