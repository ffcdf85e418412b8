"""Checks judge what ran, in a real JupyterLab typed and run as a learner would: an answer
changed after a pass is judged as it is now (step 2), and step 4's prints spread over the answer
cell and a cell below it are read in order. Screenshots: verdict-step2-*.png, verdict-step4-*."""

from __future__ import annotations

import json
import re
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
    run_cell,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(find_chromium() is None, reason=NO_CHROMIUM),
]


def _open(page: Any, server: LabServer, course_name: str) -> str:
    """The learner notebook, untouched, under a name of its own (the server's copy of the
    course notebook is other tests'); the name it was opened under."""
    name = f"latest-run-{course_name}"
    (server.root_dir / name).write_bytes((ROOT / "notebooks" / course_name).read_bytes())
    open_notebook(page, server, name)
    return name


def _index(server: LabServer, name: str, cell_id: str) -> int:
    cells = json.loads((server.root_dir / name).read_text(encoding="utf-8"))["cells"]
    return next(i for i, cell in enumerate(cells) if cell.get("id") == cell_id)


def _cell(page: Any, server: LabServer, name: str, cell_id: str) -> Any:
    return page.locator(".jp-Notebook .jp-Cell").nth(_index(server, name, cell_id))


def _type_and_run(page: Any, cell: Any, code: str) -> None:
    cell.scroll_into_view_if_needed()
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.insert_text(code)
    run_cell(page, cell)


def _verdict(page: Any, check: Any) -> Any:
    """Run the check cell; its verdict once it is drawn."""
    run_cell(page, check)
    return check.locator(".course-verdict")


def test_an_answer_changed_after_a_pass_is_judged_as_it_is_now(
        browser: Any, lab_server: LabServer, screenshots: Any) -> None:
    page = new_page(browser)
    try:
        name = _open(page, lab_server, "02_prediction_threshold.ipynb")
        run_cell(page, _cell(page, lab_server, name, "step2-given-02"))
        answer = _cell(page, lab_server, name, "step2-answer-1")
        check = _cell(page, lab_server, name, "step2-check-06")
        _type_and_run(page, answer, "threshold = 0.6")
        expect(_verdict(page, check)).to_contain_text("Step 2 passed. Well done!",
                                                      timeout=KERNEL_TIMEOUT_MS)
        for code, words, shot in (
                ("Threshold = 0.6", "Your cell makes Threshold, but names are case-sensitive: "
                 "the step asks for threshold.", "verdict-step2-case-after-a-pass.png"),
                ("threshold == 0.6", "Your cell compares threshold == 0.6 instead of setting "
                 "threshold", "verdict-step2-compared-after-a-pass.png")):
            _type_and_run(page, answer, code)
            verdict = _verdict(page, check)
            expect(verdict).to_contain_text(words, timeout=KERNEL_TIMEOUT_MS)
            expect(verdict).not_to_contain_text("passed. Well done")
            check.screenshot(path=str(screenshots / shot))
    finally:
        close_page(page)


def test_step4_prints_over_two_cells_pass_and_a_later_threshold_changes_nothing(
        browser: Any, lab_server: LabServer, screenshots: Any) -> None:
    page = new_page(browser)
    try:
        name = _open(page, lab_server, "04_batch_and_realtime.ipynb")
        run_cell(page, _cell(page, lab_server, name, "step4-given-02"))
        answer = _cell(page, lab_server, name, "step4-answer-1")
        check_at = _index(lab_server, name, "step4-check-06") + 1  # below the new cell
        _type_and_run(page, answer, "print(batch_results)")
        answer.locator(".jp-InputPrompt").click()  # select it again: the new cell goes below
        page.locator(".jp-NotebookPanel-toolbar "
                     "jp-button[data-command='notebook:insert-cell-below']").click()
        added = page.locator(".jp-Notebook .jp-Cell").nth(
            _index(lab_server, name, "step4-answer-1") + 1)
        expect(added).to_have_class(re.compile(r"\bjp-mod-active\b"))
        _type_and_run(page, added, "print(predict(0.7))")
        check = page.locator(".jp-Notebook .jp-Cell").nth(check_at)
        verdict = _verdict(page, check)
        expect(verdict).to_contain_text("Step 4 passed. Well done!", timeout=KERNEL_TIMEOUT_MS)
        check.screenshot(path=str(screenshots / "verdict-step4-two-cells-passed.png"))
        added.locator(".jp-InputPrompt").click()  # one more new cell: a later threshold
        page.locator(".jp-NotebookPanel-toolbar "
                     "jp-button[data-command='notebook:insert-cell-below']").click()
        later = page.locator(".jp-Notebook .jp-Cell").nth(
            _index(lab_server, name, "step4-answer-1") + 2)
        _type_and_run(page, later, "threshold = 0.85")
        check = page.locator(".jp-Notebook .jp-Cell").nth(check_at + 1)
        verdict = _verdict(page, check)
        expect(verdict).to_contain_text("Step 4 passed. Well done!", timeout=KERNEL_TIMEOUT_MS)
        # The real-time print taken away: judged as the cell is now. (Lab sends no request for a
        # cell left blank, so the kernel can't hear that; a comment is a run like any other.)
        _type_and_run(page, added, "# the real-time answer: later")
        expect(_verdict(page, check)).to_contain_text(
            "The real-time prediction wasn't printed after the batch results.",
            timeout=KERNEL_TIMEOUT_MS)
    finally:
        close_page(page)
