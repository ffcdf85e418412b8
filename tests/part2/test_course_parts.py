"""What notebook 06's demonstrations stand on: seeded data, a real endpoint that stops when
asked (or when restarted), and the staleness replay."""

from __future__ import annotations

import sys

import httpx
import pytest
from fastapi import FastAPI

from churn_course.endpoint import IN_BROWSER, send_requests, start_endpoint, stop_endpoint
from churn_course.freshness import replay_day, staleness_by_interval, staleness_words
from churn_course.synthetic import feature_updates, synthetic_customers


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/predict")
    def predict_endpoint(customer_id: int) -> dict:
        return {"customer_id": customer_id, "churn": customer_id > 103}

    return app


def test_customers_are_the_same_every_run() -> None:
    first, again = synthetic_customers(1000), synthetic_customers(1000)
    assert first == again and len({cid for cid, _ in first}) == 1000
    assert all(type(cid) is int and type(f) is float and 0 <= f <= 1 for cid, f in first)


def test_endpoint_serves_restarts_and_stops() -> None:
    first = start_endpoint(_app())
    try:
        assert first.url.startswith("http://127.0.0.1:")
        latencies = send_requests(first.url, [105, 101], 2)
        assert len(latencies) == 2 and all(ms > 0 for ms in latencies)
        second = start_endpoint(_app())  # re-running the cell: the old server is stopped first
        assert first.stopped and not second.stopped
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{first.url}/predict", params={"customer_id": 1}, timeout=1)
        reply = httpx.get(f"{second.url}/predict", params={"customer_id": "x"})
        assert reply.status_code == 422
    finally:
        stop_endpoint()
    assert second.stopped and "stopped" in repr(second)


def test_in_the_browser_the_endpoint_is_not_started(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "platform", "emscripten")
    assert start_endpoint(_app()) is None
    assert capsys.readouterr().out.strip() == IN_BROWSER


def test_a_table_refreshed_more_often_is_wrong_less_often() -> None:
    customers = synthetic_customers(2000)
    updates = feature_updates(customers, events=4000, active=200)
    day = replay_day(customers, updates, 24, lambda f: f > 0.6)
    assert day.decisions == 4000 and day.customers <= 200
    assert 0 < day.differ < day.decisions and 0 < day.stale_at_end <= day.customers
    online: dict = {}
    days = staleness_by_interval(customers, updates, [24, 6, 1], lambda f: f > 0.6, online)
    assert days[24].share > days[6].share > days[1].share > 0
    latest = {cid: f for _, cid, f in updates}
    assert online == {**dict(customers), **latest}  # the online table ends the day up to date
    words = staleness_words(days, len(customers))
    assert f"{days[24].share:.1%}" in words and f"{days[1].share:.1%}" in words
