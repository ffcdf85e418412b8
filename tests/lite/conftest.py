"""The built JupyterLite site, one static server and one offline Chromium for the session.

The site is built once (``site_builder``, as ``python3 tasks.py lite`` does) into the git-ignored
cache, keyed by everything it is built from, so a second test run reuses it; each test opens
its own browser context (a fresh profile: its own storage, its own Pyodide kernel).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.lab import NO_CHROMIUM, SCREENSHOTS, find_chromium

from .site import KERNEL_TIMEOUT_MS, ROOT, SiteServer, launch_offline_chromium

CACHE = ROOT / ".cache" / "lite"
# What the site is built from: a change to any of these builds a new one.
INPUTS = ("notebooks", "grader", "churn_course", "site_builder", "pyproject.toml")
expect.set_options(timeout=KERNEL_TIMEOUT_MS)


def _inputs_digest() -> str:
    digest = hashlib.sha256()
    for name in INPUTS:
        path = ROOT / name
        files = [path] if path.is_file() else sorted(
            p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for file in files:
            digest.update(str(file.relative_to(ROOT)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def lite_site() -> Path:
    """The site for the current sources, built on first use (a minute; downloads cached)."""
    if find_chromium() is None:
        pytest.skip(NO_CHROMIUM)
    from site_builder.build import build_site

    site = CACHE / f"test-site-{_inputs_digest()}"
    if not (site / "jupyter-lite.json").exists():
        for old in CACHE.glob("test-site-*"):
            shutil.rmtree(old, ignore_errors=True)
        build_site(ROOT, site, CACHE)
    return site


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
