"""The choose-the-mode exercise in a real JupyterLab, as a learner meets it: the cases and the
words to use, the template to fill in, a verdict that speaks to a wrong pick made for the right
reasons, a typo and a field that doesn't fit, the answer line behind "Show me the line", then the
pass and the progress that counts it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from grader.checks.mode_scenarios import FIELDS, SCENARIOS

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

NOTEBOOK = "04b_choose_the_mode.ipynb"
TEMPLATE = next(c for c in json.loads((ROOT / "notebooks" / NOTEBOOK).read_text("utf-8"))["cells"]
                if "answer" in c["metadata"].get("tags", []))["source"]


def filled(changes: dict[str, dict[str, str]] | None = None) -> str:
    """The template with each `...` replaced, in order, as a learner fills it in: the
    scenarios' answers, with `changes` (scenario -> field -> typed text) instead where given."""
    text = "".join(TEMPLATE) if isinstance(TEMPLATE, list) else TEMPLATE
    head, _, body = text.partition("mode_choices = {")
    for scenario in SCENARIOS:
        for field in FIELDS:
            value = scenario.answer[field]
            typed = repr(value) if isinstance(value, bool) else f'"{value}"'
            typed = (changes or {}).get(scenario.key, {}).get(field, typed)
            body = body.replace("...", typed, 1)
    return head + "mode_choices = {" + body


def _cell(page: Any, server: LabServer, tag: str) -> Any:
    cells = json.loads((server.root_dir / NOTEBOOK).read_text(encoding="utf-8"))["cells"]
    index = next(i for i, c in enumerate(cells) if tag in c.get("metadata", {}).get("tags", []))
    return page.locator(".jp-Notebook .jp-Cell").nth(index)


def _type(page: Any, cell: Any, code: str) -> None:
    cell.scroll_into_view_if_needed()
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(code)


@pytest.fixture(scope="module")
def exercise(browser: Any, lab_server: LabServer) -> Iterator[Any]:
    (lab_server.root_dir / NOTEBOOK).write_bytes((ROOT / "notebooks" / NOTEBOOK).read_bytes())
    page = new_page(browser)
    try:
        open_notebook(page, lab_server, NOTEBOOK)
        yield page
    finally:
        close_page(page)


def test_choose_the_mode_from_template_to_passed(exercise: Any, lab_server: LabServer,
                                                 screenshots: Any) -> None:
    page = exercise
    page.locator(".jp-Notebook .jp-MarkdownCell").first.screenshot(
        path=str(screenshots / "mode-intro.png"))
    cases = page.locator(".jp-Notebook .jp-MarkdownCell", has_text="daily_email")
    cases.scroll_into_view_if_needed()
    expect(cases.locator("table")).to_contain_text("under a second")
    cases.screenshot(path=str(screenshots / "mode-cases-and-words.png"))

    run_all_cells(page)  # the template as given: nothing filled in yet
    answer, check = _cell(page, lab_server, "answer"), _cell(page, lab_server, "check")
    verdict = check.locator(".course-verdict")
    expect(verdict.locator("div").first).to_have_text(
        "Choose the mode is not started yet: replace each ... in mode_choices above with one "
        "of the words from the table, run that cell, then this check.",
        timeout=KERNEL_TIMEOUT_MS)
    answer.scroll_into_view_if_needed()
    answer.screenshot(path=str(screenshots / "mode-template.png"))
    check.screenshot(path=str(screenshots / "mode-verdict-not-started.png"))

    _type(page, answer, filled({"daily_email": {"mode": '"real time"'},
                                "card_fraud": {"listed": "True", "mode": '"Real-Time"'},
                                "news_feed": {"mode": '"hybird"'}}))
    run_cell(page, answer)
    run_cell(page, check)
    expect(verdict).to_contain_text("Choose the mode: 4 of 7 checks passed.")
    expect(verdict).to_contain_text("Your answers about the scenario are all right, but they "
                                    "argue for batch, not real time.")
    expect(verdict).to_contain_text("listed is not True here: the answer is for a payment")
    expect(verdict).to_contain_text('mode is "hybird": did you mean "hybrid"?')
    expect(verdict).to_contain_text("✔ 4 checks passed")
    check.screenshot(path=str(screenshots / "mode-verdict-three-mistakes.png"))

    line = verdict.locator("details.course-line").first
    line.locator("summary").click()
    expect(line.locator("pre")).to_contain_text('"daily_email": {')
    expect(line.locator("pre")).to_contain_text('"waits": "nobody", "mode": "batch",')
    check.screenshot(path=str(screenshots / "mode-verdict-show-me-the-line.png"))

    _type(page, answer, filled({"card_fraud": {"mode": '"Real-Time"'}}))
    run_cell(page, answer)
    run_cell(page, check)
    expect(verdict).to_contain_text("Choose the mode passed. Well done!")
    expect(verdict).to_contain_text("✔ 7 checks passed")
    # The session's JupyterLab keeps one progress file: steps passed by the tests that ran
    # before this one (in whatever order the workers took them) count too.
    expect(verdict.locator(".course-progress")).to_contain_text(
        re.compile(r"Progress: [1-9] / 9 steps"))
    check.screenshot(path=str(screenshots / "mode-verdict-passed.png"))
