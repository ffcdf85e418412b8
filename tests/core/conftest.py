"""Each test starts with no remembered failures (they decide when an answer line shows)."""

import pytest

from grader import inline


@pytest.fixture(autouse=True)
def _no_failures_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inline, "_FAILURES", {})
