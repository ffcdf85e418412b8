"""Running many notebooks at once: a pre-warmed fork server, deadlines, clean kills, retries.

The trusted side of the exchange with the fork server (`forkserver.py`) and its workers. For
each notebook the pool writes the job into a memfd only that worker reads, asks the server for
a fork (handing over the job, the worker's result pipe and its slot's cgroup descriptors), and
then waits for two things in one loop over every worker: its reply on the pipe and its exit,
which the server reports.

Two deadlines, never confused: the **set-up** deadline (fork to READY: the grader's own work,
generous) and the **learner's** (`--timeout`, counted from READY). A reply is the grader's word
only before the worker's READY bytes; everything after them is the learner's.

**Faults of the machine are retried, never a learner's verdict**: a worker that missed its
set-up deadline, could not build its walls, or was killed from outside its own limits (not by
its memory cgroup, not by the deadline) is started again, up to `RETRIES` times; then the
notebook comes back as a `fault`, which the lane reports as a grader problem for that notebook
(told, never stored) while the run goes on. A fork server that dies is started again.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..questions import question_data
from . import forkserver
from .notebook import Plan
from .protocol import (
    FAILED,
    Exited,
    Forked,
    ForkRequest,
    Handshake,
    Limits,
    ProtocolError,
    ServerReady,
    ServerSettings,
    WorkerJob,
    decode,
    encode,
)
from .sandbox import (
    MAX_JOBS,
    UidBlock,
    is_root,
    kill_group,
    kill_uid,
    make_folder,
    remove_tree,
    wait_group_gone,
    worker_uids_mapped,
)
from .sandbox.cgroups import SlotCgroups
from .sandbox.walls import allowlist

MAX_REPLY_BYTES = 8 * 1024 * 1024
SETUP_SECONDS = 30.0  # fork to READY: generous, and never the learner's time
FORK_SECONDS = 60.0  # a fork server that doesn't answer a fork in this long is started again
BOOT_SECONDS = 300.0  # a fork server's start (imports numpy, FastAPI): slow on a busy machine
RETRIES = 2  # a fault of the machine: tried again this many times, then told as a fault
SERVER_RESTARTS = 3
COW_HEADROOM_MB = 96  # pages of the warm server a worker copies by touching them (refcounts)
_SIGNALS = {24: "it used more CPU time than allowed (SIGXCPU)",
            11: "it crashed the Python interpreter (SIGSEGV)",
            6: "it aborted the Python interpreter (SIGABRT)"}


@dataclass
class Outcome:
    """What came back from one worker, before any judging. `fault`: the machine's doing."""

    key: Any
    status: str  # ok (a reply arrived), timeout, error, fault
    seconds: float
    reply: dict | None = None
    message: str = ""


class GraderFailure(Exception):
    """The grading machinery itself can't go on (no fork server, no user ids): not a learner's
    doing, so nothing is graded or stored for it."""


def pool_options(jobs: int | None, limits: Limits | None,
                 hide: Iterable[str]) -> tuple[int, Limits, list[str]]:
    """Notebooks at once (default: the CPUs; within bounds), the limits (default: `Limits()`)
    and the paths no worker may see, made absolute."""
    return (min(MAX_JOBS, max(1, jobs or os.cpu_count() or 1)), limits or Limits(),
            [os.path.abspath(p) for p in hide])


def _exit_message(status: int) -> tuple[str, str]:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        text = _SIGNALS.get(number, f"it was stopped by signal {number}")
        return ("timeout" if number == 24 else "error"), text
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return "error", f"it ended its own process (exit status {code}), e.g. with `os._exit()`"


# ------------------------------------------------------------------ the fork server
class ForkServer:
    """One warm fork server process, and the sockets of its slots' servers (one per slot,
    forked from it, each already in its slot's cgroups)."""

    def __init__(self, settings: ServerSettings, groups: list[int]) -> None:
        self.settings = settings
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.errors = tempfile.TemporaryFile(prefix="course-grading-server-")
        env = dict(forkserver.ENVIRONMENT, TMPDIR=tempfile.gettempdir(),
                   HOME=tempfile.gettempdir())
        package_root = str(Path(__file__).resolve().parents[2])
        with theirs:
            self.process = subprocess.Popen(
                forkserver.boot_command(package_root, theirs.fileno()),
                stdin=subprocess.DEVNULL, stdout=self.errors, stderr=self.errors, env=env,
                cwd="/", pass_fds=(theirs.fileno(),))
        self.control = ours
        self.slots: list[socket.socket] = []
        self.slot_pids: list[int] = []
        socket.send_fds(self.control, [encode(settings)], groups)
        self.control.settimeout(BOOT_SECONDS)
        try:
            message, ends, _flags, _ = socket.recv_fds(self.control, 1 << 16, 1024)
            ready = decode(ServerReady, message)
        except (OSError, ProtocolError) as err:
            self.process.kill()
            self.process.wait()
            why = self.tail() or err
            self.stop()
            raise GraderFailure(f"the grading fork server did not start ({why}). Check that "
                                "this Python environment works: python -m grader --help") from None
        self.control.setblocking(False)  # from here on, read only when something is there
        self.slots = [socket.socket(fileno=fd) for fd in ends]
        for slot in self.slots:
            slot.setblocking(False)
        self.slot_pids = ready.slots
        self.walls, self.problem = ready.walls, ready.problem

    def tail(self) -> str:
        self.errors.seek(0)
        text = self.errors.read()[-600:].decode("utf-8", "replace").strip()
        return text.splitlines()[-1] if text else ""

    def sockets(self) -> list[socket.socket]:
        return [self.control, *self.slots]

    def fork(self, request: ForkRequest, fds: list[int]) -> None:
        """Ask a slot's server for a worker; its `Forked` (pid and pidfd) comes back in
        `read`, in order."""
        socket.send_fds(self.slots[request.slot], [encode(request)], fds)

    def read(self) -> tuple[dict[int, list[tuple[int, int]]], list[Exited]]:
        """Per slot, every (pid, pidfd) forked, and every Exited, waiting on the sockets
        (never blocks); OSError once a server is gone."""
        forked: dict[int, list[tuple[int, int]]] = {}
        exits: list[Exited] = []
        try:
            if not self.control.recv(1):
                raise OSError("the fork server has stopped")
        except BlockingIOError:
            pass
        for slot, sock in enumerate(self.slots):
            while True:
                try:
                    message, fds, _flags, _ = socket.recv_fds(sock, 1 << 16, 2)
                except BlockingIOError:
                    break
                if not message:
                    raise OSError("a slot's fork server has stopped")
                if fds:
                    forked.setdefault(slot, []).append((decode(Forked, message).pid, fds[0]))
                else:
                    exits.append(decode(Exited, message))
        return forked, exits

    def stop(self) -> None:
        for sock in [*self.slots, self.control]:
            with contextlib.suppress(OSError):
                sock.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.errors.close()


# ---------------------------------------------------------------------- the pool
@dataclass
class _Running:
    key: Any
    plan: Plan
    attempt: int
    slot: int
    uid: int | None
    result: int  # the read end of its result pipe
    started: float
    deadline: float  # the set-up deadline until READY, then the learner's
    workdir: str | None = None
    pid: int = 0  # 0 until the server says Forked
    pidfd: int = -1
    buffer: bytearray = field(default_factory=bytearray)
    ready: Handshake | None = None
    status: int | None = None  # its wait status, once the server reported it
    eof: bool = False
    killed: str = ""  # why the pool killed it ("timeout", "setup")
    garbled: bool = False


class WorkerPool:
    """Grade plans in up to `jobs` isolated workers at a time; yield outcomes as they finish.

    `walls`: "auto" (root: the full walls; otherwise Landlock) or "landlock" (what an instructor
    who isn't root gets, also as root: for comparison and tests); "none" is for
    `benchmarks/sandbox_overhead.py` alone, to measure what the walls cost (never offered to an
    instructor). `hide` lists the instructor's paths (submissions, reports, gradebook): no
    allowed path may hold one."""

    def __init__(self, jobs: int | None = None, limits: Limits | None = None, *,
                 hide: Iterable[str] = (), walls: str = "auto") -> None:
        self.jobs, self.limits, self.hide = pool_options(jobs, limits, hide)
        self.walls = walls
        self.problems: list[str] = []  # for the instructor: what the clean-up could not do
        self.warnings: list[str] = []  # for the instructor, before grading: weaker walls
        self.faults = 0  # notebooks the machine kept from grading (after retries)
        self._server: ForkServer | None = None
        self._restarts = 0
        self._uids: UidBlock | None = None
        self._cgroups: SlotCgroups | None = None
        self._running: list[_Running] = []
        self._retired: set[int] = set()  # slots whose processes could not be emptied

    # ------------------------------------------------------------------ start, stop
    def _kind(self) -> str:
        if self.walls == "none":
            return "none"
        if self.walls == "landlock" or not is_root():
            return "landlock"
        return "full" if worker_uids_mapped() else "landlock"

    def _warn(self, text: str) -> None:
        if text and text not in self.warnings:
            self.warnings.append(text)

    def start(self) -> None:
        """Everything but the workers: user ids, cgroups, the fork server. Idempotent."""
        if self._server is not None:
            return
        kind = self._kind()
        if kind == "full" and self._uids is None:
            self._uids = UidBlock()
            try:
                self._uids.acquire()
            except OSError as err:
                self._uids = None
                raise GraderFailure(f"no user ids for the grading workers: {err}") from err
        if self._cgroups is None and kind != "none":
            memory = (self.limits.memory_mb + COW_HEADROOM_MB + 8) * 2**20
            made = SlotCgroups.create(self.jobs, memory, tasks=self.limits.processes + 64)
            if isinstance(made, str):
                self._warn(f"no memory cgroup per worker here ({made}): a notebook's memory is "
                           "bounded by RLIMIT_AS alone (memfd, shared memory and files in /tmp "
                           "are not counted), and a worker killed by this machine's "
                           "out-of-memory killer is retried as if killed from outside")
            else:
                self._cgroups = made
                for warning in made.warnings:
                    self._warn(warning)
        allow, notes = allowlist(self.hide)
        for note in notes:
            self._warn(note)
        self._server = self._boot(allow, kind)
        if self._server.walls == "failed":
            self._warn(f"this system refused the namespaces of the workers' own view "
                       f"({self._server.problem}); learner code is walled in by Landlock "
                       "alone: it can look up (not read) the names of files anywhere")
            self._server.stop()
            self._server = self._boot(allow, "landlock")
        self._warn(self._server.problem)
        if not is_root():
            self._warn("learner code runs as you (only root gives each worker a user id of its "
                       "own): Landlock keeps it to the allowlist, with no network (but, for "
                       "Part 2's step 8, TCP to its own endpoint's port, on any address) and no "
                       "signals outside it, but grade as root in a container for the full "
                       "walls")
        elif self._uids is None and kind != "none":
            why = ("the Landlock walls were asked for" if self.walls == "landlock" else
                   "this user namespace maps no user ids for the workers: map ids into the "
                   "container (/etc/subuid) for the full walls")
            self._warn(f"learner code runs as root without capabilities ({why}); Landlock "
                       "keeps it to the allowlist")

    def _boot(self, allow: list[str], kind: str) -> ForkServer:
        """A fork server with a server per slot, each joining its slot's cgroups."""
        groups = [self._cgroups.join_descriptors(s) if self._cgroups else []
                  for s in range(self.jobs)]
        flat = [fd for fds in groups for fd in fds]
        try:
            return ForkServer(ServerSettings(list(sys.path), allow, kind, self.limits,
                                             [len(fds) for fds in groups]), flat)
        finally:
            for fd in flat:
                os.close(fd)

    def stop(self) -> None:
        """Kill whatever is still running, stop the server, give back cgroups and user ids."""
        for item in list(self._running):
            self._kill(item, "stopped")
            self._end(item)
        self._running.clear()
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._cgroups is not None:
            self._cgroups.remove()
            self._cgroups = None
        if self._uids is not None:
            self._uids.release()
            self._uids = None

    # -------------------------------------------------------------- one worker
    def _job_descriptor(self, plan: Plan) -> int:
        job = WorkerJob(plan.step, [(c.id, c.source) for c in plan.cells],
                        [(c.id, c.source) for c in plan.sources],
                        list(plan.files), self.limits,
                        [question_data(q) for q in plan.questions])
        if hasattr(os, "memfd_create"):
            fd = os.memfd_create("course-grading-job", os.MFD_CLOEXEC)
        else:
            fd = os.dup(tempfile.TemporaryFile().fileno())
        os.write(fd, encode(job))
        os.lseek(fd, 0, os.SEEK_SET)
        return fd

    def _start(self, key: Any, plan: Plan, attempt: int = 0) -> _Running:
        self.start()
        assert self._server is not None
        busy = {item.slot for item in self._running} | self._retired
        slot = next(s for s in range(self.jobs) if s not in busy)
        uid = self._uids.uid(slot) if self._uids is not None else None
        workdir = make_folder() if self._server.walls != "full" else None
        if workdir and uid is not None:
            os.chown(workdir, uid, uid)
        job = self._job_descriptor(plan)
        read, write = os.pipe()  # the worker's end blocks; only ours is made non-blocking
        if self._cgroups is not None:
            self._cgroups.mark(slot)
        started = time.perf_counter()
        try:
            self._server.fork(ForkRequest(slot, uid, workdir), [job, write])
        except OSError:
            os.close(read)
            if workdir:
                remove_tree(workdir)
            self._restart_server()
            raise _Retry() from None
        finally:
            for fd in (job, write):
                os.close(fd)
        os.set_blocking(read, False)
        return _Running(key, plan, attempt, slot, uid, read, started, started + SETUP_SECONDS,
                        workdir)

    def _restart_server(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._restarts += 1
        if self._restarts > SERVER_RESTARTS:
            raise GraderFailure("the grading fork server kept stopping; check this machine's "
                                "memory and logs, then run the same command again")

    def _kill(self, item: _Running, why: str) -> None:
        if not item.killed:
            item.killed = why
        if item.pidfd >= 0:  # else as soon as the server says which process it is
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(item.pidfd, signal.SIGKILL)

    def _drain(self, item: _Running) -> None:
        """Read what the pipe holds without ever blocking: a worker that writes half a reply
        and stalls must not stall the class."""
        while True:
            try:
                chunk = os.read(item.result, 1 << 16)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:
                item.eof = True
                break
            item.buffer += chunk
            if len(item.buffer) > MAX_REPLY_BYTES:
                item.garbled = True
                self._kill(item, "garbled")
                break
        if item.ready is None and len(item.buffer) >= 3:
            item.ready = Handshake.read(bytes(item.buffer[:3]))
            now = time.perf_counter()
            if item.ready is not None and now > item.deadline:
                self._kill(item, "setup")  # ready, but after its set-up deadline
            elif item.ready is not None:  # the learner's time starts now
                item.deadline = now + self.limits.timeout

    def _end(self, item: _Running) -> None:
        """Nothing of the worker survives: its cgroup emptied (or its process group and user
        id), its folder removed, its descriptors closed."""
        self._gone(item)
        if self._cgroups is not None and self._server is not None:
            clean = self._cgroups.empty(item.slot, but=self._server.slot_pids[item.slot])
        elif item.pid:
            kill_group(item.pid)  # (with no processes allowed, the worker was all there was)
            clean = self.limits.processes == 0 or wait_group_gone(item.pid)
        else:
            clean = True
            if item.uid is not None:
                clean = kill_uid(item.uid, self.limits.processes > 0) and clean
        if not clean:
            self._retired.add(item.slot)
            self.problems.append(f"processes of a grading worker (slot {item.slot}) could not "
                                 "be stopped; that slot was not used again")
        for fd in (item.result, item.pidfd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        if item.workdir and not remove_tree(item.workdir):
            self.problems.append(f"a worker's folder could not be removed: {item.workdir}")

    def _outcome(self, item: _Running) -> Outcome | None:
        """The outcome of an ended worker; None when it is to be tried again."""
        seconds = time.perf_counter() - item.started
        status = item.status if item.status is not None else 0
        if item.ready is None or item.killed == "setup":  # READY too late is no READY
            if item.buffer.startswith(FAILED):
                why = bytes(item.buffer[1:301]).decode("utf-8", "replace")
            elif item.killed == "setup":
                why = f"its sandbox was not ready within {SETUP_SECONDS:g} seconds"
            else:
                why = f"its worker stopped before its sandbox was ready ({status})"
            return self._fault(item, why, seconds)
        if item.killed == "timeout":
            return Outcome(item.key, "timeout", seconds, message=(
                f"it was still running after {self.limits.timeout:g} seconds"))
        if item.garbled:
            return Outcome(item.key, "error", seconds,
                           message="its worker's reply was too large to be read")
        reply_bytes = bytes(item.buffer[3:])
        if reply_bytes:  # all there is: the worker has ended (a child of its may hold the pipe)
            return self._reply(item, reply_bytes, seconds)
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            if self._cgroups is not None and self._cgroups.ran_out_of_memory(item.slot):
                return Outcome(item.key, "error", seconds, message=(
                    f"it used more memory than allowed ({self.limits.memory_mb} MB, its /tmp "
                    "and shared memory included)"))
            return self._fault(item, "its worker was killed from outside its own limits",
                               seconds)
        kind, message = _exit_message(status)
        return Outcome(item.key, kind, seconds, message=message)

    def _reply(self, item: _Running, data: bytes, seconds: float) -> Outcome:
        import json

        try:
            reply = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            reply = None
        if not isinstance(reply, dict):
            return Outcome(item.key, "error", seconds,
                           message="its worker's reply could not be read")
        assert item.ready is not None
        reply["user"], reply["isolation"] = item.ready.user, item.ready.walls  # not the learner's
        return Outcome(item.key, "ok", seconds, reply)

    def _fault(self, item: _Running, why: str, seconds: float) -> Outcome | None:
        if item.attempt < RETRIES:
            return None
        self.faults += 1
        return Outcome(item.key, "fault", seconds, message=(
            f"the grader could not grade this notebook: {why} ({item.attempt + 1} tries); "
            "this is not the learner's doing, and the next run grades it again"))

    # ------------------------------------------------------------------ the loop
    def run(self, plans: Iterable[tuple[Any, Plan]]) -> Iterator[Outcome]:
        """Yield one Outcome per (key, plan), in the order they finish."""
        pending = iter(plans)
        again: list[tuple[Any, Plan, int]] = []
        exhausted = False
        try:
            while True:
                while len(self._running) < self.jobs - len(self._retired) and \
                        (again or not exhausted):
                    if again:
                        key, plan, attempt = again.pop(0)
                    else:
                        nxt = next(pending, None)
                        if nxt is None:
                            exhausted = True
                            break
                        (key, plan), attempt = nxt, 0
                    try:
                        self._running.append(self._start(key, plan, attempt))
                    except _Retry:
                        again.append((key, plan, attempt))
                if not self._running:
                    if len(self._retired) < self.jobs and again:
                        continue
                    yield from self._unslotted(again, pending)
                    return
                for item in self._wait():
                    self._running.remove(item)
                    self._end(item)
                    outcome = self._outcome(item)
                    if outcome is None:
                        again.append((item.key, item.plan, item.attempt + 1))
                    else:
                        yield outcome
        finally:
            self.stop()

    def _unslotted(self, again: list[tuple[Any, Plan, int]],
                   pending: Iterator[tuple[Any, Plan]]) -> Iterator[Outcome]:
        """Every slot retired (processes that outlived SIGKILL): what is left can't be graded
        in this run, so each is a grader problem for that notebook, never a silent drop."""
        why = ("every grading slot was retired (processes of earlier workers could not be "
               "stopped)")
        for key, _plan, attempt in [*again, *((k, p, 0) for k, p in pending)]:
            self.faults += 1
            yield Outcome(key, "fault", 0.0, message=(
                f"the grader could not grade this notebook: {why}"
                f"{f' ({attempt} tries)' if attempt else ''}; this is not the learner's doing, "
                "and the next run grades it again"))

    def _wait(self) -> list[_Running]:
        """Wait for pipes and deadlines; return the workers that have ended. A worker whose
        reply is in has ended at its pipe's end (each wake-up of this process costs, on a busy
        machine, more than the walls: the server is heard from only when needed). One without a
        reply waits for its exit status, which the server reports."""
        assert self._server is not None
        now = time.perf_counter()
        timeout = max(0.0, min(item.deadline for item in self._running) - now)
        needs_server = any(item.eof or item.killed or now >= item.deadline
                           for item in self._running)
        with selectors.DefaultSelector() as selector:
            if needs_server:
                for sock in self._server.sockets():
                    selector.register(sock, selectors.EVENT_READ)
            pipes = {item.result: item for item in self._running if not item.eof}
            for fd in pipes:
                selector.register(fd, selectors.EVENT_READ)
            events = selector.select(timeout)
        for key, _ in events:
            if key.fd in pipes:
                self._drain(pipes[key.fd])
        self._hear_from_server()
        now = time.perf_counter()
        ended = []
        for item in self._running:
            if item.status is not None or (item.eof and (
                    item.garbled or (item.ready is not None and len(item.buffer) > 3))):
                self._drain(item)
                ended.append(item)
            elif now >= item.deadline:
                self._kill(item, "timeout" if item.ready is not None else "setup")
        if any(item.pidfd < 0 and now >= item.started + FORK_SECONDS for item in self._running):
            self._server_lost()  # a server that forks nothing for a minute is stuck
        return ended

    def _gone(self, item: _Running) -> None:
        """Make sure the worker process itself has ended before its slot is used again (it has
        closed its pipe, so it is on its way out: this is quick)."""
        if item.status is not None:
            return
        deadline = time.perf_counter() + 5.0
        while item.pidfd < 0 and time.perf_counter() < deadline and self._server is not None:
            self._hear_from_server()
            if item.pidfd < 0:
                time.sleep(0.001)
        if item.pidfd >= 0:
            self._kill(item, item.killed or "ended")
            with selectors.DefaultSelector() as selector:
                selector.register(item.pidfd, selectors.EVENT_READ)
                selector.select(5.0)

    def _server_lost(self) -> None:
        for item in self._running:  # their server is gone, and they with it (PDEATHSIG)
            if item.status is None:
                item.status, item.killed = signal.SIGKILL, item.killed or "server"
        self._restart_server()

    def _hear_from_server(self) -> None:
        assert self._server is not None
        try:
            forked, exits = self._server.read()
        except (OSError, ProtocolError):
            self._server_lost()
            return
        for item in self._running:
            if item.pidfd < 0 and forked.get(item.slot):
                item.pid, item.pidfd = forked[item.slot].pop(0)
                if item.killed:
                    self._kill(item, item.killed)
        by_pid = {item.pid: item for item in self._running if item.pid}
        for exited in exits:
            if exited.pid in by_pid:
                by_pid[exited.pid].status = exited.status


class _Retry(Exception):
    """The fork server stopped while starting a worker: try that notebook again."""
