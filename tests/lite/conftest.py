"""The built JupyterLite site, one static server and one offline Chromium for the session.

The site is built once (``site_builder``, as ``python3 tasks.py lite`` does) into the git-ignored
cache, keyed by everything it is built from, so a second test run reuses it; each test opens
its own browser context (a fresh profile: its own storage, its own Pyodide kernel).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.lab import NO_CHROMIUM, SCREENSHOTS, find_chromium
from tests.marking import marks_below

from .site import KERNEL_TIMEOUT_MS, SiteServer, built_test_site, launch_offline_chromium

expect.set_options(timeout=KERNEL_TIMEOUT_MS)


@pytest.fixture(scope="session")
def lite_site() -> Path:
    """The site for the current sources, built on first use (a minute; downloads cached)."""
    if find_chromium() is None:
        pytest.skip(NO_CHROMIUM)
    return built_test_site()


@pytest.fixture(scope="session")
def site_server(lite_site: Path) -> Iterator[SiteServer]:
    with SiteServer(lite_site) as server:
        yield server


@pytest.fixture(scope="session")
def offline_browser(playwright_driver: Any) -> Iterator[Any]:
    if find_chromium() is None:
        pytest.skip(NO_CHROMIUM)
    browser = launch_offline_chromium(playwright_driver)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


# What this folder's tests are (see tests/marking.py).
pytest_collection_modifyitems = marks_below(Path(__file__).parent, "slow", "browser")
