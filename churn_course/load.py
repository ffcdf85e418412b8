"""Latency under load: the learner's endpoint, with a few milliseconds of model time, asked by
1, 8 and 32 clients at once.

The clients run in a separate process (`python -m churn_course.load`), so they don't compete
with the server for the kernel's interpreter lock: what is measured is the server. Each client
sends its requests one after another, as a person or a service waiting for each answer would;
the latency of each request is measured where the client sees it. The server's throughput is
the requests it answered per second of the whole run, at that number of clients.

Only notebook 06's demonstrations use this; grading never runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

LEVELS = (1, 8, 32)
REQUESTS = {1: 100, 8: 160, 32: 320}  # under a second of work each, at a few ms per request
WARM_UP = 2  # requests per client before the clock starts (connections, first-use costs)


@dataclass(frozen=True)
class Level:
    """One measured level: `clients` at once, each request's latency, the run's seconds."""

    clients: int
    latencies_ms: list[float]
    seconds: float

    @property
    def throughput(self) -> float:
        """Server throughput: requests answered per second of the run, at this load."""
        return len(self.latencies_ms) / self.seconds if self.seconds > 0 else 0.0

    @property
    def mean_ms(self) -> float:
        return sum(self.latencies_ms) / len(self.latencies_ms)


@contextmanager
def model_time(namespace: dict, ms: float = 3.0) -> Iterator[None]:
    """Make the notebook's `predict` a model that takes `ms` milliseconds per call, one call at
    a time (one model replica: a request waits while another is being scored), then put the
    plain `predict` back. The wait is a sleep, so the figures don't depend on what else the
    machine is busy with."""
    model = namespace["predict"]
    replica = threading.Lock()

    def predict_with_model_time(feature: Any) -> Any:
        with replica:
            time.sleep(ms / 1000)
            return model(feature)

    namespace["predict"] = predict_with_model_time
    try:
        yield
    finally:
        namespace["predict"] = model


async def _client(client: Any, ids: list[int], latencies: list[float]) -> None:
    for customer_id in ids:
        started = time.perf_counter()
        reply = await client.get("/predict", params={"customer_id": customer_id})
        latencies.append((time.perf_counter() - started) * 1000)
        reply.raise_for_status()


async def _level(url: str, ids: list[int], clients: int, requests: int) -> dict:
    import httpx

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30.0) as client:
        warm: list[float] = []
        await asyncio.gather(*(_client(client, ids[:WARM_UP], warm) for _ in range(clients)))
        per = max(1, requests // clients)
        share = [[ids[(i * per + k) % len(ids)] for k in range(per)] for i in range(clients)]
        latencies: list[list[float]] = [[] for _ in range(clients)]
        started = time.perf_counter()
        await asyncio.gather(*(_client(client, share[i], latencies[i]) for i in range(clients)))
        seconds = time.perf_counter() - started
    return {"clients": clients, "latencies_ms": [v for part in latencies for v in part],
            "seconds": seconds}


def measure(url: str, ids: list[int], levels: tuple[int, ...] = LEVELS,
            requests: dict[int, int] | None = None) -> list[Level]:
    """Run the load in a separate process; one `Level` per number of clients."""
    requests = requests or REQUESTS
    job = {"url": url, "ids": ids[:2000], "levels": [[c, requests.get(c, 100)] for c in levels]}
    done = subprocess.run([sys.executable, "-m", "churn_course.load"], input=json.dumps(job),
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"The load generator stopped: {last}")
    return [Level(d["clients"], d["latencies_ms"], d["seconds"]) for d in json.loads(done.stdout)]


def capacity_figure(levels: list[Level], percentile: Callable[[list[float], float], float],
                    budget_ms: float) -> None:
    """Mean, p50 and p99 latency against the number of clients, with the budget drawn."""
    import matplotlib.pyplot as plt

    clients = [lv.clients for lv in levels]
    fig, axis = plt.subplots(figsize=(6.5, 3.4))
    for name, values, colour in (
            ("mean", [lv.mean_ms for lv in levels], "#4c72b0"),
            ("p50", [percentile(lv.latencies_ms, 50) for lv in levels], "#55a868"),
            ("p99", [percentile(lv.latencies_ms, 99) for lv in levels], "#c44e52")):
        axis.plot(clients, values, marker="o", label=name, color=colour)
    axis.axhline(budget_ms, color="#333333", linestyle="--", label=f"budget {budget_ms:g} ms")
    axis.set(title="Latency as more clients ask at once", xlabel="concurrent clients",
             ylabel="milliseconds (log scale)", xscale="log", yscale="log")
    axis.set_xticks(clients, [str(c) for c in clients])
    axis.legend(loc="upper left")
    fig.tight_layout()
    plt.show()


def _main() -> int:
    parser = argparse.ArgumentParser(description="Send an endpoint concurrent requests; the "
                                     "job (url, ids, levels) comes as JSON on stdin.")
    parser.parse_args()
    job = json.load(sys.stdin)
    out = [asyncio.run(_level(job["url"], job["ids"], clients, requests))
           for clients, requests in job["levels"]]
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())


def show_load(levels: list[Level], percentile: Callable[[list[float], float], float],
              capacity: Callable[[dict, float], Any], budget_ms: float) -> Any:
    """The measured levels as a table and a figure, then what they say, in words computed
    from them with the learner's own `percentile` and `capacity`. Returns the capacity."""
    from IPython.display import display

    from .figures import Table

    p99 = {lv.clients: percentile(lv.latencies_ms, 99) for lv in levels}
    display(Table(("concurrent clients", "requests", "mean", "p50", "p99",
                   f"p99 within {budget_ms:g} ms?", "server throughput"), [
        (lv.clients, len(lv.latencies_ms), f"{lv.mean_ms:.1f} ms",
         f"{percentile(lv.latencies_ms, 50):.1f} ms", f"{p99[lv.clients]:.1f} ms",
         "yes" if p99[lv.clients] <= budget_ms else "no", f"{lv.throughput:,.0f} requests/s")
        for lv in levels]))
    capacity_figure(levels, percentile, budget_ms)
    most = capacity({lv.clients: lv.latencies_ms for lv in levels}, budget_ms)
    by_mean = max((lv.clients for lv in levels if lv.mean_ms <= budget_ms), default=0)
    busiest = max(levels, key=lambda lv: lv.clients)
    if most:
        words = (f"Within the {budget_ms:g} ms budget for p99 (your `capacity`): {most} "
                 f"concurrent client{'s' if most != 1 else ''}. ")
    else:
        words = (f"No number of clients kept p99 within the {budget_ms:g} ms budget here (your "
                 "`capacity` says 0): even one client's slowest requests wait too long (is the "
                 "machine busy with other work?). ")
    if by_mean > most:
        words += (f"Judged by the mean, {by_mean} would look fine, yet one request in a hundred "
                  f"would wait longer than promised: the tail, not the mean, decides how many "
                  "callers a server can take. ")
    top = max(lv.throughput for lv in levels)
    words += (f"The server's throughput tops out near {top:,.0f} requests/s; at "
              f"{busiest.clients} clients it answers {busiest.throughput:,.0f} requests/s while "
              f"p99 is {p99[busiest.clients]:.0f} ms: once the model is busy, more clients only "
              "queue longer. That throughput is the server's, measured with many clients at "
              "once; one client waiting for each answer sees the latency, not this number.")
    print(words)
    return most
