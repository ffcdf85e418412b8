#!/usr/bin/env python3
"""The course in the browser: how big is the site, how long until a learner's kernel is ready
on a cold load, and how long does `check(3)` take there?

Serves the built JupyterLite site (``dist/lite``, from ``python3 tasks.py lite``) from
127.0.0.1 and opens step 3 in Debian's Chromium with every other host unresolvable, each run
in a fresh browser profile (empty cache, no service worker: a learner's first visit). Records:

* cold load to a ready kernel: from ``page.goto`` to the status bar's "Python (Pyodide) | Idle";
* cold load to the first verdict: the same, plus running the given cell, typing the two
  answers (Playwright's typing, a few hundred ms) and the check cell until "Step 3 passed";
* the first ``check(3)`` of the kernel, as the learner sees it: Shift+Enter on the check cell
  to the verdict on the page;
* ``check(3)`` inside the kernel (``time.perf_counter`` around the call, in Pyodide): the
  median of 20 further calls and the slowest; each call also saves the progress file to the
  browser's storage, as a learner's does;
* with ``--build``: the site's build time, warm (downloads cached) and cold (an empty cache in a
  scratch folder: npm pack + pip download + jupyter lite build, as on a fresh CI machine).

Prints a Markdown table and writes it, with the machine's details, to benchmarks/RESULTS-lite.md.

    .venv/bin/python benchmarks/lite_cold_load.py [--runs 3] [--build] [--no-write] [--site DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.lite.site import (  # noqa: E402  (after the path set-up above)
    SITE,
    SiteServer,
    launch_offline_chromium,
    new_context,
    open_lite_notebook,
    run_and_wait,
    set_cell_source,
    tagged_index,
)

NOTEBOOK = "03_predict_and_batch.ipynb"
ANSWER = "def predict(feature):\n    return feature > threshold"
BATCH = "batch_results = [predict(feature) for customer_id, feature in customers]"
TIMING = ("import time as _t, statistics as _s\n"
          "_more = []\n"
          "for _ in range(20):\n"
          "    _t0 = _t.perf_counter(); _r = check(3)\n"
          "    _more.append((_t.perf_counter() - _t0) * 1000)\n"
          "print(f'TIMING {_r.passed} {_s.median(_more):.1f} {max(_more):.1f}')")


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def one_cold_run(browser: object, server: SiteServer) -> dict[str, float]:
    context = new_context(browser)
    page = context.new_page()
    try:
        started = time.perf_counter()
        open_lite_notebook(page, server, NOTEBOOK)
        ready = time.perf_counter() - started
        run_and_wait(page, 1)
        first = tagged_index(NOTEBOOK, "answer")
        set_cell_source(page, first, ANSWER)
        run_and_wait(page, first)
        set_cell_source(page, first + 2, BATCH)
        run_and_wait(page, first + 2)
        clicked = time.perf_counter()
        shown = run_and_wait(page, tagged_index(NOTEBOOK, "check"))
        verdict = time.perf_counter() - started
        first_check = time.perf_counter() - clicked
        if "Step 3 passed" not in shown:
            raise SystemExit(f"the check did not pass in the browser: {shown[:300]}")
        set_cell_source(page, first, ANSWER + "\n" + TIMING)
        printed = run_and_wait(page, first)
        passed, median_ms, worst_ms = printed.split("TIMING ", 1)[1].split()[:3]
        if passed != "True":
            raise SystemExit("check(3) did not pass in the timing cell")
        if context.elsewhere:
            raise SystemExit(f"the page reached another host: {context.elsewhere[:3]}")
        return {"ready": ready, "verdict": verdict, "first_ms": first_check * 1000,
                "median_ms": float(median_ms), "worst_ms": float(worst_ms)}
    finally:
        context.close()


def build_times() -> tuple[float, float]:
    from site_builder.build import build_site

    with tempfile.TemporaryDirectory(prefix="lite-bench-") as scratch:
        started = time.perf_counter()
        build_site(ROOT, Path(scratch) / "site", Path(scratch) / "cache")
        cold = time.perf_counter() - started
        started = time.perf_counter()
        build_site(ROOT, Path(scratch) / "site", Path(scratch) / "cache")
        warm = time.perf_counter() - started
    return cold, warm


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="cold loads (default: 3)")
    parser.add_argument("--build", action="store_true",
                        help="also time a cold and a warm build of the site")
    parser.add_argument("--no-write", action="store_true", help="don't write RESULTS-lite.md")
    parser.add_argument("--site", type=Path, default=SITE,
                        help="the built site to load (default: %(default)s)")
    args = parser.parse_args()
    site = args.site
    if not (site / "jupyter-lite.json").exists():
        raise SystemExit(f"no site in {site}: run `python3 tasks.py lite` first")
    from playwright.sync_api import sync_playwright

    runs = []
    with SiteServer(site) as server, sync_playwright() as playwright:
        browser = launch_offline_chromium(playwright)
        try:
            for number in range(1, args.runs + 1):
                runs.append(one_cold_run(browser, server))
                print(f"run {number}: {runs[-1]}", flush=True)
        finally:
            browser.close()
    builds = build_times() if args.build else None

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    pyodide = _size(site / "static" / "pyodide")
    rows = [
        ("site size (`dist/lite`)", f"{_size(site) / 1e6:.1f} MB "
                                    f"(Pyodide and the kernel's wheels: {pyodide / 1e6:.1f} MB)"),
        ("cold load → kernel ready (median)", f"{med('ready'):.1f} s"),
        ("cold load → first `check(3)` verdict on screen (median)", f"{med('verdict'):.1f} s"),
        ("first `check(3)` of the kernel: Shift+Enter → verdict on screen (median)",
         f"{med('first_ms'):.0f} ms"),
        ("`check(3)` inside Pyodide, 20 calls: median (median over runs)",
         f"{med('median_ms'):.0f} ms"),
        ("`check(3)` inside Pyodide, 20 calls: slowest (worst run)",
         f"{max(r['worst_ms'] for r in runs):.0f} ms"),
    ]
    if builds:
        rows += [("`tasks.py lite` build, cold (empty download cache)", f"{builds[0]:.0f} s"),
                 ("`tasks.py lite` build, warm (downloads cached)", f"{builds[1]:.0f} s")]
    table = "\n".join(["| measure | value |", "|---|---|", *[f"| {a} | {b} |" for a, b in rows]])
    print(table)
    if not args.no_write:
        machine = (f"{platform.platform()}, {os.cpu_count()} CPUs, "
                   f"{shutil.which('chromium') or '/usr/bin/chromium'}; {args.runs} cold loads; "
                   f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
        (ROOT / "benchmarks" / "RESULTS-lite.md").write_text(
            f"# The course in the browser (benchmarks/lite_cold_load.py)\n\n{machine}\n\n"
            f"{table}\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
