"""Session-wide test set-up, for tests/ and for nbval's run of solutions/ alike.

Kernels started by nbval inherit this environment, so the solution notebooks record progress
and quiz answers in a scratch folder instead of beside the notebooks.
"""

from __future__ import annotations

import os
import tempfile


def pytest_configure(config: object) -> None:
    scratch = tempfile.mkdtemp(prefix="course-tests-")
    os.environ["COURSE_PROGRESS_FILE"] = os.path.join(scratch, "progress.json")
    os.environ["COURSE_QUIZ_ANSWERS"] = os.path.join(scratch, "quiz_answers.json")
