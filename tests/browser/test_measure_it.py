"""Notebook 06 in a real JupyterLab: Run All Cells serves the endpoint for real, the four
checks pass in the live kernel, and the two plots render as images."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from .lab import (
    NO_CHROMIUM,
    PART2_NOTEBOOK,
    LabServer,
    close_page,
    find_chromium,
    new_page,
    open_notebook,
    run_all_cells,
)

pytestmark = [
    pytest.mark.skipif(find_chromium() is None, reason=NO_CHROMIUM),
]


@pytest.fixture(scope="module")
def measured(browser: Any, lab_server: LabServer) -> Iterator[Any]:
    page = new_page(browser)
    try:
        open_notebook(page, lab_server, PART2_NOTEBOOK)
        run_all_cells(page)
        yield page
    finally:
        close_page(page)


def test_every_step_passes_in_the_live_kernel(measured: Any) -> None:
    outputs = measured.locator(".jp-Notebook .jp-OutputArea-output")
    for step in "5678":
        expect(outputs.filter(has_text=f"Step {step} passed")).to_have_count(1)
    expect(measured.locator(".jp-Notebook")).not_to_contain_text("✘")
    expect(measured.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")).to_have_count(0)


def test_the_endpoint_answered_and_then_fell_back(measured: Any) -> None:
    notebook = measured.locator(".jp-Notebook")
    expect(notebook).to_contain_text("1,000 requests answered by http://127.0.0.1:")
    expect(notebook).to_contain_text("endpoint up:   {'churn': True, 'source': 'live'}")
    expect(notebook).to_contain_text("endpoint down: {'churn': False, 'source': 'batch'}")
    expect(notebook).to_contain_text("100,000 rows in predictions")


def test_plots_render_as_images(measured: Any, screenshots: Any) -> None:
    images = measured.locator(".jp-Notebook .jp-RenderedImage img")
    expect(images).to_have_count(2)
    for index in range(2):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        size = image.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
        assert size[0] and size[1] > 300 and size[2] > 150, size
        image.screenshot(path=str(screenshots / f"part2-plot-{index + 1}.png"))
    table = measured.locator(".jp-Notebook .jp-RenderedHTMLCommon table",
                             has_text="way to answer")
    table.scroll_into_view_if_needed()
    expect(table).to_contain_text("requests/s")
    table.screenshot(path=str(screenshots / "part2-measured-table.png"))
