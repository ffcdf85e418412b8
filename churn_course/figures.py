"""Part 2's measuring helpers: time a call, draw latencies and staleness, show one table.

Only notebook 06's demonstration cells use these; grading never runs them.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import Any


def timed(func: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """(what `func(*args)` returned, wall-clock seconds it took)."""
    started = time.perf_counter()
    result = func(*args)
    return result, time.perf_counter() - started


def latency_figure(latencies_ms: list[float], marks: dict[str, float]) -> Any:
    """A histogram and a CDF of request latencies, with the percentiles in `marks` drawn."""
    import matplotlib.pyplot as plt

    fig, (hist, cdf) = plt.subplots(1, 2, figsize=(10, 3.4))
    ordered = sorted(latencies_ms)
    top = ordered[min(len(ordered) - 1, int(len(ordered) * 0.995))]
    hist.hist([v for v in ordered if v <= top], bins=40, color="#4c72b0")
    hist.set(title="Request latency (client side)", xlabel="milliseconds", ylabel="requests")
    cdf.plot(ordered, [(i + 1) / len(ordered) for i in range(len(ordered))], color="#4c72b0")
    cdf.set(title="Cumulative share of requests", xlabel="milliseconds",
            ylabel="share answered within", xlim=(0, top))
    for (name, value), colour in zip(marks.items(), ("#55a868", "#dd8452", "#c44e52"),
                                     strict=False):
        for axis in (hist, cdf):
            axis.axvline(value, color=colour, linestyle="--", label=f"{name} {value:.2f} ms")
    cdf.legend(loc="lower right")
    fig.tight_layout()
    plt.show()
    return None


def freshness_figure(shares: dict[float, float]) -> Any:
    """Share of wrong decisions against the table's refresh interval."""
    import matplotlib.pyplot as plt

    hours = sorted(shares)
    fig, axis = plt.subplots(figsize=(6.5, 3.4))
    axis.plot(hours, [100 * shares[h] for h in hours], marker="o", color="#c44e52")
    axis.set(title="Decisions a stored table gets wrong", xlabel="refresh every … hours",
             ylabel="% of decisions wrong vs live", xscale="log")
    axis.set_xticks(hours, [f"{h:g}" for h in hours])
    axis.set_ylim(bottom=0)
    fig.tight_layout()
    plt.show()
    return None


class Table:
    """A small table that shows as HTML in a notebook and as text elsewhere."""

    def __init__(self, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        self.header, self.rows = header, rows

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row)
                       + "</tr>" for row in self.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __repr__(self) -> str:
        widths = [max(len(str(x)) for x in col) for col in zip(self.header, *self.rows,
                                                                  strict=True)]
        lines = [" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
                 for row in (self.header, *self.rows)]
        lines.insert(1, "-+-".join("-" * w for w in widths))
        return "\n".join(lines)


def warm_median(func: Callable[..., Any], *args: Any, repeat: int = 5) -> float:
    """Seconds `func(*args)` takes, warm: one untimed call first (caches, first-use costs),
    then the median of `repeat` timed calls."""
    import statistics

    func(*args)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        func(*args)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def latency_words(latencies_ms: list[float], marks: dict[str, float]) -> str:
    """What the percentiles in `marks` (p50, p99) say about `latencies_ms`, computed."""
    mean = sum(latencies_ms) / len(latencies_ms)
    p50, p99 = marks["p50"], marks["p99"]
    slower = sum(v > p99 for v in latencies_ms)
    return (f"mean {mean:.2f} ms, p50 {p50:.2f} ms, p99 {p99:.2f} ms. {slower} of "
            f"{len(latencies_ms):,} requests took longer than p99, up to "
            f"{max(latencies_ms):.1f} ms: {p99 / p50:.1f}× the median. The mean "
            f"({mean:.2f} ms) says nothing about them.")
