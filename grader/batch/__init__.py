"""Batch grading for instructors: a whole class in one command, each notebook isolated.

`python -m grader grade SUBMISSIONS -o OUT`, or from Python `grade_notebook` / `grade_folder`.
Kept import-light (names are loaded on first use): the fork server imports `grader.batch.worker`
through this package, and it should not pay for SQLite, CSV or the progress bar.
"""

from __future__ import annotations

from typing import Any

__all__ = ["grade_notebook", "grade_folder", "ClassGrades", "NotebookGrade", "Limits"]


def __getattr__(name: str) -> Any:
    if name in ("grade_notebook", "grade_folder"):
        from . import api

        return getattr(api, name)
    if name == "ClassGrades":
        from .grading import ClassGrades

        return ClassGrades
    if name == "NotebookGrade":
        from .verdicts import NotebookGrade

        return NotebookGrade
    if name == "Limits":
        from .sandbox import Limits

        return Limits
    raise AttributeError(name)
