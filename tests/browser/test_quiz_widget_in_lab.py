"""The practice quiz in a real JupyterLab: pick, check, hint, score, and the answers recorded.

The quiz notebook is opened with its ``answer(...)`` cell emptied (a learner who uses the
widget), run with Run → Run All Cells, and answered by clicking, as a learner would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from churn_course.quiz import load_bank, recorded_answers, score_answers

from .lab import (
    KERNEL_TIMEOUT_MS,
    NO_CHROMIUM,
    QUIZ_NOTEBOOK,
    LabServer,
    close_page,
    computed,
    find_chromium,
    new_page,
    open_notebook,
    px,
    run_all_cells,
    run_cell,
    tagged_cell,
)

pytestmark = [
    pytest.mark.skipif(find_chromium() is None, reason=NO_CHROMIUM),
]

BANK = {question.id: question for question in load_bank()}


@pytest.fixture(scope="module")
def quiz_page(browser: Any, lab_server: LabServer) -> Iterator[Any]:
    """The quiz notebook (no answers given in code), all cells run, the widget on screen."""
    page = new_page(browser)
    try:
        open_notebook(page, lab_server, QUIZ_NOTEBOOK)
        run_all_cells(page)
        page.locator(".quiz-score").wait_for(state="attached", timeout=KERNEL_TIMEOUT_MS)
        yield page
    finally:
        close_page(page)


def _entries(lab_server: LabServer) -> list[dict[str, str]]:
    path = lab_server.quiz_answers_file
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "churn-course-quiz-answers"
    return data["answers"]


def _pick(page: Any, qid: str, letter: str) -> None:
    """Click the radio button of one option, found by its visible "C. ..." label."""
    label = page.locator(f".quiz-{qid} .quiz-options label").filter(
        has_text=re.compile(rf"^{letter}\. "))
    expect(label).to_have_count(1)
    label.click()
    expect(label.locator("input[type=radio]")).to_be_checked()


def test_a_right_and_a_wrong_answer_get_feedback_a_score_and_are_recorded(
        quiz_page: Any, lab_server: LabServer, screenshots: Any) -> None:
    before = _entries(lab_server)
    q1, q2 = BANK["q1"], BANK["q2"]
    wrong = next(letter for letter in q2.letters if letter != q2.answer)

    _pick(quiz_page, "q1", q1.answer)
    quiz_page.locator(".quiz-q1 .quiz-check").click()
    feedback = quiz_page.locator(".quiz-q1 .quiz-feedback")
    expect(feedback).to_contain_text(f"✓ Right! {q1.answer}. {q1.option_text(q1.answer)}")
    expect(feedback).to_contain_text("Worked solution")
    expect(feedback).to_contain_text(q1.final_answer)
    expect(feedback).to_contain_text(q1.common_mistakes[0])
    expect(quiz_page.locator(".quiz-score")).to_have_text("Score: 1 / 10 answered right")

    _pick(quiz_page, "q2", wrong)
    quiz_page.locator(".quiz-q2 .quiz-check").click()
    feedback = quiz_page.locator(".quiz-q2 .quiz-feedback")
    expect(feedback).to_contain_text(
        f"✗ Not yet. You picked {wrong}. {q2.option_text(wrong)}")
    expect(feedback).to_contain_text(f"Why not: {q2.option_feedback(wrong)}")
    expect(feedback).to_contain_text("Try again: one more pick before the worked solution")
    expect(feedback).not_to_contain_text("Worked solution")
    expect(feedback).not_to_contain_text(f"The answer is {q2.answer}")
    expect(quiz_page.locator(".quiz-q2 .quiz-show-solution")).to_be_visible()
    expect(quiz_page.locator(".quiz-score")).to_have_text("Score: 1 / 10 answered right")
    # The second try, right this time.
    _pick(quiz_page, "q2", q2.answer)
    quiz_page.locator(".quiz-q2 .quiz-check").click()
    expect(feedback).to_contain_text(f"✓ Right! {q2.answer}.")
    expect(quiz_page.locator(".quiz-q2 .quiz-show-solution")).to_be_hidden()
    expect(quiz_page.locator(".quiz-score")).to_have_text("Score: 2 / 10 answered right")

    # Every answer reached Python and the answers file the server pointed the kernel to,
    # where the instructor's grading reads them.
    added = _entries(lab_server)[len(before):]
    assert [(e["question"], e["letter"]) for e in added] == [
        ("q1", q1.answer), ("q2", wrong), ("q2", q2.answer)]
    recorded = recorded_answers(lab_server.quiz_answers_file)
    assert recorded == {"q1": q1.answer, "q2": q2.answer}
    assert score_answers(recorded) == (2, 10)

    # The learner's own check cell, run again, gives the same score.
    check_cell = tagged_cell(quiz_page, lab_server, QUIZ_NOTEBOOK, "check")
    run_cell(quiz_page, check_cell)
    verdict = check_cell.locator(".jp-OutputArea-output")
    expect(verdict).to_contain_text("The quiz: 2 of 10 questions right.")
    expect(verdict).to_contain_text("Question 3 is not answered yet.")
    expect(verdict).to_contain_text("✔ 2 questions right")
    expect(verdict).to_contain_text("quiz 2 / 10")
    check_cell.screenshot(path=str(screenshots / "verdict-quiz-partly.png"))

    quiz_page.locator(".quiz-q1").scroll_into_view_if_needed()
    quiz_page.screenshot(path=str(screenshots / "quiz-lab-after-answering.png"))
    quiz_page.locator(".quiz-q2").screenshot(path=str(screenshots / "quiz-q2-second-try-right.png"))
    _screenshot_whole(quiz_page, ".quiz", screenshots / "quiz-after-answering.png")


def _screenshot_whole(page: Any, selector: str, path: Any) -> None:
    """A screenshot of a widget taller than the window: JupyterLab scrolls inside its own
    panel, so an element screenshot would come out grey below the fold. Make the window tall
    enough for a moment instead."""
    size = page.viewport_size
    height = page.locator(selector).evaluate("e => e.getBoundingClientRect().height")
    page.set_viewport_size({"width": size["width"], "height": int(height) + 400})
    try:
        page.locator(selector).scroll_into_view_if_needed()
        page.locator(selector).screenshot(path=str(path))
    finally:
        page.set_viewport_size(size)


def test_hint_shows_the_hint_and_records_nothing(quiz_page: Any,
                                                  lab_server: LabServer) -> None:
    before = _entries(lab_server)
    quiz_page.locator(".quiz-q5 .quiz-hint").click()
    expect(quiz_page.locator(".quiz-q5 .quiz-hint-text")).to_have_text(
        f"Hint: {BANK['q5'].hint}")
    expect(quiz_page.locator(".quiz-q5 .quiz-feedback")).to_have_text("")
    assert _entries(lab_server) == before


def test_check_without_an_option_asks_for_one(quiz_page: Any, lab_server: LabServer) -> None:
    before = _entries(lab_server)
    quiz_page.locator(".quiz-q4 .quiz-check").click()
    expect(quiz_page.locator(".quiz-q4 .quiz-feedback")).to_have_text(
        "Pick an option first, then press Check.")
    assert _entries(lab_server) == before


@pytest.mark.parametrize("qid", ["q3", "q4", "q7"])
def test_code_blocks_stand_apart_from_the_options(quiz_page: Any, qid: str) -> None:
    code = quiz_page.locator(f".quiz-{qid} .quiz-code pre")
    expect(code).to_have_count(1)
    style = computed(code, "background-color", "padding-left", "padding-top",
                     "margin-bottom", "font-family")
    assert style["background-color"] not in ("rgba(0, 0, 0, 0)", "transparent"), style
    assert px(style["padding-left"]) >= 8 and px(style["padding-top"]) >= 6, style
    assert "mono" in style["font-family"].lower(), style
    # A visible gap between the code block and option A.
    gap = quiz_page.evaluate(
        """qid => {
            const code = document.querySelector(`.quiz-${qid} .quiz-code pre`);
            const first = document.querySelector(`.quiz-${qid} .quiz-options label:has(input)`);
            return first.getBoundingClientRect().top - code.getBoundingClientRect().bottom;
        }""", qid)
    assert gap >= 8, f"only {gap:.1f} px between the code of {qid} and option A"


def test_prompts_are_single_spaced(quiz_page: Any) -> None:
    for selector in (".quiz-q5 .quiz-prompt p", ".quiz-q1 .quiz-feedback p"):
        locator = quiz_page.locator(selector)
        if locator.count() == 0:
            continue  # q1's feedback shows once answered (the first test answers it)
        style = computed(locator, "line-height", "font-size")
        assert px(style["line-height"]) <= 1.6 * px(style["font-size"]), (selector, style)


def test_a_wrong_pick_gets_a_second_try_or_the_solution_on_request(
        quiz_page: Any, lab_server: LabServer, screenshots: Any) -> None:
    q6 = BANK["q6"]
    wrong = [letter for letter in q6.letters if letter != q6.answer]
    _pick(quiz_page, "q6", wrong[0])
    quiz_page.locator(".quiz-q6 .quiz-check").click()
    feedback = quiz_page.locator(".quiz-q6 .quiz-feedback")
    verdict = feedback.locator(".quiz-verdict")
    expect(verdict).to_have_text(re.compile(r"^✗ Not yet\. You picked "))
    colour = computed(verdict, "color", "background-color", "border-left-color")
    assert colour["color"] == "rgb(122, 62, 0)" and colour["background-color"] != \
        "rgba(0, 0, 0, 0)", colour
    quiz_page.locator(".quiz-q6").screenshot(path=str(screenshots / "quiz-q6-not-yet.png"))
    button = quiz_page.locator(".quiz-q6 .quiz-show-solution")
    expect(button).to_be_visible()
    button.click()
    expect(verdict).to_have_text(re.compile(rf"^✗ Not quite\. .* The answer is {q6.answer}\.$"))
    expect(feedback).to_contain_text("Worked solution")
    expect(button).to_be_hidden()
    assert computed(verdict, "color")["color"] == "rgb(140, 29, 24)"
    quiz_page.locator(".quiz-q6").screenshot(path=str(screenshots / "quiz-q6-solution.png"))
    # The check cell knows the worked solution was seen: no second try promised.
    check_cell = tagged_cell(quiz_page, lab_server, QUIZ_NOTEBOOK, "check")
    run_cell(quiz_page, check_cell)
    said = check_cell.locator(".jp-OutputArea-output")
    expect(said).to_contain_text(f"Question 6: {wrong[0]} is not right. You have seen the worked "
                                 "solution in the quiz: pick the option it arrives at")
    expect(said).not_to_contain_text("second try")
    check_cell.screenshot(path=str(screenshots / "verdict-quiz-solution-seen.png"))


def test_code_in_the_why_not_shows_as_code(quiz_page: Any, screenshots: Any) -> None:
    q3 = BANK["q3"]
    _pick(quiz_page, "q3", "A")
    quiz_page.locator(".quiz-q3 .quiz-check").click()
    why = quiz_page.locator(".quiz-q3 .quiz-why")
    expect(why.locator("code").first).to_have_text("batch_result")
    expect(why).not_to_contain_text("`")
    assert q3.answer != "A"
    quiz_page.locator(".quiz-q3").screenshot(path=str(screenshots / "quiz-q3-why-not-code.png"))


def test_the_score_is_in_sight_at_every_question(quiz_page: Any) -> None:
    total = quiz_page.locator(".quiz-score").text_content()
    beside = quiz_page.locator(".quiz-q9 .quiz-score-line")
    beside.scroll_into_view_if_needed()
    expect(beside).to_be_in_viewport()
    expect(beside).to_have_text(total)
    expect(quiz_page.locator(".quiz-score-line")).to_have_count(10)


def test_re_running_the_quiz_cell_shows_the_answers_already_given(
        quiz_page: Any, lab_server: LabServer, screenshots: Any) -> None:
    recorded = recorded_answers(lab_server.quiz_answers_file)
    assert recorded, "an earlier test answered some questions"
    quiz_cell = quiz_page.locator(".jp-Notebook .jp-Cell").filter(
        has=quiz_page.locator(".quiz")).first
    run_cell(quiz_page, quiz_cell)
    expected = score_answers(recorded)
    expect(quiz_page.locator(".quiz-score")).to_have_text(
        f"Score: {expected[0]} / {expected[1]} answered right")
    for qid, letter in recorded.items():
        label = quiz_page.locator(f".quiz-{qid} .quiz-options label").filter(
            has_text=re.compile(rf"^{letter}\. "))
        expect(label.locator("input[type=radio]")).to_be_checked()
        expect(quiz_page.locator(f".quiz-{qid} .quiz-feedback .quiz-verdict")).to_have_count(1)
    quiz_page.locator(".quiz-q1").scroll_into_view_if_needed()
    quiz_page.screenshot(path=str(screenshots / "quiz-after-re-run.png"))
