"""Grading beyond one machine: Dask distributed as another executor for the same plans.

The coordinator (the instructor's `grade`) hashes, de-duplicates and stores, exactly as for a
local run; only where the jobs go changes: instead of this machine's grading lanes, Dask
workers, in chunks, one Dask task each, with the hand-ins' bytes in the jobs (a worker host
can't read the instructor's files). On a worker host a task does what a lane does
(`lane.grade_jobs`: check the bytes, plan, run in that host's own sandboxed fork-server pool
with the same isolation and per-notebook deadline as a local run, since Dask has no per-task
timeout, and judge) and returns one JSON text of verdicts; the coordinator reads it as data and
nothing else crosses back.

A worker that dies mid-chunk loses that chunk's work, not its notebooks: Dask runs the task
again elsewhere (and when Dask gives up on it, this module submits it once more), and an
outcome is taken only the first time a notebook's comes back, so none is lost or counted twice.
A worker that answers it can't grade (a daemon process, a sandbox that won't start there) is
passed over and its chunk sent to the others; only when no worker is left that can grade does
the run stop, with each worker's reason.

`local:N` keeps Dask's `distributed.worker.daemon` off for the cluster's whole life, not only
while it starts: Dask's nanny reads it again whenever it restarts a worker that died, and a
restarted daemon worker could not start the grading pool's processes.

`local:N` starts a `LocalCluster` of N worker processes on this machine (handy to try the path,
and what the tests use); `tcp://HOST:8786` joins a running scheduler, e.g. one started by
dask-jobqueue on SLURM or by dask-kubernetes. Dask is an optional extra (`pip install
.[cluster]`): nothing here is imported by a local run.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import logging
import multiprocessing
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import types
from collections.abc import Iterable, Iterator
from typing import Any

from .pool import GraderFailure, WorkerPool
from .sandbox import Limits

CHUNK = 8  # notebooks per Dask task: enough to amortise a task, few enough to spread well
RESUBMITS = 2  # after Dask's own retries (distributed.scheduler.allowed-failures)
IN_FLIGHT = 3  # chunks out per Dask worker: enough that none waits, few enough to hold
VERDICT_STATUSES = ("ok", "timeout", "error", "invalid")
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


@contextlib.contextmanager
def _without_main_module() -> Iterator[None]:
    """Hide the Dask worker's `__main__` from the grading pool while it runs.

    A local pool preloads the instructor's script (`__main__`) in its fork server, so an API
    script is imported once, not once per notebook. In a Dask worker, `__main__` is whatever
    started that worker (a script that made a LocalCluster, say), and every forked grading
    worker would import it again: measured at 7 to 11 s per notebook for a script importing
    nbformat. Grading needs nothing from it."""
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if saved is not None:
            sys.modules["__main__"] = saved


def grade_chunk(jobs: list[dict], pool_jobs: int | None, limits: dict,
                options: dict | None = None) -> str:
    """Runs on a Dask worker: grade a chunk of jobs (as a lane reads them) in this host's
    sandboxed pool; answer in JSON. `options` go to `WorkerPool` as they are, except that
    folders to hide from learner code are only those that exist on this host."""
    from .lane import grade_jobs, result_line
    from .protocol import LaneJob, from_dict

    if multiprocessing.current_process().daemon:
        return json.dumps({"grader_error": DAEMON, "worker": _worker_address()})
    if pool_jobs is None:
        try:
            from distributed import get_worker

            pool_jobs = get_worker().state.nthreads
        except (ImportError, ValueError, AttributeError):
            pool_jobs = os.cpu_count() or 1
    options = dict(options or {})
    if "hide" in options:
        options["hide"] = [path for path in options["hide"] if os.path.exists(path)]
    lines: list[str] = []

    def emit(index: int, grade: Any, warnings: list[str], again: bool) -> None:
        lines.append(result_line(index, grade, warnings, again).decode())

    with _ONE_POOL, _without_main_module():
        pool = WorkerPool(pool_jobs, Limits(**limits), **options)
        try:
            grade_jobs([from_dict(LaneJob, job) for job in jobs], pool, emit)
        except GraderFailure as err:
            return json.dumps({"grader_error": f"on {socket.gethostname()}: {err}",
                               "worker": _worker_address()})
    return json.dumps({"host": socket.gethostname(), "grader": _code_fingerprint(),
                       "results": lines, "problems": list(getattr(pool, "problems", []))})


def walls_here(options: dict | None = None) -> dict:
    """Runs on every Dask worker before any notebook is sent: can this host build the walls,
    and how weak are they? (So the instructor hears it before grading, not after.)"""
    host = socket.gethostname()
    if multiprocessing.current_process().daemon:
        return {"host": host, "error": DAEMON}
    options = dict(options or {})
    if "hide" in options:
        options["hide"] = [path for path in options["hide"] if os.path.exists(path)]
    with _ONE_POOL, _without_main_module():
        pool = WorkerPool(1, Limits(), **options)
        try:
            pool.start()
            return {"host": host, "warnings": list(pool.warnings)}
        except GraderFailure as err:
            return {"host": host, "error": str(err)}
        finally:
            pool.stop()


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError, AttributeError):
        return ""


def _result(line: Any, wanted: set[int]) -> tuple[dict, str] | None:
    """One verdict from a worker's JSON, checked for shape: a header naming a job of this
    chunk, and the verdict's JSON (stored as it is, like a local lane's)."""
    if not isinstance(line, str):
        return None
    head_text, tab, verdict = line.rstrip("\n").partition("\t")
    try:
        head = json.loads(head_text)
        json.loads(verdict)
    except ValueError:
        return None
    if (not tab or not isinstance(head, dict) or head.get("i") not in wanted
            or head.get("status") not in VERDICT_STATUSES
            or not all(isinstance(head.get(k), (int, float))
                       for k in ("points", "max_points", "seconds"))):
        return None
    return head, verdict


LOCAL = re.compile(r"^local:(\d+)$")


class ClusterPool:
    """Grade plans on Dask workers; the same `run(plans)` as the local `WorkerPool`."""

    def __init__(self, address: str, jobs: int | None = None, limits: Limits | None = None,
                 chunk: int | None = None, **options: Any) -> None:
        self.address = address
        self.options = options  # for each host's WorkerPool
        self.problems: list[str] = []  # what the worker hosts' pools reported, said once
        self.warnings: list[str] = []  # about the sandbox, said once
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
        if local and int(local.group(1)) < 1:
            raise ClusterError("--cluster local:N needs N of 1 or more")
        scratch = tempfile.mkdtemp(prefix="course-grading-dask-")
        try:
            with contextlib.ExitStack() as stack:  # closed in reverse: client, cluster, config
                if local:
                    # The grading pool starts processes of its own, so Dask workers must not
                    # be daemons; Dask's nanny reads this each time it (re)starts a worker, so
                    # it stays set until the cluster is closed, not only while it starts. The
                    # workers' temporary files (the pools' working folders) go in scratch, so
                    # even a worker killed mid-chunk leaves nothing behind.
                    stack.enter_context(dask.config.set({"distributed.worker.daemon": False,
                                                         "temporary-directory": scratch}))
                    cluster = stack.enter_context(LocalCluster(
                        n_workers=int(local.group(1)), threads_per_worker=1, processes=True,
                        dashboard_address=None, local_directory=scratch,
                        env={"TMPDIR": scratch}, silence_logs=logging.ERROR))
                    client = stack.enter_context(Client(cluster))
                else:
                    try:
                        client = stack.enter_context(Client(self.address, timeout=20))
                    except OSError as err:
                        raise ClusterError(f"can't reach the Dask scheduler at "
                                           f"{self.address}: {err}") from err
                yield client
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _check_walls(self, client: Any) -> None:
        """Every worker host builds its walls once before grading: one that can't stops the run
        now; weaker walls are said now."""
        try:
            answers = client.run(walls_here, self.options, on_error="return").values()
        except Exception:  # noqa: BLE001  (a worker lost meanwhile: the chunks find out)
            answers = []
        for answer in answers:
            if not isinstance(answer, dict):  # that worker failed to answer: passed over
                continue
            host = answer.get("host", "a Dask worker")
            if answer.get("error") == DAEMON:
                continue  # such a worker is passed over when chunks go out, and said then
            if "error" in answer:
                raise GraderFailure(f"the grading walls can't be built on {host}: "
                                    f"{answer['error']}"[:400])
            for warning in answer.get("warnings", []):
                said = f"on {host}: {warning}"
                if said not in self.warnings:
                    self.warnings.append(said)
                    print(f"Warning: {said}", file=sys.stderr, flush=True)

    def _chunk_size(self, client: Any) -> int:
        """Twice the notebooks a worker's pool grades at once, so no slot waits on the next
        chunk; at least CHUNK, so a task is worth its round trip."""
        try:
            threads = [w.get("nthreads", 1)
                       for w in client.scheduler_info()["workers"].values()]
        except (KeyError, AttributeError, OSError):
            threads = []
        return max(CHUNK, 2 * (self.jobs or max(threads, default=1)))

    def run(self, jobs: Iterable[dict], count: int = 0) -> Iterator[tuple[dict, str]]:
        """Yield `(header, verdict_json)` per job, in the order chunks finish. Jobs are taken
        from `jobs` only as chunks go out (a few per worker in flight), so the hand-ins' bytes
        are never all in memory at once."""
        pending = iter(jobs)
        with self._client() as client:
            self._check_walls(client)
            size = self.chunk or self._chunk_size(client)
            out = _Outstanding(client, (self.jobs, self.limits.to_dict(), self.options))

            def send_next() -> None:
                chunk = list(itertools.islice(pending, size))
                if chunk:
                    out.send(chunk, 0)

            for _ in range(IN_FLIGHT * max(1, len(out.workers()))):
                send_next()
            try:
                for future in out.flow:
                    chunk, tries = out.futures.pop(future)
                    data = out.answer(future, chunk, tries)
                    if data is None:  # the chunk went out again
                        continue
                    yield from self._verdicts(data, chunk)
                    send_next()
            finally:
                out.cancel()

    def _verdicts(self, data: dict, chunk: list[dict]) -> Iterator[tuple[dict, str]]:
        """The verdicts of one chunk's answer, each checked for shape, each job's once."""
        if data.get("grader") != _code_fingerprint():
            raise GraderFailure(
                f"the Dask worker on {data.get('host')} runs another version of the grader than "
                "this machine; install the same version on every worker host")
        self.hosts.add(str(data.get("host")))
        self.problems += [str(problem) for problem in data.get("problems", [])
                          if str(problem) not in self.problems]
        wanted = {int(job["i"]) for job in chunk}
        for line in data.get("results", []):
            parsed = _result(line, wanted)
            if parsed is None:
                continue  # malformed, or already counted: never twice
            wanted.discard(parsed[0]["i"])
            self.warnings += [str(w) for w in parsed[0].get("warnings", ())
                              if str(w) not in self.warnings]
            yield parsed
        if wanted:
            raise GraderFailure(f"{len(wanted)} notebook(s) came back from no Dask worker")


class _Outstanding:
    """The chunks out on the cluster: each sent to a worker that can grade, each taken back
    once; a chunk whose worker died, or answered that it can't grade, goes out again."""

    def __init__(self, client: Any, arguments: tuple) -> None:
        from distributed import as_completed

        self.client = client
        self.arguments = arguments  # pool jobs, limits, pool options
        self.futures: dict[Any, tuple[list[dict], int]] = {}
        self.flow = as_completed()
        self.unable: dict[str, str] = {}  # worker address -> why it can't grade

    def workers(self) -> list[str]:
        try:
            return list(self.client.scheduler_info()["workers"])
        except (KeyError, AttributeError, OSError):
            return []

    def send(self, chunk: list[dict], tries: int) -> None:
        able = None
        if self.unable:
            able = [w for w in self.workers() if w not in self.unable]
            if not able:
                raise GraderFailure(
                    "no Dask worker can grade: " + "; ".join(
                        f"{worker}: {why}" for worker, why in self.unable.items())[:600])
        future = self.client.submit(grade_chunk, chunk, *self.arguments, pure=False,
                                    workers=able, allow_other_workers=False)
        self.futures[future] = (chunk, tries)
        self.flow.add(future)

    def answer(self, future: Any, chunk: list[dict], tries: int) -> dict | None:
        """The chunk's answer, or None when the chunk was sent out again."""
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        try:
            data = json.loads(future.result())
        except (KilledWorker, FutureCancelledError, OSError, EOFError) as err:
            if tries >= RESUBMITS:
                raise GraderFailure(
                    f"Dask workers kept dying while grading {len(chunk)} notebook(s) "
                    f"({type(err).__name__}); check the worker hosts' logs and memory") from err
            self.send(chunk, tries + 1)
            return None
        if "grader_error" in data:  # this worker can't: pass it over, try the others
            why, worker = str(data["grader_error"])[:300], str(data.get("worker") or "")
            if not worker:
                raise GraderFailure(f"a Dask worker could not grade: {why}")
            self.unable[worker] = why
            self.send(chunk, tries)
            return None
        return data

    def cancel(self) -> None:
        for future in self.futures:
            future.cancel()
