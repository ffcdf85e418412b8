"""Faults of the machine are retried, never a learner's verdict, never stored; the set-up
deadline is not the learner's; no single notebook ends a class run."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import grader.batch.pool as pool_module
from grader.batch.lane import grade_jobs
from grader.batch.notebook import plan_notebook
from grader.batch.pool import WorkerPool
from grader.batch.protocol import LaneJob, Limits
from grader.spec import ALL_STEPS, unit

from .helpers import RIGHT, notebook_bytes

SLOW = ["import time\ntime.sleep(1.5)\nthreshold = 0.6"]


def _plan(answers: list[str]):
    return plan_notebook(notebook_bytes("2", answers), "2")


class OutsideKiller:
    """Plays this machine's out-of-memory killer: SIGKILLs workers from outside, `times` times
    (every one, for `times=None`), once each has started its learner code."""

    def __init__(self, pool: WorkerPool, times: int | None) -> None:
        self.pool, self.left, self.killed = pool, times, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        seen: set[int] = set()
        while not self._stop.is_set():
            for item in list(self.pool._running):
                worker = self._worker(item.slot)
                if item.ready is not None and worker and worker not in seen and self.left != 0:
                    seen.add(worker)
                    time.sleep(0.2)
                    try:
                        os.kill(worker, signal.SIGKILL)
                    except OSError:
                        continue
                    self.killed += 1
                    self.left = None if self.left is None else self.left - 1
            time.sleep(0.01)

    def _worker(self, slot: int) -> int:
        """The worker of a slot: its slot server's child, read from /proc (never 0)."""
        server = self.pool._server
        if server is None or slot >= len(server.slot_pids):
            return 0
        pid = server.slot_pids[slot]
        try:
            children = open(f"/proc/{pid}/task/{pid}/children").read().split()
        except OSError:
            return 0
        return int(children[0]) if children else 0

    def __enter__(self) -> OutsideKiller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def test_a_worker_killed_from_outside_is_graded_again():
    pool = WorkerPool(1, Limits(timeout=20))
    with OutsideKiller(pool, times=1) as killer:
        [outcome] = pool.run([("victim", _plan(SLOW))])
    assert killer.killed == 1
    assert outcome.status == "ok", outcome.message
    assert pool.faults == 0


def test_a_notebook_the_machine_keeps_killing_is_a_grader_problem_told_not_stored():
    step = next(s for s in ALL_STEPS if s.key == "2")
    emitted = []
    pool = WorkerPool(1, Limits(timeout=20))
    data = notebook_bytes("2", SLOW)
    import base64
    import hashlib

    jobs = [LaneJob(0, unit(step), hashlib.sha256(data).hexdigest(),
                    {"data": base64.b64encode(data).decode()})]
    with OutsideKiller(pool, times=None) as killer:
        grade_jobs(jobs, pool, lambda i, grade, warnings, again: emitted.append(
            (i, grade, again)))
    assert killer.killed == pool_module.RETRIES + 1
    [(index, grade, again)] = emitted
    assert again  # told for this run, never stored as these bytes' verdict
    assert grade.status == "error" and "the grader could not grade this notebook" in \
        grade.message and "not the learner's doing" in grade.message, grade.message


def test_the_set_up_deadline_is_not_the_learners(monkeypatch):
    """A set-up that misses its deadline is the grader's fault (retried, then told); learner
    code that takes its whole --timeout after a slow set-up is not cut short."""
    monkeypatch.setattr(pool_module, "SETUP_SECONDS", 0.0)
    pool = WorkerPool(1, Limits(timeout=20))
    [outcome] = pool.run([("slow set-up", _plan(RIGHT["2"]))])
    assert outcome.status == "fault" and "not ready within" in outcome.message
    monkeypatch.setattr(pool_module, "SETUP_SECONDS", 30.0)
    pool = WorkerPool(1, Limits(timeout=2.5))
    [outcome] = pool.run([("just in time", _plan(SLOW))])
    assert outcome.status == "ok", outcome.message


@pytest.mark.parametrize("code, status, words", [
    ("import os\nos.kill(os.getpid(), 11)", "error", "SIGSEGV"),
    ("import os\nos._exit(3)", "error", "exit status 3"),
    ("while True:\n    pass", "timeout", "still running after 1 seconds"),
])
def test_what_learner_code_does_to_itself_is_its_own_verdict(code, status, words):
    pool = WorkerPool(1, Limits(timeout=1))
    [outcome] = pool.run([("self", _plan([code]))])
    assert (outcome.status, pool.faults) == (status, 0)
    assert words in outcome.message
