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
