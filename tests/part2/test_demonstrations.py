"""Notebook 06's demonstrations tell the truth: the batch demo previews, estimates and can be
stopped with a word on why; the texts are computed from the figures they sit beside; the
fallback demo shows what a timeout buys; the load demo measures the server, not the client."""

from __future__ import annotations

import os
import signal
import sqlite3
import textwrap
from pathlib import Path

import pytest

from churn_course import batch_demo
from churn_course.batch_demo import Preview, preview_words, run_words, tonight
from churn_course.costs import cost_table
from churn_course.load import Level, model_time, show_load
from churn_course.skew import skew_words
from churn_course.synthetic import synthetic_customers

from .solution import GIVEN, RIGHT

SCHEMA = ("CREATE TABLE IF NOT EXISTS predictions (customer_id INTEGER PRIMARY KEY, "
          "feature REAL, churn INTEGER, model_version TEXT, scored_at TEXT)")


def _one_transaction(conn, customers, model_version):
    conn.execute(SCHEMA)
    conn.executemany("INSERT OR REPLACE INTO predictions VALUES (?, ?, ?, ?, ?)",
                     [(c, f, f > 0.6, model_version, "x") for c, f in customers])
    conn.commit()


def test_a_quick_job_previews_estimates_and_writes_the_table(tmp_path: Path, capsys) -> None:
    customers = synthetic_customers(5000)
    conn, run = tonight(_one_transaction, customers, tmp_path / "p.sqlite", "v1")
    said = capsys.readouterr().out
    assert said.startswith("Preview: 1,000 rows in ") and "So the full 5,000 rows should take" \
        in said
    assert "Full run: 5,000 rows in " in said and run.commits == 1 and not run.stopped
    assert conn.execute("SELECT COUNT(*) FROM predictions").fetchone()[0] == 5000
    assert [p.name for p in tmp_path.iterdir()] == ["p.sqlite"]  # the scratch tables are gone


def test_a_job_stopped_with_interrupt_says_where_and_why(tmp_path: Path, capsys,
                                                        monkeypatch) -> None:
    """Per-row commits: the preview says so before the run; the notebook's Interrupt (SIGINT)
    stops the full run, and the demo says what the table now holds."""

    def per_row(conn, customers, model_version):
        conn.execute(SCHEMA)
        for index, (c, f) in enumerate(customers):
            if len(customers) > batch_demo.PREVIEW_ROWS and index == 300:
                os.kill(os.getpid(), signal.SIGINT)  # the learner presses ■
            conn.execute("INSERT OR REPLACE INTO predictions VALUES (?, ?, ?, ?, ?)",
                         (c, f, f > 0.6, model_version, "x"))
            conn.commit()

    customers = synthetic_customers(20_000)
    monkeypatch.setattr(batch_demo, "PREVIEW_ROWS", 200)  # the test needn't wait for 1,000
    conn, run = tonight(per_row, customers, tmp_path / "p.sqlite", "v1")
    said = capsys.readouterr().out
    assert "The preview committed 200 times for 200 rows" in said
    assert run.stopped and 300 <= run.rows < len(customers)
    assert "Stopped after " in said and f"{run.rows:,} of 20,000 rows written" in said
    assert "one transaction would have left yesterday's table whole" in said
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert conn.execute("SELECT COUNT(*) FROM predictions").fetchone()[0] == run.commits


def test_the_estimate_separates_what_each_run_costs_from_what_each_row_costs() -> None:
    found = Preview(small=100, small_seconds=0.012, rows=1000, seconds=0.030, commits=1)
    assert found.per_row == pytest.approx(0.00002) and found.fixed == pytest.approx(0.010)
    (least, most), words = preview_words(found, 100_000)
    assert least == pytest.approx(2.01)
    assert most == pytest.approx(3.0)  # all of the preview's 30 ms growing with the rows
    assert "about 10 ms per run whatever its size, plus 20.0 µs per row" in words
    assert "should take about 2.0 s" in words
    noisy = Preview(small=100, small_seconds=0.028, rows=1000, seconds=0.030, commits=1)
    _, words = preview_words(noisy, 100_000)
    assert "should take between 250 ms and 3.0 s: most of the preview's time is what any run " \
        "costs" in words


def test_a_run_far_slower_than_its_preview_says_so_with_its_own_figures() -> None:
    run = batch_demo.Run(rows=100_000, commits=100_000, seconds=12.0)
    assert "30× slower than the preview said (100,000 commits" in run_words(run, 100_000,
                                                                            (0.3, 0.4))
    quick = batch_demo.Run(rows=100_000, commits=1, seconds=0.5)
    assert run_words(quick, 100_000, (0.3, 0.4)).endswith("(the preview said about 300 ms).")
    assert run_words(quick, 100_000, (0.1, 0.4)).endswith(
        "(the preview said between 100 ms and 400 ms).")


def test_the_scoring_sentence_follows_the_figures() -> None:
    assert "1% of the whole job" in batch_demo.scoring_words(100_000, 0.008, 0.00001, 0.65)
    assert "the table, not the model" in batch_demo.scoring_words(100_000, 0.008, 0.00001, 0.65)
    model_bound = batch_demo.scoring_words(100_000, 0.5, 0.001, 0.6)
    assert "83% of the whole job" in model_bound and "Most of the job is the model" in model_bound


def test_skew_is_measured_with_the_learners_own_function_and_shown_by_example() -> None:
    namespace: dict = {}
    exec(GIVEN + RIGHT["skew"], namespace)
    customers = [(1, 0.2), (2, 0.62), (3, 0.8), (4, 0.64)]
    namespace["online_features"].update(customers)
    words = skew_words(namespace["skew_share"], customers, namespace["serving_feature"],
                       namespace["predict"])
    assert words.startswith("Skew: 50.0%. 2 of 4 customers") and "customer 2: stored feature " \
        "0.62, so the table says churn True; the endpoint is served 0.6 and says False" in words
    exec(RIGHT["serving"], namespace)
    assert skew_words(namespace["skew_share"], customers, namespace["serving_feature"],
                      namespace["predict"]).startswith("Skew: 0.0%. The endpoint and tonight")


def _level(clients: int, ms: list[float], seconds: float) -> Level:
    return Level(clients, ms, seconds)


def test_the_load_text_names_the_tail_and_the_servers_throughput(capsys) -> None:
    """At 8 clients the mean is within the budget and p99 is not: the text says the tail
    decides; the throughput it names is requests over the run's seconds."""
    namespace: dict = {}
    exec(GIVEN + RIGHT["percentile"] + RIGHT["capacity"], namespace)
    levels = [_level(1, [4.0] * 100, 0.4), _level(8, [20.0] * 97 + [80.0] * 3, 0.35),
              _level(32, [120.0] * 100, 0.4)]
    most = show_load(levels, namespace["percentile"], namespace["capacity"], 50)
    said = capsys.readouterr().out
    assert most == 1
    assert "\nWithin the 50 ms budget for p99 (your `capacity`): 1 concurrent client. Judged by "\
        "the mean, 8 would look fine" in said
    assert "tops out near 286 requests/s; at 32 clients it answers 250 requests/s while p99 is " \
        "120 ms" in said


def test_model_time_slows_predict_for_the_run_only() -> None:
    namespace: dict = {}
    exec(GIVEN, namespace)
    model = namespace["predict"]
    with model_time(namespace, ms=1):
        assert namespace["predict"] is not model and namespace["predict"](0.7) is True
    assert namespace["predict"] is model


def test_the_load_is_measured_from_another_process(tmp_path: Path) -> None:
    from churn_course.endpoint import start_endpoint, stop_endpoint
    from churn_course.load import measure

    namespace: dict = {}
    exec(GIVEN + RIGHT["serving"] + RIGHT["app"], namespace)
    endpoint = start_endpoint(namespace["app"])
    try:
        levels = measure(endpoint.url, [200001, 200002, 105], levels=(1, 4),
                         requests={1: 20, 4: 40})
    finally:
        stop_endpoint()
    assert [(lv.clients, len(lv.latencies_ms)) for lv in levels] == [(1, 20), (4, 40)]
    assert all(lv.seconds > 0 and lv.throughput > 0 for lv in levels)


def test_the_cost_text_is_computed_from_the_table(capsys) -> None:
    namespace: dict = {}
    exec(RIGHT["cost"], namespace)
    cost_table(namespace["cost_per_used"], scored=100_000, used=5_000, batch_per_second=200_000,
               server_per_second=250, price_per_hour=0.2)
    said = capsys.readouterr().out
    batch = 100_000 / 200_000 / 3600 * 0.2 / 5_000
    ready = 24 * 0.2 / 5_000
    assert "5,000 of the 100,000 nightly predictions are used (5%)" in said
    assert f"{ready / batch:,.0f}× more per used prediction" in said


def test_the_fallback_demo_shows_what_a_timeout_buys(monkeypatch, capsys) -> None:
    from churn_course import fallback_demo
    from churn_course.endpoint import stop_endpoint

    monkeypatch.setattr(fallback_demo, "SLOW_SECONDS", 1.5)
    namespace: dict = {}
    exec(GIVEN + RIGHT["serving"] + RIGHT["app"]
         + textwrap.dedent(RIGHT["fallback"]), namespace)
    conn = sqlite3.connect(":memory:")
    conn.execute(SCHEMA)
    conn.execute("INSERT INTO predictions VALUES (200003, 0.5, 0, 'v1', 'x')")
    namespace.update(conn=conn, ENDPOINT_URL="unset")
    try:
        endpoint = fallback_demo.show_fallback(namespace["predict_with_fallback"], namespace,
                                               namespace["app"], [(200003, "rose"), (105, "new")])
        assert namespace["ENDPOINT_URL"] == endpoint.url and not endpoint.stopped
    finally:
        stop_endpoint()
    said = capsys.readouterr().out
    assert "\nWith your timeout, a slow endpoint costs the customer " in said
    yours = said.split("costs the customer ")[1].split(" and a stored")[0]
    none = said.split("with no timeout, ")[1].split(" for the live one")[0]
    assert yours.endswith(" ms")  # about 0.2 s, the learner's timeout: less than the wait
    assert none.endswith(" s") and float(none[:-2]) >= 1.5  # the whole wait, and then some


def test_the_load_text_when_nothing_is_within_the_budget(capsys) -> None:
    namespace: dict = {}
    exec(GIVEN + RIGHT["percentile"] + RIGHT["capacity"], namespace)
    levels = [_level(1, [60.0] * 100, 0.4), _level(8, [90.0] * 100, 0.35)]
    assert show_load(levels, namespace["percentile"], namespace["capacity"], 50) == 0
    assert "No number of clients kept p99 within the 50 ms budget here (your `capacity` says " \
        "0)" in capsys.readouterr().out
