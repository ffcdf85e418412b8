"""Notebook 06 in a real JupyterLab: Run All Cells serves the endpoint for real, loads it with
concurrent clients, replays a day and falls back; the four checks pass in the live kernel; the
demonstrations print what their figures say; and mistakes typed into answer cells get their own
verdicts, with a nudge first and the answer lines behind "Show me the line"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.part2.solution import RIGHT

from .lab import (
    KERNEL_TIMEOUT_MS,
    NO_CHROMIUM,
    PART2_NOTEBOOK,
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


def _cell(page: Any, server: LabServer, cell_id: str) -> Any:
    """A cell found by its id in the notebook file (editors are drawn only once in view)."""
    cells = json.loads((server.root_dir / PART2_NOTEBOOK).read_text(encoding="utf-8"))["cells"]
    index = next(i for i, cell in enumerate(cells) if cell.get("id") == cell_id)
    return page.locator(".jp-Notebook .jp-Cell").nth(index)


def _ids(server: LabServer, kind: str) -> list[str]:
    cells = json.loads((server.root_dir / PART2_NOTEBOOK).read_text(encoding="utf-8"))["cells"]
    return [c["id"] for c in cells if f"-{kind}-" in c.get("id", "")]


def _check(page: Any, server: LabServer, step: str) -> Any:
    return _cell(page, server, next(i for i in _ids(server, "check")
                                    if i.startswith(f"step{step}-")))


def _answer(page: Any, server: LabServer, number: int) -> Any:
    return _cell(page, server, next(i for i in _ids(server, "answer")
                                    if i.endswith(f"-answer-{number}")))


def _type(page: Any, cell: Any, code: str) -> None:
    cell.scroll_into_view_if_needed()
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(code)


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


DEMOS = {  # the text each demonstration prints, computed from its own figures
    "part2-batch-preview": "Preview: 1,000 rows in ",
    "part2-three-ways": "Calling `predict` 100,000 times takes ",
    "part2-skew-before": "Skew: 6.2%. 6,178 of 100,000 customers would get a different answer",
    "part2-skew-after": "Skew: 0.0%. The endpoint and tonight's table give every one",
    "part2-endpoint": "1,000 requests to http://127.0.0.1:",
    "part2-percentiles": "requests took longer than p99",
    "part2-load": "That throughput is the server's, measured with many clients at once",
    "part2-freshness": "A table scored once a night disagrees with live scoring on 12.2% of "
                       "today's 50,000 decisions",
    "part2-fallback": "With your timeout, a slow endpoint costs the customer ",
    "part2-cost": "5,000 of the 100,000 nightly predictions are used (5%)",
}


@pytest.mark.parametrize("name", DEMOS)
def test_each_demonstration_says_what_its_figures_show(measured: Any, screenshots: Any,
                                                       name: str) -> None:
    area = measured.locator(".jp-Notebook .jp-Cell").filter(
        has=measured.locator(".jp-OutputArea-output", has_text=DEMOS[name]))
    expect(area).to_have_count(1)
    area.scroll_into_view_if_needed()
    area.locator(".jp-OutputArea").screenshot(path=str(screenshots / f"{name}.png"))


def test_plots_render_as_images(measured: Any, screenshots: Any) -> None:
    images = measured.locator(".jp-Notebook .jp-RenderedImage img")
    expect(images).to_have_count(3)  # latencies, latency under load, freshness
    for index in range(3):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        size = image.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
        assert size[0] and size[1] > 300 and size[2] > 150, size


def test_the_load_table_names_server_throughput_apart_from_batch_rows(measured: Any) -> None:
    load = measured.locator(".jp-Notebook .jp-RenderedHTMLCommon table",
                            has_text="concurrent clients")
    expect(load.locator("th")).to_contain_text(["concurrent clients", "requests", "mean", "p50",
                                                "p99", "p99 within 50 ms?", "server throughput"])
    batch = measured.locator(".jp-Notebook .jp-RenderedHTMLCommon table",
                             has_text="scoring 100,000 customers")
    expect(batch).not_to_contain_text("requests/s")


# (step, answer cell number, the mistake typed, words of its verdict, the right code after)
MISTAKES = [
    ("5", 2, "def predict_vectorised(features):\n    return features > 0.6",
     "compares with a fixed number instead of reading threshold", RIGHT["vectorised"]),
    ("6", 5, "app = FastAPI()\n\n@app.get('/predict')\ndef predict_endpoint(customer_id: str = "
     "None):\n    if customer_id is None or not customer_id.isdigit():\n        raise "
     "HTTPException(status_code=400, detail='customer_id?')\n    try:\n        feature = "
     "serving_feature(int(customer_id))\n    except KeyError:\n        raise HTTPException("
     "status_code=404, detail='unknown customer')\n    return {'customer_id': "
     "int(customer_id), 'churn': predict(feature), 'model_version': MODEL_VERSION}",
     "got status 400; FastAPI's own answer for input it can't read is 422", RIGHT["app"]),
    ("7", 7, "def capacity(latencies, budget_ms):\n    ok = [c for c, m in latencies.items() "
     "if sum(m) / len(m) <= budget_ms]\n    return max(ok, default=0)",
     "capacity answers as if judged by the mean latency", RIGHT["capacity"]),
    ("8", 8, "CLIENT = httpx.Client(base_url=ENDPOINT_URL)\n\ndef predict_with_fallback("
     "customer_id):\n    try:\n        reply = CLIENT.get('/predict', params={'customer_id': "
     "customer_id})\n        reply.raise_for_status()\n        return {'churn': reply.json()"
     "['churn'], 'source': 'live'}\n    except httpx.HTTPError:\n        return {'churn': "
     "lookup(conn, customer_id), 'source': 'batch'}",
     "The timeout your client used: 5 s, httpx's default when no timeout= is given",
     RIGHT["fallback"]),
]


@pytest.mark.parametrize("step, number, mistake, words, right", MISTAKES,
                         ids=[f"step{m[0]}" for m in MISTAKES])
def test_a_typed_mistake_gets_its_verdict_then_the_lines(measured: Any, lab_server: LabServer,
                                                         screenshots: Any, step: str,
                                                         number: int, mistake: str, words: str,
                                                         right: str) -> None:
    page = measured
    answer, check = _answer(page, lab_server, number), _check(page, lab_server, step)
    _type(page, answer, mistake)
    run_cell(page, answer)
    run_cell(page, check)
    verdict = check.locator(".course-verdict")
    expect(verdict).to_contain_text(words, timeout=KERNEL_TIMEOUT_MS)
    expect(verdict.locator(".course-hint")).to_be_visible()
    line = verdict.locator("details.course-line")
    expect(line.locator("pre")).to_be_hidden()  # the lines wait until asked
    check.screenshot(path=str(screenshots / f"verdict-step{step}-{number}-nudge.png"))
    line.locator("summary").click()
    expect(line.locator("pre")).to_be_visible()
    assert len(line.locator("pre").inner_text().splitlines()) > 1  # the answer's lines, whole
    check.screenshot(path=str(screenshots / f"verdict-step{step}-{number}-show-me-the-lines.png"))
    _type(page, answer, right.strip())
    run_cell(page, answer)
    run_cell(page, check)
    expect(verdict).to_contain_text(f"Step {step} passed", timeout=KERNEL_TIMEOUT_MS)


LEARNER_COPY = "06_measure_it_learner.ipynb"


def test_the_learner_notebook_runs_and_each_step_says_not_started(
        browser: Any, lab_server: LabServer, screenshots: Any) -> None:
    """The notebook as a learner gets it: Run All raises nothing; the demonstrations say what
    to write first; the given (skewed) serving path is not a mistake of theirs yet."""
    from .lab import ROOT

    (lab_server.root_dir / LEARNER_COPY).write_bytes(
        (ROOT / "notebooks" / PART2_NOTEBOOK).read_bytes())
    page = new_page(browser)
    try:
        open_notebook(page, lab_server, LEARNER_COPY)
        run_all_cells(page)
        outputs = page.locator(".jp-Notebook .jp-OutputArea-output")
        for step in "5678":
            expect(outputs.filter(has_text=f"Step {step} is not started yet")).to_have_count(1)
        expect(outputs.filter(has_text="Demonstration skipped: `run_batch_job` not defined yet")
               ).to_have_count(1)
        expect(page.locator(".jp-OutputArea-output[data-mime-type="
                            "'application/vnd.jupyter.stderr']")).to_have_count(0)
        verdict = page.locator(".jp-Notebook .jp-Cell").filter(
            has=page.locator(".course-verdict", has_text="Step 6 is not started yet"))
        verdict.scroll_into_view_if_needed()
        verdict.screenshot(path=str(screenshots / "verdict-step6-not-started.png"))
    finally:
        close_page(page)
