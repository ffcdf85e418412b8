"""Browser fixtures: one JupyterLab server and one Chromium for the whole session.

Starting JupyterLab and Chromium costs seconds each on a 2-core machine, so every browser test
shares them; each test module opens its own notebook (and so its own kernel) in its own page.
When a test or fixture fails, every open page is saved to ``artifacts/screenshots/FAILED-*.png``
and the end of the server's log is attached to the report.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.marking import marks_below

from .lab import (
    EXPECT_TIMEOUT_MS,
    NO_CHROMIUM,
    SCREENSHOTS,
    LabServer,
    find_chromium,
    launch_chromium,
)

CHROMIUM = find_chromium()
expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture(scope="session")
def lab_server() -> Iterator[LabServer]:
    """JupyterLab over copies of the solved step 4 notebook and the quiz (answers emptied).

    Shut down (kernels included) at the end of the session, whatever happened.
    """
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    server = LabServer()
    try:
        server.start()
        _RUNNING["lab_server"] = server
        yield server
    finally:
        _RUNNING.pop("lab_server", None)
        server.cleanup()


@pytest.fixture(scope="session")
def browser(playwright_driver: Any) -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    chromium = launch_chromium(playwright_driver, CHROMIUM)
    _RUNNING["browser"] = chromium
    try:
        yield chromium
    finally:
        _RUNNING.pop("browser", None)
        chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Any:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


# The session's server and browser, for the failure hook below (hooks can't ask for fixtures).
_RUNNING: dict[str, Any] = {}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """After a failed browser test (or fixture): screenshots of every page, the server log."""
    report = yield
    if report.failed and report.when in ("setup", "call"):
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)
        chromium = _RUNNING.get("browser")
        pages = [p for c in chromium.contexts for p in c.pages] if chromium else []
        saved = []
        for number, page in enumerate(pages, start=1):
            path = SCREENSHOTS / f"FAILED-{name}-{number}.png"
            try:  # evidence is best effort; the test's own failure is what counts
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(path))
                saved.append(str(path))
            except Exception:
                pass
        if saved:
            report.sections.append(("screenshots", "\n".join(saved)))
        server = _RUNNING.get("lab_server")
        if server is not None:
            report.sections.append(("jupyter lab log (tail)", server.log_tail()))
    return report


# What this folder's tests are (see tests/marking.py).
pytest_collection_modifyitems = marks_below(Path(__file__).parent, "slow", "browser")
