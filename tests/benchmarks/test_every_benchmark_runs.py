"""Every script in benchmarks/ runs, at its smallest sizes, so none rots unnoticed. No figure is
asserted (tests never time): only that the script finishes, prints its table, and leaves
RESULTS-*.md and benchmarks/work/ as they were."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.lab import NO_CHROMIUM, find_chromium

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
NO_BROWSER = pytest.mark.skipif(find_chromium() is None, reason=NO_CHROMIUM)
# The smallest run of each script, and what marks it needs.
SMOKE = {
    "inline_check.py": (["--repeat", "1"], []),
    "part2_figures.py": (["--repeat", "1"], []),
    "part2_time.py": ([], []),  # counting, plus one run of the solution (its machine time)
    "grading.py": (["--learners", "1", "--subset", "1", "--overhead", "1", "--jobs", "1",
                    "--skip-nbgrader", "--no-write"], []),
    "cluster.py": (["--learners", "1", "--repeat", "1", "--workers", "1", "--no-write"], []),
    "sandbox_overhead.py": (["--notebooks", "2", "--rounds", "1", "--no-write"], []),
    "scale.py": (["--small", "4", "--large", "8", "--reruns", "1", "--no-write"], []),
    "browser_latency.py": (["--moves", "1", "--warmup", "0", "--no-write"],
                           [pytest.mark.browser, NO_BROWSER]),
    # Its counting takes no time; the walk through JupyterLab is what could rot.
    "part1_time.py": (["--browser"], [pytest.mark.browser, NO_BROWSER]),
    "lite_cold_load.py": (["--runs", "1", "--no-write", "--site", "{lite_site}"],
                          [pytest.mark.browser, NO_BROWSER]),
}
HELPERS = {"common.py"}  # imported by the benchmarks, not run


def test_every_benchmark_has_a_smoke_run() -> None:
    scripts = {path.name for path in BENCHMARKS.glob("*.py")} - HELPERS
    assert scripts == set(SMOKE)


def _untouched() -> dict[str, bytes]:
    results = {path.name: path.read_bytes() for path in BENCHMARKS.glob("RESULTS-*.md")}
    work = BENCHMARKS / "work"
    listing = sorted(str(p.relative_to(work)) for p in work.rglob("*")) if work.exists() else []
    return {**results, "work/": "\n".join(listing).encode()}


@pytest.mark.parametrize("script", [pytest.param(name, marks=marks, id=name.removesuffix(".py"))
                                    for name, (_, marks) in SMOKE.items()])
def test_the_benchmark_runs_at_its_smallest(script: str, tmp_path: Path) -> None:
    args = SMOKE[script][0]
    if "{lite_site}" in args:
        from tests.lite.site import built_test_site

        args = [a.replace("{lite_site}", str(built_test_site())) for a in args]
    before = _untouched()
    env = {**os.environ, "COURSE_BENCHMARK_WORK": str(tmp_path / "work")}
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "Traceback" not in done.stderr
    assert "|---" in done.stdout, done.stdout[-2000:]  # its table
    assert _untouched() == before, "RESULTS-*.md or benchmarks/work/ changed"
