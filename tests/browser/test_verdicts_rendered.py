"""Every kind of verdict the checks write, as Chromium draws it (the notebook's HTML output and
an instructor's hand-back page): the first failure on top, the answer line collapsed, passes
folded, a step not started as one line. Screenshots in artifacts/screenshots/verdict-*.png."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from grader import feedback
from grader.inline import judge
from tests.core.helpers import run_step

from .lab import NO_CHROMIUM, close_page, find_chromium, new_page

pytestmark = [
    pytest.mark.skipif(find_chromium() is None, reason=NO_CHROMIUM),
]

PAGE = ("<html><head><meta charset='utf-8'><style>body{font-family:system-ui,sans-serif;"
        "width:900px;margin:16px}code{background:#f3f3f3;padding:0 3px}</style></head>"
        "<body>{}</body></html>")
VERDICTS = {
    "step1-dict": ("1", ["customers = {101: 0.2, 102: 0.8, 103: 0.5, 104: 0.9}"]),
    "step2-text": ("2", ["threshold = '0.6'"]),
    "step4-typed-in": ("4", ["print([False, True, False, True])\nprint(predict(0.7))"]),
    "step4-id-not-feature": ("4", ["print(batch_results)\nprint(predict(105))"]),
}


@pytest.mark.parametrize("name", VERDICTS)
def test_a_failing_verdict_leads_with_its_failure(browser: Any, screenshots: Any,
                                                  name: str) -> None:
    step, cells = VERDICTS[name]
    result = run_step(step, *cells)
    page = new_page(browser)
    try:
        page.set_content(PAGE.replace("{}", feedback.as_html(result, "Progress: 0 / 4 steps")))
        first = page.locator(".course-verdict li").first
        expect(first).to_have_class("course-check-failed")
        expect(first.locator(".course-hint")).to_be_visible()
        expect(page.locator("details.course-line pre").first).to_be_hidden()
        page.locator(".course-verdict").screenshot(
            path=str(screenshots / f"verdict-{name}.png"))
    finally:
        close_page(page)


def test_the_quiz_not_started_is_one_line(browser: Any, screenshots: Any) -> None:
    result = judge("quiz", {}, [])
    page = new_page(browser)
    try:
        page.set_content(PAGE.replace("{}", feedback.as_html(result, "Progress: 0 / 4 steps")))
        expect(page.locator(".course-verdict li")).to_have_count(0)
        expect(page.locator(".course-verdict")).to_contain_text("The quiz is not started yet")
        page.locator(".course-verdict").screenshot(
            path=str(screenshots / "verdict-quiz-not-started.png"))
    finally:
        close_page(page)
