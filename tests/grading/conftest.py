"""Fixtures for batch grading: crafted classes, graded once per module to keep the suite quick."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from grader.cli import main
from tests.marking import marks_below


def read_grades(out: Path) -> dict[str, dict[str, str]]:
    with (out / "grades.csv").open(encoding="utf-8", newline="") as handle:
        return {row["learner"]: row for row in csv.DictReader(handle)}


def read_results(out: Path) -> dict:
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def grade(submissions: Path, out: Path, *extra: str) -> int:
    """Run `python -m grader grade` in-process, as an instructor would from a shell."""
    return main(["grade", str(submissions), "-o", str(out), "-q", *extra])


@pytest.fixture
def graded():
    """(exit code, grades, results) of grading a folder."""

    def run(submissions: Path, out: Path, *extra: str) -> tuple[int, dict, dict]:
        code = grade(submissions, out, *extra)
        return code, read_grades(out), read_results(out)

    return run


# What this folder's tests are (see tests/marking.py).
pytest_collection_modifyitems = marks_below(Path(__file__).parent, "slow",
                                            quick=("test_item_analysis.py",))  # pure figures
