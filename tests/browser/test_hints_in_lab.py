"""Step 3 in a real JupyterLab, typed and run as a learner would: the not-started verdict, a
cell that raises (no stale pass, the error in words), the nudge first with the answer line behind
"Show me the line", the line shown unasked after repeated failures, and the pass folded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from .lab import (
    KERNEL_TIMEOUT_MS,
    NO_CHROMIUM,
    ROOT,
    LabServer,
    close_page,
    find_chromium,
    new_page,
    open_notebook,
    run_all_cells,
    run_cell,
)

pytestmark = [
    pytest.mark.skipif(find_chromium() is None, reason=NO_CHROMIUM),
]

NOTEBOOK = "03_predict_and_batch.ipynb"
PREDICT = "def predict(feature):\n    return feature > threshold"
TUPLES = "batch_results = [predict(c) for c in customers]"
RIGHT = "batch_results = [predict(feature) for customer_id, feature in customers]"
LINE = "batch_results = [predict(feature) for customer_id, feature in customers]"


def _cell(page: Any, server: LabServer, cell_id: str) -> Any:
    """A cell found by its id in the notebook file (editors are drawn only once in view)."""
    cells = json.loads((server.root_dir / NOTEBOOK).read_text(encoding="utf-8"))["cells"]
    index = next(i for i, cell in enumerate(cells) if cell.get("id") == cell_id)
    return page.locator(".jp-Notebook .jp-Cell").nth(index)


def _type(page: Any, cell: Any, code: str) -> None:
    """Replace a cell's code, as typing would (inserted whole: no auto-indent doubling)."""
    cell.scroll_into_view_if_needed()
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(code)


@pytest.fixture(scope="module")
def step3(browser: Any, lab_server: LabServer) -> Iterator[Any]:
    """The learner notebook of step 3, untouched, opened in Lab."""
    (lab_server.root_dir / NOTEBOOK).write_bytes((ROOT / "notebooks" / NOTEBOOK).read_bytes())
    page = new_page(browser)
    try:
        open_notebook(page, lab_server, NOTEBOOK)
        yield page
    finally:
        close_page(page)


def test_step3_from_nothing_to_passed(step3: Any, lab_server: LabServer,
                                      screenshots: Any) -> None:
    page = step3
    check = _cell(page, lab_server, "step3-check-08")
    verdict = check.locator(".course-verdict")

    run_all_cells(page)  # an untouched notebook: one short line, no answers
    expect(verdict.locator("div").first).to_have_text(
        "Step 3 is not started yet: write your answer above, run it, then this check.",
        timeout=KERNEL_TIMEOUT_MS)
    expect(verdict.locator("li")).to_have_count(0)
    check.screenshot(path=str(screenshots / "verdict-step3-not-started.png"))

    _type(page, _cell(page, lab_server, "step3-answer-1"), PREDICT)
    run_cell(page, _cell(page, lab_server, "step3-answer-1"))
    answer = _cell(page, lab_server, "step3-answer-2")
    _type(page, answer, TUPLES)
    run_cell(page, answer)
    expect(answer.locator(".jp-OutputArea-output")).to_contain_text("TypeError")
    run_cell(page, check)
    expect(verdict).to_contain_text("Step 3: 4 of 6 checks passed.")
    expect(verdict).to_contain_text(
        "The cell that builds batch_results raised TypeError (> between a tuple and a float): "
        "each customer is a tuple (ID, feature); unpack it and compare the feature.")
    expect(verdict).to_contain_text("Hint: Loop as for customer_id, feature in customers")
    expect(verdict).to_contain_text("✔ 4 checks passed")
    line = verdict.locator("details.course-line")
    expect(line.locator("summary")).to_have_text("Show me the line")
    expect(line.locator("pre")).to_be_hidden()  # the answer line waits until asked
    check.screenshot(path=str(screenshots / "verdict-step3-cell-raised-nudge.png"))

    line.locator("summary").click()
    expect(line.locator("pre")).to_be_visible()
    expect(line.locator("pre")).to_have_text(LINE)
    check.screenshot(path=str(screenshots / "verdict-step3-show-me-the-line.png"))

    run_cell(page, check)  # the second failure of the same check: still collapsed
    expect(verdict.locator("details.course-line")).not_to_have_attribute("open", "")
    run_cell(page, check)  # the third: the line shows unasked
    shown = verdict.locator("details.course-line[open]")
    expect(shown).to_contain_text("shown because this check failed a few times")
    expect(shown.locator("pre")).to_be_visible()
    check.screenshot(path=str(screenshots / "verdict-step3-line-after-three-failures.png"))

    _type(page, answer, RIGHT)
    run_cell(page, answer)
    run_cell(page, check)
    expect(verdict).to_contain_text("Step 3 passed. Well done!")
    expect(verdict).to_contain_text("✔ 6 checks passed")
    expect(verdict.locator("details.course-line")).to_have_count(0)
    check.screenshot(path=str(screenshots / "verdict-step3-passed.png"))
