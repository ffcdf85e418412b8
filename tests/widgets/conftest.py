"""Fixtures for the course widgets: a learner's namespace, and isolation of the quiz record."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from widget_text import table_rows, visible_text

from churn_course import quiz as quiz_module
from churn_course import quiz_record

STEPS_1_TO_3 = """
customers = [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)]
threshold = 0.6

def predict(feature):
    return feature > threshold
"""


@pytest.fixture
def solved_namespace() -> dict[str, Any]:
    """A namespace as a learner's kernel holds it after steps 1 to 3, run as real code."""
    namespace: dict[str, Any] = {}
    exec(STEPS_1_TO_3, namespace)
    return namespace


@pytest.fixture
def learner_code():
    """Run learner code in a namespace, the way re-running a notebook cell does."""

    def run(source: str, namespace: dict[str, Any]) -> dict[str, Any]:
        exec(source, namespace)
        return namespace

    return run


@pytest.fixture(autouse=True)
def isolated_quiz_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test answers into its own folder and starts a fresh in-memory session."""
    monkeypatch.delenv(quiz_module.ANSWERS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    quiz_module._SESSION.clear()
    quiz_record._SESSION_TRIES.clear()
    quiz_record._SESSION_SHOWN.clear()
    yield tmp_path
    quiz_module._SESSION.clear()
    quiz_record._SESSION_TRIES.clear()
    quiz_record._SESSION_SHOWN.clear()


@pytest.fixture
def read_table():
    return table_rows


@pytest.fixture
def read_text():
    return visible_text
