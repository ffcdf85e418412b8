"""Session-wide test set-up, for tests/ and for nbval's run of solutions/ alike.

Kernels started by nbval inherit this environment, so the solution notebooks record progress
and quiz answers in a scratch folder instead of beside the notebooks. The folder is removed
when the session ends, so a test run leaves nothing in the temp directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile

_SCRATCH: list[str] = []


def pytest_configure(config: object) -> None:
    scratch = tempfile.mkdtemp(prefix="course-tests-")
    _SCRATCH.append(scratch)
    os.environ["COURSE_PROGRESS_FILE"] = os.path.join(scratch, "progress.json")
    os.environ["COURSE_QUIZ_ANSWERS"] = os.path.join(scratch, "quiz_answers.json")


def pytest_unconfigure(config: object) -> None:
    while _SCRATCH:
        shutil.rmtree(_SCRATCH.pop(), ignore_errors=True)
