"""What step 4's text tells a learner to try, done in a real JupyterLab: after the batch job
runs, customer 105 (new, not in `customers`) has no stored answer, and live `predict` answers
at once. The text promises it; this test holds the panel to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from .lab import (
    BADGE,
    NEWEST_LOG_INPUT,
    NO_CHROMIUM,
    SOLUTIONS,
    STEP4_NOTEBOOK,
    LabServer,
    close_page,
    find_chromium,
    new_page,
    open_serving_panel,
)

pytestmark = [
    pytest.mark.skipif(find_chromium() is None, reason=NO_CHROMIUM),
]


@pytest.fixture(scope="module")
def panel(browser: Any, lab_server: LabServer) -> Iterator[Any]:
    page = new_page(browser)
    try:
        open_serving_panel(page, lab_server)
        yield page
    finally:
        close_page(page)


def _serve(page: Any, customer_id: str, feature: str) -> None:
    page.locator(".serving-customer-id input").fill(customer_id)
    page.locator(".serving-customer-value input").fill(feature)
    page.locator(".serving-customer-value input").press("Tab")  # commits the value
    page.locator(".serving-serve-button").click()
    expect(page.locator(NEWEST_LOG_INPUT)).to_have_text(
        f"customer {customer_id}: feature {feature}")


def test_the_texts_first_thing_to_try_shows_what_it_says(panel: Any, screenshots: Any) -> None:
    text = (SOLUTIONS / STEP4_NOTEBOOK).read_text(encoding="utf-8")
    assert "serve customer 105 (0.7) from *Stored*: no answer" in text
    panel.locator(".serving-batch-button").click()
    expect(panel.locator(".serving-stored-summary")).to_contain_text("4")
    panel.locator(".serving-mode button", has_text="Stored").click()
    _serve(panel, "105", "0.7")
    expect(panel.locator(".serving-realtime-message")).to_contain_text(
        "No stored answer for customer 105: the last batch run did not score them")
    panel.locator(".serving-panel").screenshot(path=str(screenshots / "step4-105-stored.png"))

    panel.locator(".serving-mode button", has_text="Live").click()
    _serve(panel, "105", "0.7")
    expect(panel.locator(BADGE)).to_have_text(
        "⚠ Churn — predict(0.7) returned True (customer 105)")
    panel.locator(".serving-panel").screenshot(path=str(screenshots / "step4-105-live.png"))
