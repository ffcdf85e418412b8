"""Serving the learner's FastAPI app for real: uvicorn on 127.0.0.1, in a background thread.

One server per kernel: starting another (re-running the cell) stops the previous one first, and
the kernel stops it when it ends. Grading never starts a server; its checks call the app in
memory (see grader/part2/asgi.py).
"""

from __future__ import annotations

import atexit
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

START_SECONDS = 10.0
IN_BROWSER = "uvicorn can't run inside the browser (JupyterLite): run this notebook in " \
             "JupyterLab on your machine to start the endpoint."


@dataclass
class Endpoint:
    """A running server: its base `url`, and `stop()`."""

    url: str
    server: Any
    thread: threading.Thread
    socket: socket.socket
    stopped: bool = field(default=False)

    def stop(self) -> None:
        if self.stopped:
            return
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.socket.close()
        self.stopped = True

    def __repr__(self) -> str:
        state = "stopped" if self.stopped else "running"
        return f"<endpoint {self.url} ({state})>"


_CURRENT: list[Endpoint] = []


def stop_endpoint() -> None:
    """Stop the server this kernel started, if any."""
    while _CURRENT:
        _CURRENT.pop().stop()


def start_endpoint(app: Any) -> Endpoint | None:
    """Serve `app` on a free port of 127.0.0.1 and return once it accepts requests."""
    if sys.platform == "emscripten":
        print(IN_BROWSER)
        return None
    import uvicorn

    stop_endpoint()
    # proto=IPPROTO_TCP: asyncio then turns Nagle off on each connection (no 40 ms stalls)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))  # the system picks a free port: no clash, no race
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True,
                              name=f"course-endpoint-{port}")
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            listener.close()
            raise RuntimeError("The endpoint did not start; run the cell that defines `app` "
                               "first, then this one again.")
        time.sleep(0.01)
    endpoint = Endpoint(f"http://127.0.0.1:{port}", server, thread, listener)
    _CURRENT.append(endpoint)
    return endpoint


atexit.register(stop_endpoint)


def send_requests(url: str, customer_ids: list[int], count: int = 1000) -> list[float]:
    """Ask `url`/predict about `count` customers, one after another as customers would, and
    return each request's latency in milliseconds (measured by the client: network, server,
    model and JSON together)."""
    import httpx

    latencies = []
    with httpx.Client(base_url=url, timeout=5.0) as client:
        for customer_id in customer_ids[:count]:
            started = time.perf_counter()
            reply = client.get("/predict", params={"customer_id": customer_id})
            latencies.append((time.perf_counter() - started) * 1000)
            reply.raise_for_status()
    return latencies


def slowed(app: Any, seconds: float) -> Any:
    """`app` behind a delay: every HTTP request waits `seconds` before `app` sees it (an
    endpoint that is overloaded, or stuck on a slow feature store)."""
    import asyncio

    async def slow_app(scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") == "http":
            await asyncio.sleep(seconds)
        await app(scope, receive, send)

    return slow_app


def warm_up(url: str, customer_id: int, count: int = 20) -> None:
    """A few requests before measuring: connections, imports and caches get paid for here."""
    import httpx

    with httpx.Client(base_url=url, timeout=5.0) as client:
        for _ in range(count):
            client.get("/predict", params={"customer_id": customer_id})
