"""Running many notebooks at once: a pre-warmed fork server, deadlines, and clean kills.

The standard library's `forkserver` start method keeps one process that has already imported
IPython and the probe; each notebook gets a fresh fork of it (milliseconds, not a kernel
start). This module is the trusted side of that exchange: it hands a worker its plan, waits for
the JSON reply (raw bytes, never a pickle), enforces the wall-clock deadline and, when a worker
ends for any reason, kills its whole process group and removes its working directory.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.connection
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .notebook import Plan
from .sandbox import STARTED, Limits, kill_group, wait_group_gone

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
    workdir: str
    started: float
    deadline: float
    slot: int = 0  # which of the `jobs` places it runs in: its user id is the slot's own
    buffer: bytearray = field(default_factory=bytearray)
    done: bool = False
    garbled: bool = False


def _context() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def _remove_tree(path: str) -> None:
    """Learner code may have left read-only files or folders: make them writable, then delete."""

    def retry(function: Any, target: str, _info: Any) -> None:
        try:
            os.chmod(os.path.dirname(target), stat.S_IRWXU)
            os.chmod(target, stat.S_IRWXU)
            function(target)
        except OSError:
            pass

    shutil.rmtree(path, onerror=retry)


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


class WorkerPool:
    """Grade plans in up to `jobs` isolated workers at a time; yield outcomes as they finish."""

    def __init__(self, jobs: int | None = None, limits: Limits | None = None) -> None:
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.limits = limits or Limits()
        self._ctx = _context()
        self._running: list[_Running] = []

    def warm_up(self) -> None:
        """Start the fork server and wait until it has preloaded everything, so the first
        notebook's runtime is its own, not the server's start."""
        process = self._ctx.Process(target=_ready, name="course-grading-warm-up")
        process.start()
        process.join()

    def _start(self, key: Any, plan: Plan) -> _Running:
        from .worker import run_job

        workdir = tempfile.mkdtemp(prefix="course-grading-")
        for name, data in plan.files:
            with open(os.path.join(workdir, os.path.basename(name)), "wb") as handle:
                handle.write(data)
        busy = {item.slot for item in self._running}
        slot = next(s for s in range(self.jobs + 1) if s not in busy)
        job = {"step": plan.step, "cells": [(c.id, c.source) for c in plan.cells],
               "sources": list(plan.sources), "workdir": workdir, "slot": slot,
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
        return _Running(key, process, receive, workdir, started, started + self.limits.timeout,
                        slot)

    def _finish(self, item: _Running, timed_out: bool = False) -> Outcome:
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
        item.conn.close()
        _remove_tree(item.workdir)
        seconds = time.perf_counter() - item.started
        if not item.buffer.startswith(STARTED):
            status, message = _exit_message(item.process.exitcode)
            raise GraderFailure("a grading worker stopped before it could run any learner code "
                                f"({'no answer in time' if timed_out else message}). Check that "
                                "this Python environment works: python -m grader --help")
        del item.buffer[:len(STARTED)]
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
            if "grader_error" in reply:
                raise GraderFailure(f"a grading worker failed: {reply['grader_error']}"[:400])
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
        """Kill whatever is still running (an interrupted run, an exception)."""
        for item in self._running:
            if item.process.pid:
                kill_group(item.process.pid)
            if item.process.is_alive():
                item.process.kill()
            item.process.join(5)
            item.conn.close()
            _remove_tree(item.workdir)
        self._running.clear()
