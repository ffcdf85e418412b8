"""Step 4 in a real JupyterLab: the check cell passes, and the live serving panel serves.

The solved step 4 notebook (outputs cleared) is opened in Chromium and run with Run → Run All
Cells, as a learner would. Everything asserted here came back from the live kernel.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from .lab import (
    BADGE,
    NEWEST_LOG_INPUT,
    NO_CHROMIUM,
    SLIDER_HANDLE,
    SLIDER_READOUT,
    STEP4_NOTEBOOK,
    LabServer,
    close_page,
    computed,
    find_chromium,
    is_cut_short,
    move_slider_to,
    new_page,
    open_serving_panel,
    px,
    step_slider,
    tagged_cell,
)

pytestmark = [
    pytest.mark.skipif(find_chromium() is None, reason=NO_CHROMIUM),
]



def stays(feature: str, source: str) -> str:
    """The badge after predict(feature) returned False; it names the request it answers."""
    return f"✓ Stays — predict({feature}) returned False ({source})"


def churn(feature: str, source: str) -> str:
    """The badge after predict(feature) returned True; it names the request it answers."""
    return f"⚠ Churn — predict({feature}) returned True ({source})"

LATENCY = re.compile(r"^Time inside predict: (<?\d+(\.\d+)? ms|\d+\.\d+ s)$")


@pytest.fixture(scope="module")
def panel(browser: Any, lab_server: LabServer) -> Iterator[Any]:
    """The step 4 notebook, all cells run, its serving panel on screen."""
    page = new_page(browser)
    try:
        open_serving_panel(page, lab_server)
        yield page
    finally:
        close_page(page)


def _log_rows(page: Any) -> list[list[str]]:
    return page.locator(".serving-log tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")


def test_check_cell_says_step_4_passed_in_a_real_kernel(panel: Any,
                                                        lab_server: LabServer) -> None:
    check_output = tagged_cell(panel, lab_server, STEP4_NOTEBOOK, "check").locator(
        ".jp-OutputArea-output")
    expect(check_output).to_contain_text("Step 4 passed")
    expect(check_output).to_contain_text("[False, True, False, True]")
    expect(check_output).not_to_contain_text("✘")
    # The printed answer itself, shown above the check.
    answer_output = tagged_cell(panel, lab_server, STEP4_NOTEBOOK, "answer").locator(
        ".jp-OutputArea-output")
    expect(answer_output).to_have_text("[False, True, False, True]\nTrue")
    # No cell wrote to stderr or raised.
    expect(panel.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")).to_have_count(0)
    # The kernel recorded the pass in the progress file the server pointed it to.
    progress = json.loads(lab_server.progress_file.read_text(encoding="utf-8"))
    assert progress["steps"]["4"]["passed"] is True


def test_slider_flips_the_badge_across_the_threshold(panel: Any) -> None:
    badge = panel.locator(BADGE)
    move_slider_to(panel, 0.58)
    panel.locator(SLIDER_HANDLE).focus()

    assert step_slider(panel, "ArrowRight") == 0.59
    expect(badge).to_have_text(stays("0.59", "slider"))

    # Exactly at the threshold: 0.60 is not greater than 0.6, so the customer stays.
    assert step_slider(panel, "ArrowRight") == 0.60
    expect(badge).to_have_text(stays("0.6", "slider"))
    expect(badge).to_have_class(re.compile(r"\bserving-badge-stays\b"))

    assert step_slider(panel, "ArrowRight") == 0.61
    expect(badge).to_have_text(churn("0.61", "slider"))
    expect(badge).to_have_class(re.compile(r"\bserving-badge-churn\b"))
    expect(panel.locator(".serving-latency")).to_have_text(LATENCY)

    assert step_slider(panel, "ArrowLeft") == 0.60
    expect(badge).to_have_text(stays("0.6", "slider"))

    # Every move was one request, newest first, each with its own latency.
    newest = _log_rows(panel)[:4]
    assert [[row[1], row[3]] for row in newest] == [
        ["slider: feature 0.6", "✓ Stays (False)"],
        ["slider: feature 0.61", "⚠ Churn (True)"],
        ["slider: feature 0.6", "✓ Stays (False)"],
        ["slider: feature 0.59", "✓ Stays (False)"],
    ]
    for time_text, _input, answered_by, _prediction, latency in newest:
        assert answered_by == "live"
        assert re.fullmatch(r"\d\d:\d\d:\d\d", time_text)
        assert re.fullmatch(r"<?\d+(\.\d+)? ms|\d+\.\d+ s", latency)
    expect(panel.locator(".serving-realtime-message")).to_have_text("")


def _type_into_readout(page: Any, value: str) -> None:
    readout = page.locator(SLIDER_READOUT)
    readout.click()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


def test_typing_into_the_slider_readout_serves_that_value(panel: Any) -> None:
    badge = panel.locator(BADGE)
    _type_into_readout(panel, "0.75")
    expect(panel.locator(NEWEST_LOG_INPUT)).to_have_text("slider: feature 0.75")
    expect(badge).to_have_text(churn("0.75", "slider"))
    expect(panel.locator(SLIDER_READOUT)).to_have_text("0.75")

    _type_into_readout(panel, "0.6")
    expect(panel.locator(NEWEST_LOG_INPUT)).to_have_text("slider: feature 0.6")
    expect(badge).to_have_text(stays("0.6", "slider"))
    expect(panel.locator(SLIDER_READOUT)).to_have_text("0.60")


def _serve(page: Any, customer_id: str, feature: str) -> None:
    page.locator(".serving-customer-id input").fill(customer_id)
    page.locator(".serving-customer-value input").fill(feature)
    page.locator(".serving-customer-value input").press("Tab")  # commits the value
    page.locator(".serving-serve-button").click()
    expect(page.locator(NEWEST_LOG_INPUT)).to_have_text(
        f"customer {customer_id}: feature {feature}")


def test_serve_one_customer_in_real_time(panel: Any) -> None:
    badge = panel.locator(BADGE)
    # A first request that stays, so the next badge change can only come from customer 105.
    _serve(panel, "106", "0.3")
    expect(badge).to_have_text(stays("0.3", "customer 106"))

    _serve(panel, "105", "0.7")
    expect(badge).to_have_text(churn("0.7", "customer 105"))
    # The slider still reads 0.60 (it stays): the badge says whose answer it shows.
    expect(panel.locator(SLIDER_READOUT)).to_have_text("0.60")
    expect(panel.locator(".serving-latency")).to_have_text(LATENCY)
    assert _log_rows(panel)[0][1:4] == ["customer 105: feature 0.7", "live",
                                        "⚠ Churn (True)"]
    assert _log_rows(panel)[1][1:4] == ["customer 106: feature 0.3", "live",
                                        "✓ Stays (False)"]


def test_run_batch_scores_every_customer(panel: Any, screenshots: Any) -> None:
    panel.locator(".serving-batch-button").click()
    rows = panel.locator(".serving-batch-table tbody tr")
    expect(rows).to_have_count(4)
    cells = rows.evaluate_all("rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")
    assert cells == [
        ["101", "0.2", "✓ Stays (False)", "same"],
        ["102", "0.8", "⚠ Churn (True)", "same"],
        ["103", "0.5", "✓ Stays (False)", "same"],
        ["104", "0.9", "⚠ Churn (True)", "same"],
    ]
    expect(panel.locator(".serving-stored-summary")).to_contain_text(
        "step4_predictions.sqlite")
    expect(panel.locator(".serving-stored-summary")).to_contain_text("threshold 0.6")
    expect(panel.locator(".serving-batch-time")).to_have_text(
        re.compile(r"^Scored 4 customers in .+ in total — .+ per customer\.$"))
    expect(panel.locator(".serving-batch-message")).to_have_text("")

    panel.locator(".serving-panel").scroll_into_view_if_needed()
    panel.screenshot(path=str(screenshots / "step4-lab-after-batch.png"))
    panel.locator(".serving-panel").screenshot(
        path=str(screenshots / "step4-panel-after-batch.png"))


def test_controls_are_labelled_distinctly_and_shown_whole(panel: Any) -> None:
    labels = {
        ".serving-slider": "Feature value",
        ".serving-customer-id": "Customer ID",
        ".serving-customer-value": "Customer's feature value",
    }
    for control, text in labels.items():
        label = panel.locator(f"{control} label.widget-label")
        expect(label).to_have_text(text)
        assert not is_cut_short(label), f"the label {text!r} is cut short"
    assert not is_cut_short(panel.locator(BADGE)), "the badge text is cut short"


def test_tables_are_padded_and_paragraphs_single_spaced(panel: Any) -> None:
    if panel.locator(".serving-batch-table tbody tr").count() == 0:
        panel.locator(".serving-batch-button").click()
    for table in (".serving-log", ".serving-batch-table"):
        for cell in ("th", "td"):
            style = computed(panel.locator(f"{table} table {cell}"),
                             "padding-left", "padding-right")
            assert px(style["padding-left"]) >= 4 and px(style["padding-right"]) >= 8, (
                table, cell, style)
    # The headers that ran together ("Customer IDFeature") now have a gap between their words.
    gap = panel.locator(".serving-batch-table th").evaluate_all(
        """cells => {
            const words = cells.slice(0, 2).map(c => {
                const range = document.createRange();
                range.selectNodeContents(c);
                return range.getBoundingClientRect();
            });
            return words[1].left - words[0].right;
        }""")
    assert gap >= 12, f"only {gap:.1f} px between 'Customer ID' and 'Feature value'"
    for paragraph in (".serving-explain-realtime p", ".serving-explain-batch p"):
        style = computed(panel.locator(paragraph), "line-height", "font-size")
        assert px(style["line-height"]) <= 1.6 * px(style["font-size"]), (paragraph, style)


def _add_cell_below_panel(page: Any, lab_server: LabServer, code: str) -> None:
    """What the panel asks a learner to do: add a cell below it, type, run it."""
    cells = json.loads((lab_server.root_dir / STEP4_NOTEBOOK).read_text(encoding="utf-8"))
    position = next(i for i, c in enumerate(cells["cells"]) if "serving_panel()" in
                    "".join(c["source"]))
    cell = page.locator(".jp-Notebook .jp-Cell").nth(position)
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputPrompt").click()
    page.locator(".jp-NotebookPanel-toolbar jp-button[data-command='notebook:insert-cell-below']"
                 ).click()
    added = page.locator(".jp-Notebook .jp-Cell").nth(position + 1)
    expect(added).to_have_class(re.compile(r"\bjp-mod-active\b"))
    added.locator(".cm-content").click()
    page.keyboard.type(code)
    page.keyboard.press("Shift+Enter")
    expect(added.locator(".jp-InputPrompt")).to_have_text(re.compile(r"^\[\d+\]:$"))


def test_stored_answers_go_stale_next_to_live_ones(panel: Any, lab_server: LabServer,
                                                   screenshots: Any) -> None:
    panel.locator(".serving-batch-button").click()
    expect(panel.locator(".serving-stored-summary")).to_contain_text(
        "Every stored answer matches live predict now")
    _add_cell_below_panel(panel, lab_server, "threshold = 0.85")

    panel.locator(".serving-panel").scroll_into_view_if_needed()
    panel.locator(".serving-mode button", has_text="Stored").click()
    _serve(panel, "102", "0.8")
    expect(panel.locator(BADGE)).to_have_text(
        re.compile(r"^⚠ Churn — stored by the batch run of \d\d:\d\d:\d\d \(customer 102\)$"))
    expect(panel.locator(".serving-realtime-message")).to_contain_text(
        "Stale: live predict(0.8) now returns False")
    expect(panel.locator(".serving-latency")).to_have_text(
        re.compile(r"^Time for the table lookup: "))
    stale_row = panel.locator(".serving-batch-table tr.serving-stale")
    expect(stale_row).to_have_count(1)
    expect(stale_row).to_contain_text("⚠ now Stays")
    expect(panel.locator(".serving-stored-summary")).to_contain_text(
        "1 of 4 stored answers are stale")
    expect(panel.locator(".serving-threshold-mark")).to_contain_text("threshold 0.85")
    panel.locator(".serving-panel").screenshot(
        path=str(screenshots / "step4-panel-stale-vs-live.png"))
    panel.screenshot(path=str(screenshots / "step4-lab-stale-vs-live.png"))

    panel.locator(".serving-mode button", has_text="Live").click()
    _serve(panel, "102", "0.8")
    expect(panel.locator(BADGE)).to_have_text(stays("0.8", "customer 102"))
    # The badge and the log are separate widgets: wait for the log's own update.
    expect(panel.locator(".serving-log tbody tr:nth-child(1) td:nth-child(3)")).to_have_text(
        "live")
    expect(panel.locator(".serving-log tbody tr:nth-child(2) td:nth-child(3)")).to_have_text(
        re.compile(r"^stored \(\d\d:\d\d:\d\d\)$"))

    panel.locator(".serving-batch-button").click()  # the job runs again: fresh
    expect(panel.locator(".serving-stored-summary")).to_contain_text("threshold 0.85")
    expect(panel.locator(".serving-batch-table tr.serving-stale")).to_have_count(0)


def test_the_panel_redraws_when_any_cell_runs(panel: Any, lab_server: LabServer,
                                              screenshots: Any) -> None:
    """No Serve, no Run batch: running a cell is enough for the panel to tell the truth."""
    panel.locator(".serving-batch-button").click()
    summary = panel.locator(".serving-stored-summary")
    expect(summary).to_contain_text("Every stored answer matches live predict now")
    _add_cell_below_panel(panel, lab_server, "threshold = 0.3")
    expect(panel.locator(".serving-threshold-mark")).to_contain_text("threshold 0.3")
    expect(summary).to_contain_text("stored answers are stale")
    expect(summary).to_contain_text("threshold now 0.3")
    panel.locator(".serving-panel").scroll_into_view_if_needed()
    panel.locator(".serving-panel").screenshot(
        path=str(screenshots / "step4-panel-redrawn-after-a-cell.png"))

    _add_cell_below_panel(panel, lab_server,
                          "def predict(feature):\n    return feature > treshold")
    expect(summary).to_contain_text("Live predict gives no answer now")
    expect(summary).not_to_contain_text("match")
    expect(panel.locator(".serving-batch-table tbody td:nth-child(4)")).to_have_text(
        ["—"] * 4)
    panel.locator(".serving-panel").scroll_into_view_if_needed()
    panel.locator(".serving-panel").screenshot(
        path=str(screenshots / "step4-panel-predict-gives-no-answer.png"))

    _add_cell_below_panel(panel, lab_server, "threshold = 0.6\ndef predict(feature):\n"
                          "    return feature > threshold")
    expect(panel.locator(".serving-threshold-mark")).to_contain_text("threshold 0.6")
    expect(summary).not_to_contain_text("Live predict gives no answer now")
