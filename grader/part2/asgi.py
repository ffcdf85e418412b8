"""Calling a learner's FastAPI app in memory: no socket, and no thread where none may start.

FastAPI's `TestClient` drives the app through a thread portal. A grading worker may start no
threads (its process limit is zero), and a Jupyter kernel already runs an event loop in its
main thread, so one driver can't serve both. This one sends the same ASGI request through
httpx's `ASGITransport` either way: in a fresh event loop here when this thread has none (the
grading worker), in a short-lived thread when it has one (the kernel). The app's plain `def`
endpoints are run inline instead of in a thread pool while it answers, then that is restored.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from ..deadline import TimeUp, time_limit

REPLY_SECONDS = 2.0
MAX_BODY = 2000


async def _inline(func: Any, *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


@contextlib.contextmanager
def _no_thread_pool() -> Iterator[None]:
    """FastAPI runs plain `def` endpoints and dependencies with `run_in_threadpool`."""
    import fastapi.dependencies.utils as deps
    import fastapi.routing as routing

    saved = [(m, m.__dict__.get("run_in_threadpool")) for m in (routing, deps)]
    try:
        for module, _ in saved:
            module.run_in_threadpool = _inline
        yield
    finally:
        for module, original in saved:
            module.run_in_threadpool = original


async def _send(app: Any, path: str) -> dict:
    import httpx

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://course.test") as client:
        reply = await client.get(path)
    return {"status": reply.status_code,
            "content_type": reply.headers.get("content-type", "")[:100],
            "body": reply.content[:MAX_BODY].decode("utf-8", "replace")}


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _in_thread(app: Any, path: str) -> dict:
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["reply"] = asyncio.run(_send(app, path))
        except BaseException as err:  # the learner's app, not ours
            box["error"] = err

    worker = threading.Thread(target=run, daemon=True, name="course-asgi-probe")
    worker.start()
    worker.join(REPLY_SECONDS)
    if worker.is_alive():
        raise TimeUp
    if "error" in box:
        raise box["error"]
    return box["reply"]


def get(app: Any, path: str) -> dict:
    """GET `path` from `app`; {"status", "content_type", "body"}. Raises what the app raised
    outside a reply, or `TimeUp` after `REPLY_SECONDS`."""
    with _no_thread_pool():
        if _loop_running():
            return _in_thread(app, path)
        with time_limit(REPLY_SECONDS):
            return asyncio.run(_send(app, path))
