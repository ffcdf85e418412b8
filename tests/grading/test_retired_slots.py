"""A slot whose processes outlive SIGKILL is retired. When every slot is, the notebooks left are
each a grader problem for that notebook (told, never stored), never dropped, and the run never
loops without progress. Planted: the slot's cgroup that never empties."""

from __future__ import annotations

import base64
import hashlib
import threading

import pytest

from grader.batch.lane import grade_jobs
from grader.batch.notebook import plan_notebook
from grader.batch.pool import WorkerPool
from grader.batch.protocol import LaneJob, Limits
from grader.spec import ALL_STEPS, unit

from .helpers import RIGHT, notebook_bytes
from .test_faults import SLOW, OutsideKiller

RETIRED = "every grading slot was retired"


def _stuck_pool(jobs: int = 1) -> WorkerPool:
    """A pool whose slots never empty (a worker that outlived SIGKILL): each is retired after
    its first notebook."""
    pool = WorkerPool(jobs, Limits(timeout=20))
    pool.start()
    if pool._cgroups is None:
        pool.stop()
        pytest.skip("needs a memory cgroup per slot (root, or a delegated cgroup v2): "
                    f"{pool.warnings}")
    real = pool._cgroups.empty
    # a slot emptied after its worker (`but`: its server) never is; the pool's own clean-up is
    pool._cgroups.empty = (  # type: ignore[method-assign]
        lambda slot, seconds=2.0, but=0: real(slot, seconds, but) and not but)
    return pool


def _run_guarded(pool: WorkerPool, plans: list) -> list:
    """pool.run to the end, in a thread: a run that loops without progress fails the test
    instead of hanging it."""
    got: list = []
    thread = threading.Thread(target=lambda: got.extend(pool.run(plans)), daemon=True)
    thread.start()
    thread.join(300)
    if thread.is_alive():
        pool._retired.clear()  # let it go on, so the thread ends with the test
        pytest.fail("the pool looped without progress once every slot was retired")
    return got


def test_no_notebook_is_dropped_when_every_slot_is_retired():
    pool = _stuck_pool(2)
    plans = [(f"nb{i}", plan_notebook(notebook_bytes("2", RIGHT["2"]), "2")) for i in range(5)]
    outcomes = {o.key: o for o in _run_guarded(pool, plans)}
    assert sorted(outcomes) == [key for key, _ in plans]
    graded = [o for o in outcomes.values() if o.status == "ok"]
    told = [o for o in outcomes.values() if o.status == "fault"]
    assert len(graded) == 2 and len(told) == 3 and pool.faults == 3  # one per slot, then none
    for outcome in told:
        assert outcome.message == ("the grader could not grade this notebook: every grading "
                                   "slot was retired (processes of earlier workers could not "
                                   "be stopped); this is not the learner's doing, and the next "
                                   "run grades it again"), outcome.message
    assert any("that slot was not used again" in p for p in pool.problems)


def test_a_retry_queued_when_the_last_slot_retires_is_told_not_spun_on():
    pool = _stuck_pool(1)
    plans = [("victim", plan_notebook(notebook_bytes("2", SLOW), "2"))]
    with OutsideKiller(pool, times=1):
        [outcome] = _run_guarded(pool, plans)
    assert outcome.status == "fault" and RETIRED in outcome.message and "(1 tries)" in \
        outcome.message, outcome.message


def test_the_lane_tells_them_as_grader_problems_and_stores_none():
    step = next(s for s in ALL_STEPS if s.key == "2")
    data = [notebook_bytes("2", RIGHT["2"]), notebook_bytes("2", ["threshold = 0.5"])]
    jobs = [LaneJob(i, unit(step), hashlib.sha256(d).hexdigest(),
                    {"data": base64.b64encode(d).decode()}) for i, d in enumerate(data)]
    emitted: dict[int, tuple] = {}
    grade_jobs(jobs, _stuck_pool(1), lambda i, grade, warnings, again: emitted.update(
        {i: (grade, again)}))
    assert sorted(emitted) == [0, 1]
    (first, first_again), (second, again) = emitted[0], emitted[1]
    assert not first_again and first.status == "ok"
    assert again and second.status == "error" and RETIRED in second.message, second.message
