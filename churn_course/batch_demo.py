"""Running the learner's batch job for real, honestly: a preview first, then the full run.

The preview runs the job on 1,000 customers into a scratch database beside the real one (so its
commits cost what the real ones will), a few times, and estimates the full run from the median.
The full run then writes the real table. If it runs far slower than the preview said, a
progress bar appears (rows written, counted by SQLite's trace hook) and the learner can stop it
with the notebook's Interrupt button: SQLite is asked to abort, and the demo says where it
stopped and why it was slow, instead of leaving the kernel silently busy.

Only notebook 06's demonstrations use this; grading never runs it.
"""

from __future__ import annotations

import signal
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PREVIEW_ROWS = 1000
PREVIEW_RUNS = 3
SLOW_PREVIEW = 0.5  # seconds: a preview this slow is run once, not `PREVIEW_RUNS` times
SLOWER = 3.0  # "far slower than the preview": this many times the estimate
BAR_AFTER = (0.5, 2.0)  # the progress bar appears after 3x the estimate, within these seconds


@dataclass
class Run:
    """What one run of the job did: rows written, commits, seconds, and whether it was stopped."""

    rows: int
    commits: int
    seconds: float
    stopped: bool = False
    error: str = ""


class _Counter:
    """Counts what the job asks SQLite to do, through the connection's trace hook."""

    def __init__(self) -> None:
        self.rows = 0
        self.commits = 0

    def __call__(self, statement: str) -> None:
        word = statement.lstrip()[:7].upper()
        if word.startswith(("INSERT", "REPLACE")):
            self.rows += 1
        elif word.startswith(("COMMIT", "END")):
            self.commits += 1


def _timed_run(job: Callable[..., Any], conn: sqlite3.Connection, customers: list,
               version: str) -> Run:
    counter = _Counter()
    conn.set_trace_callback(counter)
    started = time.perf_counter()
    try:
        job(conn, customers, version)
    finally:
        conn.set_trace_callback(None)
    return Run(counter.rows, counter.commits, time.perf_counter() - started)


@dataclass(frozen=True)
class Preview:
    """The job timed on the first `small` and the first `rows` customers (medians), and the
    commits its larger run made: enough to tell a fixed cost per run from a cost per row."""

    small: int
    small_seconds: float
    rows: int
    seconds: float
    commits: int
    runs: int = PREVIEW_RUNS

    @property
    def per_row(self) -> float:
        return max(0.0, (self.seconds - self.small_seconds) / (self.rows - self.small))

    @property
    def fixed(self) -> float:
        return max(0.0, self.seconds - self.per_row * self.rows)

    def estimate(self, total: int) -> tuple[float, float]:
        """(low, high) seconds for `total` rows. Low: the fixed part once and the per-row part
        `total` times; high: all of the preview's time growing with the rows. Close together
        when the rows dominate; far apart when the fixed part does (then a disk busy with
        other work can hide the per-row cost in a 1,000-row preview)."""
        linear = self.seconds * total / self.rows
        return min(max(self.fixed + self.per_row * total, self.seconds), linear), linear


def _median_run(job: Callable[..., Any], customers: list, scratch: Path, name: str,
                version: str, runs: int) -> tuple[float, Run]:
    timings, last = [], Run(0, 0, 0.0)
    for index in range(runs):
        conn = sqlite3.connect(scratch / f"{name}-{index}.sqlite")
        try:
            last = _timed_run(job, conn, customers, version)
        finally:
            conn.close()
        timings.append(last.seconds)
    return statistics.median(timings), last


def preview(job: Callable[..., Any], customers: list, folder: Path, version: str = "preview",
            rows: int | None = None, runs: int | None = None) -> Preview:
    """The job on the first `rows` customers and on a tenth of them, each run into a fresh
    scratch database in `folder` (removed afterwards), `runs` times."""
    rows, runs = rows or PREVIEW_ROWS, runs or PREVIEW_RUNS
    small = max(1, rows // 10)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".preview-") as scratch:
        first, last = _median_run(job, customers[:rows], Path(scratch), "first", version, 1)
        if first > SLOW_PREVIEW:  # a slow job: one run says enough, and repeats cost a lot
            runs = 1
        small_seconds, _ = _median_run(job, customers[:small], Path(scratch), "small", version,
                                       runs)
        seconds = first
        if runs > 1:
            seconds, last = _median_run(job, customers[:rows], Path(scratch), "preview",
                                        version, runs)
    return Preview(small, small_seconds, last.rows, seconds, last.commits, runs)


@contextmanager
def _stoppable(conn: sqlite3.Connection) -> Iterator[threading.Event]:
    """While the block runs, the notebook's Interrupt (SIGINT) asks SQLite to abort what it is
    doing (a Python loop in the job gets its KeyboardInterrupt as usual)."""
    stop = threading.Event()
    conn.set_progress_handler(lambda: 1 if stop.is_set() else 0, 1000)
    previous = None
    if threading.current_thread() is threading.main_thread():
        def interrupted(signum: int, frame: Any) -> None:
            stop.set()
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield stop
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        conn.set_progress_handler(None, 0)


def full_run(job: Callable[..., Any], conn: sqlite3.Connection, customers: list,
             version: str, estimate: float) -> Run:
    """Run the job on every customer into `conn`, with a progress bar if it runs far slower
    than `estimate` seconds; Interrupt stops it."""
    from tqdm.auto import tqdm

    delay = min(BAR_AFTER[1], max(BAR_AFTER[0], SLOWER * estimate))
    counter = _Counter()
    bar = tqdm(total=len(customers), unit="rows", delay=delay, desc="writing predictions",
               mininterval=0.25)

    def trace(statement: str) -> None:
        counter(statement)
        if counter.rows % 200 == 0:
            bar.update(counter.rows - bar.n)

    started = time.perf_counter()
    run = Run(0, 0, 0.0)
    with _stoppable(conn) as stop:
        conn.set_trace_callback(trace)
        try:
            job(conn, customers, version)
        except (KeyboardInterrupt, sqlite3.OperationalError) as err:
            if not stop.is_set() and not isinstance(err, KeyboardInterrupt):
                raise
            run.stopped, run.error = True, type(err).__name__
        finally:
            conn.set_trace_callback(None)
            bar.update(counter.rows - bar.n)
            bar.close()
    run.rows, run.commits = counter.rows, counter.commits
    run.seconds = time.perf_counter() - started
    return run


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 90:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def _per_row(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs" if seconds < 1e-3 else _duration(seconds)


def preview_words(found: Preview, total: int) -> tuple[tuple[float, float], str]:
    """((least, most) the full run should take, the sentences that say what to expect)."""
    low, high = found.estimate(total)
    words = (f"Preview: {found.rows:,} rows in {_duration(found.seconds)}, {found.small:,} rows "
             f"in {_duration(found.small_seconds)} ("
             f"{f'medians of {found.runs} runs' if found.runs > 1 else 'one run each'}): about "
             f"{_duration(found.fixed)} per run whatever its size, plus {_per_row(found.per_row)}"
             f" per row. ")
    words += f"So the full {total:,} rows should take {_expected(low, high)}"
    words += "." if high < 2 * low else (": most of the preview's time is what any run costs, "
                                         "which hides the cost of each row.")
    if found.commits > 1:
        words += (f" The preview committed {found.commits:,} times for {found.rows:,} rows: each "
                  "commit waits for the disk, and that is most of the time.")
    if low > 20:
        words += " The full run shows its progress; stop it with ■ (Interrupt) if you like."
    return (low, high), words


def _expected(low: float, high: float) -> str:
    if high < 2 * low:
        return f"about {_duration(low)}"
    return f"between {_duration(low)} and {_duration(high)}"


def run_words(run: Run, total: int, expected: tuple[float, float]) -> str:
    """What happened in the full run, from its own figures, against what the preview said."""
    if run.stopped:
        return (f"Stopped after {_duration(run.seconds)}: {run.rows:,} of {total:,} rows "
                f"written, {run.commits:,} commits. "
                + ("Each commit made its rows permanent, so the table now holds part of "
                   "tonight's run beside yesterday's: one transaction would have left "
                   "yesterday's table whole." if run.commits > 1 else
                   "Nothing was committed, so the table is as it was before the run."))
    words = f"Full run: {run.rows:,} rows in {_duration(run.seconds)}, {run.commits:,} commit" \
            f"{'s' if run.commits != 1 else ''}"
    most = expected[1]
    ratio = run.seconds / most if most > 0 else 1.0
    if ratio > SLOWER and run.seconds > BAR_AFTER[0]:
        why = (f"{run.commits:,} commits, each waiting for the disk" if run.commits > 1 else
               "the job's cost grows faster than its rows (a query per row on a growing "
               "table?), or the machine was busy")
        return words + f": {ratio:.0f}× slower than the preview said ({why})."
    return words + f" (the preview said {_expected(*expected)})."


def tonight(job: Callable[..., Any], customers: list, path: str | Path,
            version: str) -> tuple[sqlite3.Connection, Run]:
    """The demonstration: preview, estimate, full run into `path`. Returns the open
    connection (the notebook keeps reading the table through it) and the full run."""
    path = Path(path)
    expected, words = preview_words(preview(job, customers, path.resolve().parent),
                                    len(customers))
    print(words, flush=True)
    conn = sqlite3.connect(path)
    run = full_run(job, conn, customers, version, expected[1])
    print(run_words(run, len(customers), expected))
    return conn, run


def job_seconds(job: Callable[..., Any], customers: list, folder: Path, full: Run,
                runs: int = 3) -> tuple[float, str]:
    """(seconds, how measured) for the whole job on every customer: the median of `runs` more
    runs into scratch tables when the full run was quick, else the full run's own time."""
    if full.stopped or full.seconds > 2.0:
        return full.seconds, "one run"
    with tempfile.TemporaryDirectory(dir=folder, prefix=".again-") as scratch:
        seconds, _ = _median_run(job, customers, Path(scratch), "again", "again", runs)
    return seconds, f"median of {runs} runs"


def three_ways(customers: list, predict: Callable[[float], Any],
               predict_vectorised: Callable[[Any], Any], job: Callable[..., Any],
               path: str | Path, full: Run) -> Any:
    """The same scores three ways, timed warm (medians), and what the figures say."""
    import numpy as np
    from IPython.display import display

    from .figures import Table, warm_median

    features = np.array([feature for _, feature in customers])
    as_list = features.tolist()
    loop = warm_median(lambda: [predict(f) for f in as_list], repeat=5)
    vectorised = warm_median(predict_vectorised, features, repeat=21)
    whole, how = job_seconds(job, customers, Path(path).resolve().parent, full)
    n = len(customers)
    display(Table((f"scoring {n:,} customers", "seconds", "rows per second", "measured"), [
        ("a Python loop calling predict", f"{loop:.2g}", f"{n / loop:,.0f}", "median of 5"),
        ("numpy, vectorised", f"{vectorised:.2g}", f"{n / vectorised:,.0f}", "median of 21"),
        ("the whole job: score, build rows, write the table", f"{whole:.2g}",
         f"{n / whole:,.0f}", how),
    ]))
    print(scoring_words(n, loop, vectorised, whole))
    return whole


def scoring_words(n: int, loop: float, vectorised: float, whole: float) -> str:
    """What the three timings say, in words that follow the figures."""
    share = min(loop / whole, 1.0) if whole > 0 else 0.0
    words = f"Calling `predict` {n:,} times takes {loop:.3f} s: {share:.0%} of the whole job " \
            f"({whole:.2f} s). "
    if share < 0.5:
        words += ("The rest is building the rows and SQLite writing them: here the table, not "
                  "the model, is what the batch job waits for. ")
    else:
        words += "Most of the job is the model itself. "
    return words + (f"numpy scores the same rows {loop / vectorised:,.0f}× faster than the "
                    "loop: scoring many rows in one call is a speed a model answering one "
                    "request at a time never gets.")
