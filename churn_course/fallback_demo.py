"""The fallback, shown for real: the learner's `predict_with_fallback` with their endpoint up,
stopped, and slow (an endpoint that waits seconds before answering), next to a client with no
timeout, so the table says what the timeout buys.

The notebook's `ENDPOINT_URL` is pointed at each endpoint for the call and put back after.
Only notebook 06's demonstrations use this; grading never runs it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .endpoint import slowed, start_endpoint, stop_endpoint

SLOW_SECONDS = 1.5


@contextmanager
def _endpoint_url(namespace: dict, url: str) -> Iterator[None]:
    saved = namespace.get("ENDPOINT_URL")
    namespace["ENDPOINT_URL"] = url
    try:
        yield
    finally:
        namespace["ENDPOINT_URL"] = saved


def _timed(func: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    try:
        value = func(*args)
    except Exception as err:  # the learner's fallback may still raise: show it, don't stop
        value = f"raised {type(err).__name__}"
    return value, time.perf_counter() - started


def _no_timeout(url: str, customer_id: int) -> Any:
    import httpx

    reply = httpx.get(f"{url}/predict", params={"customer_id": customer_id}, timeout=None)
    reply.raise_for_status()
    return {"churn": reply.json()["churn"], "source": "live"}


def _shown(value: Any, key: str) -> str:
    return str(value.get(key)) if isinstance(value, dict) else str(value)


def _waited(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def show_fallback(fallback: Callable[[int], Any], namespace: dict, app: Any,
                  customers: list[tuple[int, str]]) -> Any:
    """A table of what `fallback` answered for each of `customers` ((id, who they are)) with
    the endpoint up, stopped and slow, and a client with no timeout for comparison; then the
    sentence computed from it. Leaves the learner's endpoint running again."""
    from IPython.display import display

    from .figures import Table

    rows: list[tuple[str, ...]] = []
    waits: dict[str, float] = {}

    def ask(situation: str, func: Callable[..., Any], *args: Any) -> None:
        value, seconds = _timed(func, *args)
        rows.append((situation, f"{args[-1]} ({dict(customers)[args[-1]]})",
                     _shown(value, "churn"), _shown(value, "source"), _waited(seconds)))
        waits.setdefault(situation, seconds)

    endpoint = start_endpoint(app)
    with _endpoint_url(namespace, endpoint.url):
        for customer_id, _ in customers:
            ask("endpoint up", fallback, customer_id)
    stop_endpoint()
    with _endpoint_url(namespace, endpoint.url):
        for customer_id, _ in customers:
            ask("endpoint down", fallback, customer_id)
    slow = start_endpoint(slowed(app, SLOW_SECONDS))
    first = customers[0][0]
    with _endpoint_url(namespace, slow.url):
        ask(f"endpoint slow ({SLOW_SECONDS:g} s)", fallback, first)
        ask("slow, and a client with no timeout", _no_timeout, slow.url, first)
    stop_endpoint()
    restarted = start_endpoint(app)
    namespace["ENDPOINT_URL"] = restarted.url
    display(Table(("situation", "customer", "churn", "source", "the customer waited"), rows))
    yours, none = waits[f"endpoint slow ({SLOW_SECONDS:g} s)"], \
        waits["slow, and a client with no timeout"]
    print(f"With your timeout, a slow endpoint costs the customer {_waited(yours)} and a stored "
          f"answer; with no timeout, {_waited(none)} for the live one, and an endpoint that "
          "hangs would hang the customer with it. A stored answer can be stale, or missing for "
          "a customer who is new today: the fallback says which source answered, so the caller "
          "can tell.")
    return restarted
