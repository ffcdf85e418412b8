"""Running many notebooks at once: a pre-warmed fork server, deadlines, and clean kills.

The standard library's `forkserver` start method keeps one process that has already imported
IPython and the probe; each notebook gets a fresh fork of it (milliseconds, not a kernel
start). This module is the trusted side of that exchange: it hands a worker its plan, waits for
the JSON reply (raw bytes, never a pickle), enforces the wall-clock deadline and, when a worker
ends for any reason, kills its whole process group and every process of its user id, and
removes its folder (the walls themselves are in `sandbox.py`).

A reply is the grader's word only before the worker's READY byte (a sandbox that could not be
built stops the run: nothing about it is the learner's doing). Everything after READY is the
learner's: whatever it says, it is judged as that learner's notebook and nothing else.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.connection
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .notebook import Plan
from .sandbox import (
    FAILED,
    MAX_JOBS,
    Limits,
    UidBlock,
    is_root,
    kill_group,
    kill_uid,
    make_folder,
    read_ready,
    remove_files_of,
    remove_tree,
    wait_group_gone,
    worker_uids_mapped,
)

# Imported once in the fork server, so every worker starts warm. "__main__" lets a script that
# uses the API be imported there once instead of once per worker.
PRELOAD = ["__main__", "grader", "grader.batch.worker", "grader.batch.warm"]
MAX_REPLY_BYTES = 8 * 1024 * 1024
_SIGNALS = {9: "it was killed (SIGKILL): it may have used too much memory, or stopped answering",
            24: "it used more CPU time than allowed (SIGXCPU)",
            11: "it crashed the Python interpreter (SIGSEGV)",
            6: "it aborted the Python interpreter (SIGABRT)"}


@dataclass
class Outcome:
    """What came back from one worker, before any judging."""

    key: Any
    status: str  # ok (a reply arrived), timeout, error
    seconds: float
    reply: dict | None = None
    message: str = ""


@dataclass
class _Running:
    key: Any
    process: Any
    conn: Any
    folder: str  # the parent's folder for this worker, removed when it ends
    started: float
    deadline: float
    slot: int = 0  # which of the `jobs` places it runs in: its user id is the slot's own
    uid: int | None = None
    buffer: bytearray = field(default_factory=bytearray)
    done: bool = False
    garbled: bool = False


def _context() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


class GraderFailure(Exception):
    """The grading machinery itself failed (a worker that never started, a sandbox that could
    not be built): not a learner's doing, so nothing is graded or stored for it."""


def _decode(data: bytes) -> dict | None:
    try:
        reply = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return reply if isinstance(reply, dict) else None


def _exit_message(code: int | None) -> tuple[str, str]:
    if code is not None and code < 0:
        text = _SIGNALS.get(-code, f"it was stopped by signal {-code}")
        return ("timeout" if -code == 24 else "error"), text
    return "error", f"it ended its own process (exit status {code}), e.g. with `os._exit()`"


def _ready() -> None:
    """Runs in a fork of the server: by then the preloading is done."""


def pool_options(jobs: int | None, limits: Limits | None,
                 hide: Iterable[str]) -> tuple[int, Limits, list[str]]:
    """Notebooks at once (default: the CPUs; within bounds), the limits (default: `Limits()`)
    and the paths no worker may see, made absolute."""
    return (min(MAX_JOBS, max(1, jobs or os.cpu_count() or 1)), limits or Limits(),
            [os.path.abspath(p) for p in hide])


class WorkerPool:
    """Grade plans in up to `jobs` isolated workers at a time; yield outcomes as they finish.

    `hide` lists the instructor's files and folders (submissions, reports, gradebook) that no
    worker may see; `namespaces=False` skips the per-worker namespaces (for comparison)."""

    def __init__(self, jobs: int | None = None, limits: Limits | None = None, *,
                 hide: Iterable[str] = (), namespaces: bool = True) -> None:
        self.jobs, self.limits, self.hide = pool_options(jobs, limits, hide)
        self.namespaces = namespaces
        self.problems: list[str] = []  # for the instructor: what the clean-up could not do
        self._ctx = _context()
        self._running: list[_Running] = []
        self._uids: UidBlock | None = None
        self._retired: set[int] = set()  # slots whose user id could not be emptied

    def warm_up(self) -> None:
        """Start the fork server and wait until it has preloaded everything, so the first
        notebook's runtime is its own, not the server's start. It starts in `/`: a new Python
        looks for modules in its current folder first, and the instructor's may be one anyone
        can write to (a class download, /tmp)."""
        process = self._ctx.Process(target=_ready, name="course-grading-warm-up")
        try:
            here = os.getcwd()
        except OSError:
            here = None
        os.chdir("/")
        try:
            process.start()
        finally:
            if here is not None:
                os.chdir(here)
        process.join()

    def _start(self, key: Any, plan: Plan) -> _Running:
        from .worker import run_job

        if self._uids is None and is_root() and worker_uids_mapped():
            self._uids = UidBlock()
            try:
                self._uids.acquire()
            except OSError as err:
                self._uids = None
                raise GraderFailure(f"no user ids for the grading workers: {err}") from err
        busy = {item.slot for item in self._running} | self._retired
        slot = next(s for s in range(MAX_JOBS) if s not in busy)
        uid = self._uids.uid(slot) if self._uids is not None else None
        folder = make_folder()
        job = {"step": plan.step, "cells": [(c.id, c.source) for c in plan.cells],
               "sources": [(c.id, c.source) for c in plan.sources], "files": list(plan.files),
               "folder": folder,
               "uid": uid, "hide": self.hide, "namespaces": self.namespaces,
               "limits": self.limits.to_dict()}
        receive, send = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(target=run_job, args=(job, send), daemon=True,
                                    name="course-grading-worker")
        started = time.perf_counter()
        try:
            process.start()
        finally:
            send.close()
        os.set_blocking(receive.fileno(), False)
        return _Running(key, process, receive, folder, started, started + self.limits.timeout,
                        slot, uid)

    def _note(self, problem: str) -> None:
        if problem not in self.problems:
            self.problems.append(problem)

    def _end(self, item: _Running, timed_out: bool = False) -> None:
        """Nothing of the worker survives: its process group, every process of its user id
        (checked, before the id is used again), its folder."""
        pid = item.process.pid
        if pid:
            kill_group(pid)  # the worker and anything it started
        if timed_out and item.process.is_alive():
            item.process.kill()
        item.process.join(5)
        if item.process.is_alive():
            item.process.kill()
            item.process.join()
        if pid:
            kill_group(pid)  # a child forked in the last instant
            wait_group_gone(pid)
        if item.uid is not None and not kill_uid(item.uid, self.limits.processes > 0):
            self._retired.add(item.slot)
            self._note(f"processes of worker user id {item.uid} could not be stopped; that id "
                       "was not used again")
        item.conn.close()
        walls = read_ready(bytes(item.buffer[:3]))
        if item.uid is not None and walls is not None and walls[1] == "none" and \
                remove_files_of(item.uid):  # it shared the machine's temporary folders
            self._note("learner code left files in this machine's /tmp, /var/tmp or /dev/shm "
                       "(no namespaces here); they were removed when its worker ended")
        if not remove_tree(item.folder):
            self._note(f"a worker's folder could not be removed: {item.folder}")

    def _finish(self, item: _Running, timed_out: bool = False) -> Outcome:
        walls = read_ready(bytes(item.buffer[:3]))
        self._end(item, timed_out)
        seconds = time.perf_counter() - item.started
        if walls is None:
            if item.buffer.startswith(FAILED):  # written before any learner code ran
                why = bytes(item.buffer[1:301]).decode("utf-8", "replace")
            else:
                status, message = _exit_message(item.process.exitcode)
                why = "no answer in time" if timed_out else message
            raise GraderFailure("a grading worker stopped before it could run any learner code "
                                f"({why}). Check that this Python environment works: "
                                "python -m grader --help")
        del item.buffer[:3]
        if timed_out:
            return Outcome(item.key, "timeout", seconds, message=(
                f"it was still running after {self.limits.timeout:g} seconds"))
        if item.garbled:
            return Outcome(item.key, "error", seconds,
                           message="its worker's reply was too large to be read")
        if item.buffer:
            reply = _decode(bytes(item.buffer))
            if reply is None:
                return Outcome(item.key, "error", seconds,
                               message="its worker's reply could not be read")
            reply["user"], reply["isolation"] = walls  # what the walls were: not the learner's say
            return Outcome(item.key, "ok", seconds, reply)
        status, message = _exit_message(item.process.exitcode)
        return Outcome(item.key, status, seconds, message=message)
    def _drain(self, item: _Running) -> None:
        """Read what the pipe holds without ever blocking: a worker that writes half a reply
        and stalls must not stall the whole class. The reply ends at end-of-file."""
        fd = item.conn.fileno()
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                item.done = True
                return
            item.buffer += chunk
            if len(item.buffer) > MAX_REPLY_BYTES:
                item.garbled = item.done = True
                return

    def run(self, plans: Iterable[tuple[Any, Plan]]) -> Iterator[Outcome]:
        """Yield one Outcome per (key, plan), in the order they finish."""
        pending = iter(plans)
        exhausted = False
        warmed = False
        try:
            while True:
                while not exhausted and len(self._running) < self.jobs:
                    try:
                        key, plan = next(pending)
                    except StopIteration:
                        exhausted = True
                        break
                    if not warmed:
                        self.warm_up()
                        warmed = True
                    self._running.append(self._start(key, plan))
                if not self._running:
                    return
                now = time.perf_counter()
                wait_for = min(item.deadline for item in self._running) - now
                handles = {}
                for item in self._running:
                    handles[item.conn] = item
                    handles[item.process.sentinel] = item
                ready = multiprocessing.connection.wait(list(handles), max(0.0, wait_for))
                for handle in ready:
                    item = handles[handle]
                    if item.done:
                        continue
                    self._drain(item)
                    if handle is item.process.sentinel:
                        item.done = True  # the worker has exited: what it wrote is all there is
                now = time.perf_counter()
                for item in list(self._running):
                    if item.done or now >= item.deadline:
                        self._running.remove(item)
                        yield self._finish(item, timed_out=not item.done)
        finally:
            self.stop()

    def stop(self) -> None:
        """Kill whatever is still running (an interrupted run, an exception), then give the
        run's user ids back."""
        for item in self._running:
            self._end(item, timed_out=True)
        self._running.clear()
        if self._uids is not None:
            self._uids.release()
            self._uids = None
