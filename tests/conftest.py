"""Shared test set-up: every test gets its own progress and quiz-answer files; the browser tests
(tests/browser, tests/lite) share one Playwright driver, which can run only once per thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _private_learner_files(tmp_path_factory: pytest.TempPathFactory,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path_factory.mktemp("learner-files")
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(scratch / "progress.json"))
    monkeypatch.setenv("COURSE_QUIZ_ANSWERS", str(scratch / "quiz_answers.json"))


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe-core's source, to run in Chromium (fetched once with npm; skipped without npm)."""
    from tests.axe import AxeUnavailable, axe_source

    try:
        return axe_source()
    except AxeUnavailable as err:
        pytest.skip(str(err))


@pytest.fixture(scope="session")
def known_class(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(SUBMISSIONS, OUT) of tests/known_class.py's class, graded once per session."""
    from grader.cli import main
    from tests.known_class import make

    root = tmp_path_factory.mktemp("known-class")
    submissions, out = make(root / "submissions"), root / "graded"
    assert main(["grade", str(submissions), "-o", str(out), "-q"]) == 0
    return submissions, out
