#!/usr/bin/env python3
"""How long does a learner wait, in a real browser, between moving the serving panel's slider
and seeing the new prediction?

Starts JupyterLab from the project's .venv (the same way the browser tests do, see
tests/browser/lab.py), opens the solved step 4 notebook in Debian's Chromium, runs all cells,
puts the slider on 0.60 and then presses ArrowRight / ArrowLeft in turn: 0.60 → 0.61 → 0.60 …
so every key press flips the badge between "Stays" and "Churn" (an observable change each
time). For each press it records:

* in the page: from the key's ``keydown`` event to the MutationObserver seeing the badge's new
  text (``performance.now()`` clock; this is what the learner sees, minus painting);
* in Python: from sending the key press to Playwright seeing the new badge text (adds the
  Playwright round trips; an upper bound);
* the panel's own "Time inside predict" line: the time inside the learner's ``predict`` alone.

Prints a Markdown table and writes it, with the machine's details, to
benchmarks/RESULTS-browser.md.

``--compare-nodelay`` measures a second time with one server tweak: TCP_NODELAY on the kernel
websocket (Jupyter Server leaves Nagle's algorithm on there, so after the first small message
of a reply the next ones can wait for the browser's delayed ACK, ~40 ms on Linux).

    .venv/bin/python benchmarks/browser_latency.py [--moves 50] [--warmup 5]
                                                   [--compare-nodelay] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser.lab import (  # noqa: E402  (after the path set-up above)
    BADGE,
    SLIDER_HANDLE,
    LabServer,
    close_page,
    find_chromium,
    launch_chromium,
    move_slider_to,
    new_page,
    open_serving_panel,
    slider_readout,
)

from churn_course.panel_view import LogEntry  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS-browser.md"
TARGET_MEDIAN_MS = 100.0


def badge_for(feature: float, prediction: bool) -> str:
    """The badge a slider request shows, in the panel's own words (so a change of wording
    can't leave this waiting for a badge that never comes)."""
    return LogEntry(time="", source="slider", customer_id=None, feature=feature,
                    prediction=prediction, latency_ms=0.0).badge_text


STAYS = badge_for(0.60, False)
CHURN = badge_for(0.61, True)

# Installed once in the page: the time of each key press on the slider handle, and the time
# of each change to the badge's text, both on the page's performance.now() clock.
INSTRUMENT = """
([badgeSelector, handleSelector]) => {
    const badge = document.querySelector(badgeSelector);
    const handle = document.querySelector(handleSelector);
    window.__latency = {keydown: null, changes: []};
    handle.addEventListener('keydown', () => {
        window.__latency.keydown = performance.now();
        window.__latency.changes = [];
    }, true);
    new MutationObserver(() => {
        window.__latency.changes.push({t: performance.now(), text: badge.textContent});
    }).observe(badge, {childList: true, characterData: true, subtree: true});
}
"""
BADGE_SAYS = "([selector, text]) => document.querySelector(selector).textContent === text"
READ = """
(text) => {
    const record = window.__latency;
    const hit = record.changes.find(c => c.text === text);
    return hit && record.keydown !== null ? hit.t - record.keydown : null;
}
"""
LATENCY_TEXT = re.compile(r"^Time inside predict: (<)?(\d+(?:\.\d+)?) (ms|s)$")
# A jupyter_server_config.py for the comparison: Nagle off on every kernel websocket.
NODELAY_CONFIG = """
from jupyter_server.services.kernels.websocket import KernelWebsocketHandler

_open = KernelWebsocketHandler.open


async def _open_without_nagle(self, *args, **kwargs):
    self.set_nodelay(True)
    return await _open(self, *args, **kwargs)


KernelWebsocketHandler.open = _open_without_nagle
"""


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1), the convention of benchmarks/inline_check.py."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def panel_latency_ms(text: str) -> float | None:
    match = LATENCY_TEXT.match(text.strip())
    if not match:
        return None
    value = float(match.group(2))
    return value * 1000 if match.group(3) == "s" else value


def measure(moves: int, warmup: int, server_config: str = "") -> dict:
    from playwright.sync_api import sync_playwright

    chromium_path = find_chromium()
    if chromium_path is None:
        raise SystemExit("Chromium not found: apt-get install -y chromium")
    in_page: list[float] = []
    python_side: list[float] = []
    predict_ms: list[float] = []
    started = time.perf_counter()
    with LabServer(server_config) as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright, chromium_path)
        try:
            page = new_page(browser)
            open_serving_panel(page, server)
            move_slider_to(page, 0.60)
            page.evaluate(INSTRUMENT, [BADGE, SLIDER_HANDLE])
            handle = page.locator(SLIDER_HANDLE)
            handle.focus()
            setup_s = time.perf_counter() - started
            for move in range(warmup + moves):
                at_threshold = slider_readout(page) == 0.60
                key, expected = ("ArrowRight", CHURN) if at_threshold else ("ArrowLeft", STAYS)
                t0 = time.perf_counter()
                page.keyboard.press(key)  # the handle has the focus
                page.wait_for_function(BADGE_SAYS, arg=[BADGE, expected], timeout=60_000)
                t1 = time.perf_counter()
                measured = page.evaluate(READ, expected)
                if measured is None:
                    raise RuntimeError(f"move {move}: the badge change was not observed")
                if move < warmup:
                    continue
                in_page.append(measured)
                python_side.append((t1 - t0) * 1000)
                inside = panel_latency_ms(page.locator(".serving-latency").text_content() or "")
                if inside is not None:
                    predict_ms.append(inside)
            versions = {"Chromium": browser.version}
            close_page(page)
        finally:
            browser.close()
    return {
        "in_page": in_page,
        "python_side": python_side,
        "predict_ms": predict_ms,
        "setup_s": setup_s,
        "versions": versions,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return "unknown"


def machine_info(versions: dict[str, str]) -> list[tuple[str, str]]:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return [
        ("CPU", f"{_cpu_model()}, {os.cpu_count()} cores"),
        ("memory", _memory_gib()),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("load average (1, 5, 15 min) after the run", load),
        ("Python", platform.python_version()),
        ("Chromium", versions.get("Chromium", "?")),
        ("Playwright", version("playwright")),
        ("JupyterLab", version("jupyterlab")),
        ("ipywidgets", version("ipywidgets")),
        ("ipykernel", version("ipykernel")),
    ]


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 1 else f"{value:.1f}"


def row(label: str, values: list[float]) -> str:
    return (f"| {label} | {len(values)} | {_ms(statistics.median(values))} | "
            f"{_ms(percentile(values, 0.95))} | {_ms(min(values))} | {_ms(max(values))} |")


def report(result: dict, moves: int, warmup: int, nodelay: dict | None = None) -> str:
    in_page, python_side = result["in_page"], result["python_side"]
    median = statistics.median(in_page)
    verdict = "met" if median < TARGET_MEDIAN_MS else "NOT met"
    lines = [
        "| measure | moves | median (ms) | p95 (ms) | min (ms) | max (ms) |",
        "|---|---|---|---|---|---|",
        row("key press → badge shows the new prediction (in the page)", in_page),
        row("key press → new badge text seen by Playwright (Python side)", python_side),
    ]
    if result["predict_ms"]:
        lines.append(row("inside `predict` alone (the panel's own 'Time inside predict' line)",
                         result["predict_ms"]))
    if nodelay is not None:
        lines.append(row("key press → badge, in the page, *TCP_NODELAY on the kernel "
                         "websocket* (comparison)", nodelay["in_page"]))
    lines += [
        "",
        f"Target: median under {TARGET_MEDIAN_MS:.0f} ms (in the page, stock JupyterLab): "
        f"**{verdict}** ({_ms(median)} ms). {moves} moves after {warmup} warm-up moves, "
        "alternating 0.60 ↔ 0.61 so every move flips the badge (Stays ↔ Churn). Set-up "
        f"(JupyterLab, Chromium, kernel, Run All): {result['setup_s']:.1f} s, not included.",
    ]
    if nodelay is not None:
        saved = median - statistics.median(nodelay["in_page"])
        lines += [
            "",
            "Comparison: the same run against a server whose kernel websockets have Nagle's "
            f"algorithm off (`set_nodelay(True)`) is {_ms(saved)} ms faster at the median: "
            "that much of the stock figure is TCP holding small frames back (Nagle waiting for "
            "a delayed ACK), not Python, the kernel or the browser.",
        ]
    return "\n".join(lines)


def write_results(table: str, info: list[tuple[str, str]], moves: int, warmup: int,
                  flags: str = "") -> None:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join([
        "# Browser latency of the live serving panel",
        "",
        f"`benchmarks/browser_latency.py --moves {moves} --warmup {warmup}{flags}`, {when}.",
        "",
        "What a learner waits for in JupyterLab: one arrow key on the step 4 panel's slider, "
        "one request to their `predict` through the kernel (ipywidgets comm messages over the "
        "websocket), and the badge's new text. Measured in headless Debian Chromium driven by "
        "Playwright, JupyterLab from the project's `.venv`, the solved step 4 notebook.",
        "",
        table,
        "",
        "How it is measured: a capturing `keydown` listener on the slider handle and a "
        "`MutationObserver` on the badge, both on the page's `performance.now()` clock (the "
        "first row); painting the new text adds at most a frame. The second row times the "
        "same moves from Python, Playwright's round trips included. Percentiles are "
        "nearest-rank. The machine may have been shared with other work; the load average "
        "below says how busy it was.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in info),
        "",
    ])
    RESULTS.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--moves", type=int, default=50, help="measured slider moves")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured moves first")
    parser.add_argument("--compare-nodelay", action="store_true",
                        help="measure again with TCP_NODELAY on the kernel websocket")
    parser.add_argument("--no-write", action="store_true",
                        help=f"print only; don't write {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    if args.moves < 1 or args.warmup < 0:
        parser.error("--moves must be at least 1 and --warmup at least 0")
    result = measure(args.moves, args.warmup)
    nodelay = measure(args.moves, args.warmup, NODELAY_CONFIG) if args.compare_nodelay else None
    table = report(result, args.moves, args.warmup, nodelay)
    print(table)
    if not args.no_write:
        flags = " --compare-nodelay" if args.compare_nodelay else ""
        write_results(table, machine_info(result["versions"]), args.moves, args.warmup, flags)
        print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
