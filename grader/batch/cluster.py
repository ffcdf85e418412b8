"""Grading beyond one machine: Dask distributed as another executor for the same plans.

The coordinator (the instructor's `grade`) plans, de-duplicates, judges and stores, exactly as
for a local run; only the running of plans moves. Plans go out in chunks, one Dask task each.
On a worker host a task grades its chunk in that host's own sandboxed fork-server pool
(`WorkerPool`, the same isolation and the same per-notebook deadline as a local run: Dask has
no per-task timeout, so the deadline stays inside the task) and returns one JSON text; the
coordinator parses it as data and nothing else crosses back.

A worker that dies mid-chunk loses that chunk's work, not its notebooks: Dask runs the task
again elsewhere (and when Dask gives up on it, this module submits it once more), and an
outcome is taken only the first time a notebook's comes back, so none is lost or counted twice.

`local:N` starts a `LocalCluster` of N worker processes on this machine (handy to try the path,
and what the tests use); `tcp://HOST:8786` joins a running scheduler, e.g. one started by
dask-jobqueue on SLURM or by dask-kubernetes. Dask is an optional extra (`pip install
.[cluster]`): nothing here is imported by a local run.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import multiprocessing
import os
import re
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from .notebook import Plan
from .pool import GraderFailure, Outcome, WorkerPool
from .sandbox import Limits

CHUNK = 8  # notebooks per Dask task: enough to amortise a task, few enough to spread well
RESUBMITS = 2  # after Dask's own retries (distributed.scheduler.allowed-failures)
STATUSES = ("ok", "timeout", "error")
DAEMON = ("this Dask worker runs as a daemon process, which may not start the sandboxed "
          "grading workers: start Dask workers with DASK_DISTRIBUTED__WORKER__DAEMON=False")
# One fork-server pool at a time per worker process: its sandbox user ids are per slot.
_ONE_POOL = threading.Lock()


class ClusterError(Exception):
    """The cluster can't be used (Dask missing, no scheduler there): one line for the user."""


@functools.lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    from .gradebook import grader_fingerprint

    return grader_fingerprint()


def grade_chunk(items: list[tuple[int, Plan]], jobs: int | None, limits: dict) -> str:
    """Runs on a Dask worker: grade a chunk in this host's sandboxed pool; answer in JSON."""
    if multiprocessing.current_process().daemon:
        return json.dumps({"grader_error": DAEMON})
    if jobs is None:
        try:
            from distributed import get_worker

            jobs = get_worker().state.nthreads
        except (ImportError, ValueError, AttributeError):
            jobs = os.cpu_count() or 1
    outcomes = []
    with _ONE_POOL:
        try:
            for outcome in WorkerPool(jobs, Limits(**limits)).run(items):
                outcomes.append({"key": outcome.key, "status": outcome.status,
                                 "seconds": outcome.seconds, "reply": outcome.reply,
                                 "message": outcome.message})
        except GraderFailure as err:
            return json.dumps({"grader_error": f"on {socket.gethostname()}: {err}"})
    return json.dumps({"host": socket.gethostname(), "grader": _code_fingerprint(),
                       "outcomes": outcomes})


def _outcome(item: Any, keys: dict[int, Any]) -> tuple[int, Outcome] | None:
    """One outcome from a worker's JSON, checked for shape (the reply itself is judged later,
    as for a local run)."""
    if not isinstance(item, dict):
        return None
    index, status, seconds = item.get("key"), item.get("status"), item.get("seconds")
    reply, message = item.get("reply"), item.get("message", "")
    if (not isinstance(index, int) or index not in keys or status not in STATUSES
            or not isinstance(seconds, (int, float)) or not isinstance(message, str)
            or not (reply is None or isinstance(reply, dict))):
        return None
    return index, Outcome(keys[index], status, float(seconds), reply, message)


LOCAL = re.compile(r"^local:(\d+)$")


class ClusterPool:
    """Grade plans on Dask workers; the same `run(plans)` as the local `WorkerPool`."""

    def __init__(self, address: str, jobs: int | None = None, limits: Limits | None = None,
                 chunk: int | None = None) -> None:
        self.address = address
        self.jobs = jobs
        self.limits = limits or Limits()
        self.chunk = chunk  # None: enough to keep a worker host's whole pool busy
        self.hosts: set[str] = set()  # the worker hosts that answered, for the summary

    @contextlib.contextmanager
    def _client(self) -> Iterator[Any]:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError as err:
            raise ClusterError("--cluster needs Dask distributed, an optional extra: pip "
                               "install '.[cluster]' (or: pip install distributed)") from err
        local = LOCAL.match(self.address)
        if local is None and not re.match(r"^(tcp|tls|inproc|ucx)://", self.address):
            raise ClusterError(f"--cluster {self.address!r}: give a Dask scheduler address "
                               "such as tcp://scheduler:8786, or local:N")
        scratch = tempfile.mkdtemp(prefix="course-grading-dask-")
        cluster = None
        try:
            if local:
                workers = int(local.group(1))
                if workers < 1:
                    raise ClusterError("--cluster local:N needs N of 1 or more")
                # the grading pool forks workers of its own: Dask workers must not be daemons
                with dask.config.set({"distributed.worker.daemon": False,
                                      "temporary-directory": scratch}):
                    cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                           processes=True, dashboard_address=None,
                                           local_directory=scratch,
                                           silence_logs=logging.ERROR)
                client = Client(cluster)
            else:
                try:
                    client = Client(self.address, timeout=20)
                except OSError as err:
                    raise ClusterError(f"can't reach the Dask scheduler at {self.address}: "
                                       f"{err}") from err
            try:
                yield client
            finally:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()
            shutil.rmtree(scratch, ignore_errors=True)

    def _chunk_size(self, client: Any) -> int:
        """Twice the notebooks a worker's pool grades at once, so no slot waits on the next
        chunk; at least CHUNK, so a task is worth its round trip."""
        try:
            threads = [w.get("nthreads", 1)
                       for w in client.scheduler_info()["workers"].values()]
        except (KeyError, AttributeError, OSError):
            threads = []
        return max(CHUNK, 2 * (self.jobs or max(threads, default=1)))

    def run(self, plans: Iterable[tuple[Any, Plan]]) -> Iterator[Outcome]:
        """Yield one Outcome per (key, plan), in the order chunks finish."""
        from distributed import as_completed
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        listed = list(plans)
        if not listed:
            return
        keys = {index: key for index, (key, _plan) in enumerate(listed)}
        pending = set(keys)
        expected = _code_fingerprint()
        limits = self.limits.to_dict()
        with self._client() as client:
            size = self.chunk or self._chunk_size(client)
            chunks = [[(i, plan) for i, (_key, plan) in enumerate(listed)][at:at + size]
                      for at in range(0, len(listed), size)]
            futures = {client.submit(grade_chunk, items, self.jobs, limits, pure=False): (n, 0)
                       for n, items in enumerate(chunks)}
            flow = as_completed(list(futures))
            try:
                for future in flow:
                    number, tries = futures.pop(future)
                    try:
                        text = future.result()
                    except (KilledWorker, FutureCancelledError) as err:
                        if tries >= RESUBMITS:
                            raise GraderFailure(
                                f"Dask workers kept dying while grading {len(chunks[number])} "
                                f"notebook(s) ({type(err).__name__}); check the worker hosts' "
                                "logs and memory") from err
                        again = client.submit(grade_chunk, chunks[number], self.jobs, limits,
                                              pure=False)
                        futures[again] = (number, tries + 1)
                        flow.add(again)
                        continue
                    data = json.loads(text)
                    if "grader_error" in data:
                        raise GraderFailure(f"a Dask worker could not grade: "
                                            f"{data['grader_error']}"[:400])
                    if data.get("grader") != expected:
                        raise GraderFailure(
                            f"the Dask worker on {data.get('host')} runs another version of the "
                            "grader than this machine; install the same version on every "
                            "worker host")
                    self.hosts.add(str(data.get("host")))
                    for item in data.get("outcomes", []):
                        parsed = _outcome(item, keys)
                        if parsed is None or parsed[0] not in pending:
                            continue  # malformed, or already counted: never twice
                        pending.discard(parsed[0])
                        yield parsed[1]
                if pending:
                    raise GraderFailure(f"{len(pending)} notebook(s) came back from no Dask "
                                        "worker")
            finally:
                for future in futures:
                    future.cancel()
