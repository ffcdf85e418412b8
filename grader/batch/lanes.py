"""The coordinator's side of the grading lanes (see `lane.py`): start them, keep each one fed,
and read back verdicts as they come.

One loop over non-blocking pipes, so a lane busy writing a large verdict never waits on a
coordinator busy writing it a job, and the reverse. Each lane is kept a few jobs ahead of what
its pool can run, so its workers never wait for the coordinator; when the jobs run out, each
lane's stdin is closed and it ends once its last verdict is out. A lane that stops early (a
crash, a sandbox that can't be built) stops the run with the reason: nothing it was given is
counted, and every verdict already received is kept.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import selectors
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .lane import READY
from .pool import GraderFailure, pool_options
from .protocol import LaneSettings, Limits, encode
from .sandbox import is_root, remove_tree

BOOT = "from grader.batch.lane import main; raise SystemExit(main())"
AHEAD = 2  # jobs queued in a lane beyond what its pool runs at once
PER_LANE = 8  # no more lanes than one per this many notebooks: a lane costs a Python start


def lane_sizes(jobs: int, notebooks: int) -> list[int]:
    """How many notebooks each lane runs at once: `jobs` in all, over one lane per core at
    most (more lanes than cores only adds processes), and few lanes for a few notebooks."""
    lanes = max(1, min(jobs, os.cpu_count() or 1, -(-notebooks // PER_LANE)))
    return [jobs // lanes + (1 if n < jobs % lanes else 0) for n in range(lanes)]


SCRATCH = "course-grading-run-"
STALE_AFTER = 60.0  # seconds: a run's folder younger than this is never swept


def claim_scratch() -> tuple[str, int]:
    """This run's temporary folder, locked (the kernel drops the lock however the run ends),
    after removing those of earlier runs killed outright (SIGKILL, a power cut): a folder of
    ours whose lock no one holds."""
    base = tempfile.gettempdir()
    with contextlib.suppress(OSError):
        for name in os.listdir(base):
            path = os.path.join(base, name)
            if name.startswith(SCRATCH) and _abandoned(path):
                remove_tree(path)
    scratch = tempfile.mkdtemp(prefix=SCRATCH)
    lock = os.open(os.path.join(scratch, ".lock"), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW
                   | os.O_CLOEXEC, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    if is_root():  # workers without namespaces pass through it to their own folders
        os.chmod(scratch, 0o711)
    return scratch, lock


def _abandoned(path: str) -> bool:
    try:
        info = os.lstat(path)
        if (not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid()
                or time.time() - info.st_mtime < STALE_AFTER):
            return False
        fd = os.open(os.path.join(path, ".lock"), os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # a run still holds it
    finally:
        os.close(fd)
    return True


@dataclass
class _Lane:
    process: subprocess.Popen
    capacity: int
    errors: IO[bytes]
    outstanding: int = 0
    inbox: bytearray = field(default_factory=bytearray)  # read, not yet a whole line
    outbox: bytearray = field(default_factory=bytearray)  # to write to its stdin
    closing: bool = False  # no more jobs: close its stdin once the outbox is written
    watched: bool = False  # its stdin is in the selector (the outbox waits for room)
    ready: bool = False  # it has said so: its lines from here on are verdicts
    ended: bool = False


class Lanes:
    """`run(jobs)` yields `(header, verdict_json)` per job, in the order they finish."""

    def __init__(self, jobs: int | None = None, limits: Limits | None = None, *,
                 hide: Iterable[str] = (), walls: str = "auto") -> None:
        self.jobs, self.limits, self.hide = pool_options(jobs, limits, hide)
        self.walls = walls
        self.problems: list[str] = []  # what the lanes' pools could not clean up, said once
        self.warnings: list[str] = []  # about the sandbox, said once
        self._lanes: list[_Lane] = []
        self._scratch = ""  # this run's temporary folder: the lanes' and their workers' own
        self._lock = -1  # held while the run lives (see claim_scratch)

    def _start(self, size: int) -> _Lane:
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [package_root, *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))])
        env["TMPDIR"] = self._scratch  # removed at the end, even after a lane was killed
        errors = tempfile.TemporaryFile(prefix="course-grading-lane-")
        # started in /: a new Python looks for modules in its current folder first
        process = subprocess.Popen([sys.executable, "-c", BOOT], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=errors, cwd="/", env=env)
        lane = _Lane(process, size, errors)
        settings = LaneSettings(size, self.limits, self.hide, self.walls, os.getpid())
        lane.outbox += encode(settings) + b"\n"
        for pipe in (process.stdin, process.stdout):
            os.set_blocking(pipe.fileno(), False)  # type: ignore[union-attr]
        return lane

    def _failed(self, lane: _Lane, why: str) -> GraderFailure:
        lane.errors.seek(0)
        tail = lane.errors.read()[-600:].decode("utf-8", "replace").strip()
        last = tail.splitlines()[-1] if tail else ""
        return GraderFailure(f"a grading lane stopped before it was done ({why}"
                             + (f": {last}" if last else "") + ")")

    def run(self, jobs: Iterable[dict], count: int) -> Iterator[tuple[dict, str]]:
        """Grade `count` jobs (dicts as `lane.py` reads them)."""
        pending = iter(jobs)
        exhausted = False
        selector = selectors.DefaultSelector()
        try:
            self._scratch, self._lock = claim_scratch()
            self._lanes = [self._start(size) for size in lane_sizes(self.jobs, count)]
            for lane in self._lanes:
                selector.register(lane.process.stdout,  # type: ignore[arg-type]
                                  selectors.EVENT_READ, lane)
            while True:
                for lane in self._lanes:  # top every lane up
                    while (not exhausted and not lane.ended
                           and lane.outstanding < lane.capacity + AHEAD):
                        job = next(pending, None)
                        if job is None:
                            exhausted = True
                            break
                        lane.outbox += json.dumps(job).encode() + b"\n"
                        lane.outstanding += 1
                    if exhausted:
                        lane.closing = True
                    self._write(lane, selector)
                if all(lane.ended for lane in self._lanes):
                    return
                for key, _events in selector.select():
                    lane = key.data
                    if key.fileobj is lane.process.stdin:
                        self._write(lane, selector)
                    else:
                        yield from self._read(lane, selector)
        finally:
            selector.close()
            self.stop()

    def _write(self, lane: _Lane, selector: selectors.BaseSelector) -> None:
        stdin = lane.process.stdin
        if stdin is None or stdin.closed:
            return
        try:
            while lane.outbox:
                written = os.write(stdin.fileno(), lane.outbox)
                del lane.outbox[:written]
        except BlockingIOError:
            pass
        except OSError:  # it has stopped; its stdout says why
            lane.outbox.clear()
            lane.closing = True
        if lane.outbox and not lane.watched:
            selector.register(stdin, selectors.EVENT_WRITE, lane)
            lane.watched = True
        elif not lane.outbox and lane.watched:
            selector.unregister(stdin)
            lane.watched = False
        if not lane.outbox and lane.closing:
            stdin.close()

    def _read(self, lane: _Lane, selector: selectors.BaseSelector) -> Iterator[tuple[dict, str]]:
        stdout = lane.process.stdout
        try:
            chunk = os.read(stdout.fileno(), 1 << 20)  # type: ignore[union-attr]
        except BlockingIOError:
            return
        lane.inbox += chunk
        *lines, rest = lane.inbox.split(b"\n")
        lane.inbox = bytearray(rest)
        for line in lines:
            if not lane.ready:  # before the lane's first word: not the lane's (see lane.py)
                lane.ready = line + b"\n" == READY
                continue
            text = line.decode("utf-8", "replace")
            head, tab, verdict = text.partition("\t")
            try:
                header = json.loads(head)
                if not isinstance(header, dict):
                    raise ValueError(head)
            except ValueError:
                raise self._failed(lane, f"it wrote {text[:80]!r}") from None
            if tab:
                lane.outstanding -= 1
                self.warnings += [w for w in header.get("warnings", ())
                                  if w not in self.warnings]
                yield header, verdict
            elif "failure" in header:
                raise GraderFailure(str(header["failure"]))
            elif "warnings" in header:  # the walls, known before any notebook: said at once
                for warning in header["warnings"]:
                    if warning not in self.warnings:
                        self.warnings.append(warning)
                        print(f"Warning: {warning}", file=sys.stderr, flush=True)
            elif "problems" in header:
                self.problems += [p for p in header["problems"] if p not in self.problems]
        if not chunk:  # the lane has ended
            selector.unregister(stdout)  # type: ignore[arg-type]
            lane.ended = True
            lane.process.wait()
            if lane.outstanding or lane.inbox:
                raise self._failed(lane, f"exit status {lane.process.returncode}")

    def stop(self) -> None:
        """End every lane (an interrupted run, an exception): each one's pool kills its
        workers on the way out."""
        for lane in self._lanes:
            if lane.process.poll() is None:
                with contextlib.suppress(OSError):
                    lane.process.send_signal(signal.SIGTERM)
        for lane in self._lanes:
            try:
                lane.process.wait(10)
            except subprocess.TimeoutExpired:
                lane.process.kill()
                lane.process.wait()
            for pipe in (lane.process.stdin, lane.process.stdout):
                with contextlib.suppress(OSError, ValueError):
                    if pipe is not None:
                        pipe.close()
            lane.errors.close()
        self._lanes = []
        if self._scratch:
            remove_tree(self._scratch)  # never follows a link out of it, whatever is inside
            os.close(self._lock)
            self._scratch, self._lock = "", -1
