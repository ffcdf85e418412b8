"""The course in Notebook 7 (`jupyter notebook`), not only JupyterLab: the same solved step 4
notebook, run from Notebook 7's own Run menu, passes its check and serves from the panel."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect

from .lab import (
    KERNEL_TIMEOUT_MS,
    NO_CHROMIUM,
    STEP4_NOTEBOOK,
    LabServer,
    close_page,
    find_chromium,
    new_page,
    run_all_cells,
    tagged_cell,
)

pytestmark = [
    pytest.mark.skipif(find_chromium() is None, reason=NO_CHROMIUM),
]


def _wait_for_idle_kernel(server: LabServer, name: str) -> None:
    """Notebook 7 has no kernel item in a status bar: ask the server's sessions API instead."""
    deadline = time.monotonic() + KERNEL_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        with urllib.request.urlopen(server.url("/api/sessions"), timeout=10) as reply:
            sessions = json.load(reply)
        if any(s["path"].endswith(name) and s["kernel"]["execution_state"] == "idle"
               for s in sessions):
            return
        time.sleep(0.2)
    raise AssertionError(f"no idle kernel for {name} in Notebook 7")


def _end_sessions_of(server: LabServer, name: str) -> None:
    """Earlier browser tests on this JupyterLab may have left (or be ending) a session of the
    same notebook: a page that joins it can meet its kernel as it goes ("no attribute
    kernel_ws_protocol", then Run All stuck after the first cell). This test starts its own."""
    with urllib.request.urlopen(server.url("/api/sessions"), timeout=30) as reply:
        sessions = [s["id"] for s in json.load(reply) if s["path"].endswith(name)]
    for session in sessions:
        request = urllib.request.Request(server.url(f"/api/sessions/{session}"), method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


def test_step4_runs_and_serves_in_notebook_7(browser: Any, lab_server: LabServer,
                                             screenshots: Any) -> None:
    _end_sessions_of(lab_server, STEP4_NOTEBOOK)
    page = new_page(browser)
    try:
        page.goto(lab_server.url(f"/notebooks/{STEP4_NOTEBOOK}"), wait_until="domcontentloaded")
        page.locator(".jp-Notebook").first.wait_for(state="visible", timeout=KERNEL_TIMEOUT_MS)
        expect(page.locator("#menu-panel")).to_be_visible()  # Notebook 7's page, not Lab's
        _wait_for_idle_kernel(lab_server, STEP4_NOTEBOOK)
        run_all_cells(page, menu_bar="#menu-panel")
        verdict = tagged_cell(page, lab_server, STEP4_NOTEBOOK, "check").locator(
            ".jp-OutputArea-output")
        expect(verdict).to_contain_text("Step 4 passed")
        panel = page.locator(".serving-panel")
        panel.scroll_into_view_if_needed()
        panel.locator(".serving-batch-button").click()
        rows = panel.locator(".serving-batch-table tbody tr")
        expect(rows).to_have_count(4)
        expect(rows.nth(1)).to_contain_text("102")
        expect(rows.nth(1)).to_contain_text("Churn")
        page.screenshot(path=str(screenshots / "notebook7-step4.png"))
    finally:
        close_page(page)
