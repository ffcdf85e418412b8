"""The course as a learner meets it in the browser: the built JupyterLite site, served from
127.0.0.1, in Chromium with every other host unresolvable (no CDN, no PyPI)."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from grader import check
from grader.spec import STEPS
from tests.browser.lab import BADGE, NO_CHROMIUM, find_chromium, move_slider_to

from .site import (
    KERNEL_TIMEOUT_MS,
    ROOT,
    SiteServer,
    close_context,
    new_context,
    open_lite_notebook,
    run_and_wait,
    set_cell_source,
    tagged_index,
    wait_kernel_idle,
)

pytestmark = [
    pytest.mark.skipif(find_chromium() is None, reason=NO_CHROMIUM),
]

STEP3 = "03_predict_and_batch.ipynb"
STEP4 = "04_batch_and_realtime.ipynb"
QUIZ = "05_practice_quiz.ipynb"
QUIZ_CELL = 3  # show_quiz()
STEP4_TABLE = "step4_predictions.sqlite"  # what Run batch writes beside the notebook
GIVEN = ("customers = [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)]\n"
         "threshold = 0.6\n")
PREDICT = "def predict(feature):\n    return feature > threshold"
BATCH = "batch_results = [predict(feature) for customer_id, feature in customers]"
LOOPING = "def predict(feature):\n    while True:\n        pass"


def _offered(site_server: SiteServer) -> int:
    """The steps the site offers (it leaves out notebooks the browser's Python can't run):
    progress in the browser counts these, not every step of the course."""
    names = {path.name for path in (site_server.site / "files").glob("*.ipynb")}
    return sum(1 for step in STEPS if step.notebook in names)


def _nothing_left_the_machine(context: Any, server: SiteServer) -> None:
    assert context.elsewhere == [], "the page tried to reach another host"
    assert [p for p in server.missing() if p != "/favicon.ico"] == []


def _desktop_verdict(predict: str, batch: str | None) -> list[tuple[bool, str]]:
    """The verdict `check(3)` gives on the desktop for the same answers."""
    namespace: dict[str, Any] = {}
    exec(GIVEN + predict + "\n" + (batch or ""), namespace)
    report = check(3, namespace=namespace, source=[predict, batch or ""], record=False)
    return [(c.passed, c.title) for c in report.checks]


@pytest.fixture(scope="module")
def step3(offline_browser: Any, site_server: SiteServer) -> Iterator[Any]:
    """Step 3 opened cold in a fresh profile, its given cell run."""
    context = new_context(offline_browser)
    page = context.new_page()
    try:
        open_lite_notebook(page, site_server, STEP3)
        run_and_wait(page, 1)
        yield page
    finally:
        close_context(context)


def _answer_step3(page: Any, predict: str, batch: str | None = BATCH) -> str:
    """Type and run the answers (a looping predict would hang the batch cell, as on the
    desktop: the learner's own cells have no time limit), then run the check."""
    first = tagged_index(STEP3, "answer")
    set_cell_source(page, first, predict)
    run_and_wait(page, first)
    if batch is not None:
        set_cell_source(page, first + 2, batch)
        run_and_wait(page, first + 2)
    return run_and_wait(page, tagged_index(STEP3, "check"))


def test_cold_load_to_a_first_verdict_the_same_as_on_the_desktop(
        step3: Any, site_server: SiteServer, screenshots: Path) -> None:
    shown = _answer_step3(step3, PREDICT)
    step3.screenshot(path=str(screenshots / "lite-step3-passed.png"))
    assert "Step 3 passed" in shown
    for passed, title in _desktop_verdict(PREDICT, BATCH):
        assert passed and title.replace("`", "") in shown
    assert 0 < _offered(site_server) < len(STEPS)  # Part 2 stays on the desktop
    assert f"Progress: 1 / {_offered(site_server)} steps" in shown
    _nothing_left_the_machine(step3.context, site_server)


def test_a_looping_predict_is_stopped_and_the_kernel_lives_on(
        step3: Any, site_server: SiteServer, screenshots: Path) -> None:
    shown = _answer_step3(step3, LOOPING, batch=None)
    step3.screenshot(path=str(screenshots / "lite-step3-looping.png"))
    desktop = _desktop_verdict(LOOPING, None)
    assert [passed for passed, _ in desktop][:2] == [True, False]
    assert "did not finish within a second" in shown
    assert "Traceback" not in shown
    # The same kernel answers the next check: nothing had to be restarted.
    assert "Step 3 passed" in _answer_step3(step3, PREDICT)
    _nothing_left_the_machine(step3.context, site_server)


def test_progress_survives_a_reload(step3: Any, site_server: SiteServer) -> None:
    """Step 3 passed above (the looping answer was then fixed); a reload starts a new kernel,
    and the progress file is still there, in the browser's storage."""
    step3.reload()
    open_lite_notebook(step3, site_server, STEP3)
    first = tagged_index(STEP3, "answer")
    set_cell_source(step3, first, "from grader.progress import report\nprint(report())")
    shown = run_and_wait(step3, first)
    assert f"Progress: 1 / {_offered(site_server)} steps" in shown and "✔ Step 3" in shown, shown
    assert "Step 6" not in shown


def test_the_serving_panel_serves_live_and_from_the_batch_table(
        offline_browser: Any, site_server: SiteServer, screenshots: Path,
        tmp_path: Path) -> None:
    """Live answers flip at the threshold; Run batch writes a real SQLite table beside the
    notebook, in the browser's storage, and Stored answers from it."""
    context = new_context(offline_browser)
    page = context.new_page()
    try:
        open_lite_notebook(page, site_server, STEP4)
        run_and_wait(page, 1)
        panel = tagged_index(STEP4, "nbval-ignore-output")
        run_and_wait(page, panel)
        page.locator(".serving-slider .noUi-handle").wait_for(state="attached",
                                                               timeout=KERNEL_TIMEOUT_MS)
        move_slider_to(page, 0.60)
        expect(page.locator(BADGE)).to_contain_text("Stays — predict(0.6) returned False")
        move_slider_to(page, 0.61)
        expect(page.locator(BADGE)).to_contain_text("Churn — predict(0.61) returned True")

        page.locator(".serving-batch-button").click()
        expect(page.locator(".serving-batch-table tbody tr")).to_have_count(4)
        expect(page.locator(".serving-stored-summary")).to_contain_text(
            "Every stored answer matches live predict now")
        expect(page.locator(".serving-batch-message")).to_have_text("")
        page.locator(".serving-mode button", has_text="Stored").click()
        page.locator(".serving-customer-id input").fill("102")
        page.locator(".serving-customer-value input").fill("0.8")
        page.locator(".serving-customer-value input").press("Tab")  # commits the value
        page.locator(".serving-serve-button").click()
        expect(page.locator(BADGE)).to_have_text(re.compile(
            r"^⚠ Churn — stored by the batch run of \d\d:\d\d:\d\d \(customer 102\)$"))
        page.screenshot(path=str(screenshots / "lite-serving-panel-stored.png"))
        # Step 4 judged by what its cell printed when it ran, as on the desktop: Pyodide's
        # stdout is heard too. (Run again in today's namespace, where the cell itself has
        # since set threshold = 0.85, the same cell would print False.)
        answer, check_at = tagged_index(STEP4, "answer"), tagged_index(STEP4, "check")
        set_cell_source(page, answer,
                        "print(batch_results)\nprint(predict(0.7))\nthreshold = 0.85")
        assert "True" in run_and_wait(page, answer)
        assert "Step 4 passed" in run_and_wait(page, check_at)
        table = _download(page, STEP4_TABLE, tmp_path)
        _nothing_left_the_machine(context, site_server)
    finally:
        close_context(context)
    with closing(sqlite3.connect(table)) as conn:  # a whole, valid SQLite file
        rows = conn.execute("SELECT customer_id, feature, churn FROM predictions "
                            "ORDER BY rowid").fetchall()
    assert rows == [(101, 0.2, 0), (102, 0.8, 1), (103, 0.5, 0), (104, 0.9, 1)]


def _kernels(page: Any) -> int:
    """Pyodide kernels running for the page: each is a web worker of its own."""
    return sum(1 for worker in page.workers if "pyodide-kernel-extension" in worker.url)


def _open_from_the_file_browser(page: Any, name: str) -> None:
    page.locator(".jp-DirListing-item").filter(has=page.locator(
        ".jp-DirListing-itemText", has_text=re.compile(rf"^{re.escape(name)}$"))).dblclick()
    wait_kernel_idle(page, name)


def test_reopening_the_site_starts_one_kernel_whatever_was_left_open(
        offline_browser: Any, site_server: SiteServer, screenshots: Path) -> None:
    """Notebooks left open, the site reopened on one: one kernel starts, not one per notebook
    (each loads Pyodide, and together they make the first one wait)."""
    context = new_context(offline_browser)
    page = context.new_page()
    try:
        open_lite_notebook(page, site_server, STEP3)
        _open_from_the_file_browser(page, QUIZ)
        assert _kernels(page) == 2
        page.close()

        page = context.new_page()
        page.goto(site_server.notebook_url(STEP3), wait_until="domcontentloaded")
        wait_kernel_idle(page, STEP3)
        page.screenshot(path=str(screenshots / "lite-reopened.png"))
        assert page.locator("#jp-main-dock-panel .lm-TabBar-tab").all_text_contents() == [STEP3]
        assert _kernels(page) == 1
        _nothing_left_the_machine(context, site_server)
    finally:
        close_context(context)


def _pick_and_check(page: Any, qid: str, letter: str, verdict: str = "✓ Right!") -> None:
    label = page.locator(f".quiz-{qid} .quiz-options label").filter(
        has_text=re.compile(rf"^{letter}\. "))
    label.click()
    page.locator(f".quiz-{qid} button").filter(has_text="Check").click()
    expect(page.locator(f".quiz-{qid} .quiz-feedback")).to_contain_text(verdict)


def _expect_picked(page: Any, qid: str, letter: str) -> Any:
    box = page.locator(f".quiz-{qid}")
    expect(box.locator(".quiz-options input:checked")).to_have_count(1)
    expect(box.locator(".quiz-options label").filter(
        has=page.locator("input:checked"))).to_have_text(re.compile(rf"^{letter}\. "))
    return box


def _expect_second_try(page: Any, question: Any, wrong: str) -> None:
    """A wrong first pick: its words, a second try, and Show solution on offer."""
    box = page.locator(f".quiz-{question.id}")
    feedback = box.locator(".quiz-feedback")
    expect(feedback).to_contain_text(
        f"✗ Not yet. You picked {wrong}. {question.option_text(wrong)}")
    expect(feedback).to_contain_text(f"Why not: {question.option_feedback(wrong)}")
    expect(feedback).to_contain_text("Try again: one more pick before the worked solution")
    expect(box.locator(".quiz-show-solution")).to_be_visible()


def _download(page: Any, name: str, folder: Path) -> Path:
    """Right-click → Download in the file browser, as a learner hands in a file."""
    page.locator(".jp-FileBrowser-toolbar [data-command='filebrowser:refresh']").click()
    item = page.locator(".jp-DirListing-item").filter(
        has=page.locator(".jp-DirListing-itemText", has_text=re.compile(rf"^{re.escape(name)}$")))
    item.click(button="right")
    with page.expect_download() as info:
        page.locator(".lm-Menu-item[data-command='filebrowser:download']").click()
    target = folder / name
    info.value.save_as(str(target))
    return target


def test_quiz_answers_survive_a_reload_and_hand_ins_grade_like_desktop_ones(
        offline_browser: Any, site_server: SiteServer, screenshots: Path,
        tmp_path: Path) -> None:
    from churn_course.quiz import load_bank

    q1, q2 = load_bank()[:2]
    wrong = next(letter for letter in q2.letters if letter != q2.answer)
    context = new_context(offline_browser)
    page = context.new_page()
    try:
        open_lite_notebook(page, site_server, QUIZ)
        run_and_wait(page, 1)
        run_and_wait(page, QUIZ_CELL)
        page.locator(".quiz-score").wait_for(state="attached", timeout=KERNEL_TIMEOUT_MS)
        _pick_and_check(page, q1.id, q1.answer)
        _pick_and_check(page, q2.id, wrong, "✗ Not yet.")
        _expect_second_try(page, q2, wrong)

        page.reload()
        open_lite_notebook(page, site_server, QUIZ)
        run_and_wait(page, 1)
        # The quiz cell, run first in the new kernel, draws each pick from the saved answers:
        # selected, with its words, and the score check("quiz") then gives.
        run_and_wait(page, QUIZ_CELL)
        box = _expect_picked(page, q1.id, q1.answer)
        expect(box.locator(".quiz-feedback")).to_contain_text("✓ Right!")
        _expect_picked(page, q2.id, wrong).scroll_into_view_if_needed()
        _expect_second_try(page, q2, wrong)
        expect(page.locator(".quiz .quiz-score").first).to_have_text(
            "Score: 1 / 10 answered right")
        page.screenshot(path=str(screenshots / "lite-quiz-after-reload.png"))
        shown = run_and_wait(page, tagged_index(QUIZ, "check"))
        assert "quiz 1 / 10" in shown and "Question 1 is not answered" not in shown, shown

        learner = tmp_path / "submissions" / "ana"
        learner.mkdir(parents=True)
        _download(page, QUIZ, learner)
        _download(page, "quiz_answers.json", learner)
        _nothing_left_the_machine(context, site_server)
    finally:
        close_context(context)

    answers = json.loads((learner / "quiz_answers.json").read_text(encoding="utf-8"))
    assert [(a["question"], a["letter"]) for a in answers["answers"]] == [
        (q1.id, q1.answer), (q2.id, wrong)]
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(learner.parent), "-o",
                           str(tmp_path / "graded"), "-q", "--jobs", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with (tmp_path / "graded" / "grades.csv").open(encoding="utf-8") as grades:
        row = next(csv.DictReader(grades))
    assert row["learner"] == "ana" and float(row["quiz"]) == 1.0, row
