"""Shared test set-up: every test gets its own progress and quiz-answer files."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _private_learner_files(tmp_path_factory: pytest.TempPathFactory,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path_factory.mktemp("learner-files")
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(scratch / "progress.json"))
    monkeypatch.setenv("COURSE_QUIZ_ANSWERS", str(scratch / "quiz_answers.json"))
