"""A grading lane: a trusted process that plans, runs and judges notebooks, so that the
coordinating process only hands out work and stores verdicts.

The coordinator (`grade`, the instructor's own process) starts a few lanes, one per core at
most (`lanes.py`). A lane reads jobs, one JSON line each, on its stdin: which notebook, the
content hash the coordinator found and where its bytes are (a file, a zip member, or the bytes
themselves). For each it reads the bytes again and checks they are the ones hashed, plans them
(`plan_notebook`: parsing untrusted JSON within bounds), runs them in its own sandboxed
fork-server pool (`WorkerPool`: every isolation of a local run) with questions its harness drew
for this run (`harness.ask`), judges the worker's answers (`harness.judge`) and writes one line
back: a small JSON header (status, points), a tab, and the
whole verdict as JSON, which the coordinator stores as it is. Learner code never runs in a
lane: a lane only forks sandboxed workers and reads what they send as data.

The same `grade_jobs` runs inside a Dask task for `--cluster` (`cluster.py`), with the bytes in
the job, since a worker host can't read the instructor's files.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import signal
import sys
from collections.abc import Callable, Iterable
from typing import Any

from ..spec import ALL_STEPS, Step, unit
from . import harness
from .notebook import (
    MAX_NOTEBOOK_BYTES,
    InvalidNotebook,
    Parsed,
    Plan,
    plan_notebook,
    read_notebook,
)
from .protocol import LaneJob, LaneSettings, VerdictHeader, decode, encode
from .readers import READ_ERRORS, Opener
from .verdicts import failed

STEP_OF = {unit(s): s for s in ALL_STEPS}
READY = b'{"lane": "ready"}\n'


# (job index, NotebookGrade, sandbox warnings, again): `again` marks a verdict about this run's
# reading of the file (gone, unreadable, changed since it was hashed), not about its bytes: it is
# told, never kept as those bytes' verdict
Emit = Callable[[int, Any, list[str], bool], None]


def handin_hash(notebook_sha: str, attached: list[tuple[str, str]]) -> str:
    """A hand-in's content hash: its notebook's sha256, or, when files travel with it (the
    quiz's saved answers), a hash over the notebook's and theirs, so a changed answers file is
    a changed hand-in."""
    if not attached:
        return notebook_sha
    digest = hashlib.sha256(notebook_sha.encode())
    for name, sha in attached:
        digest.update(f"\0{name}\0{sha}".encode())
    return digest.hexdigest()


def _bytes(where: dict, opener: Opener) -> bytes:
    if "data" in where:
        return base64.b64decode(where["data"])
    return opener.read(where)


def read_job(job: LaneJob, opener: Opener) -> tuple[bytes, tuple[tuple[str, bytes], ...]]:
    """The notebook's bytes and its attached files, checked to be those the coordinator
    hashed."""
    try:
        data = _bytes(job.handin, opener)
        files = tuple((str(name), _bytes(where, opener)) for name, where in job.files)
    except READ_ERRORS as err:
        raise InvalidNotebook(f"the file could not be read ({err})") from None
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise InvalidNotebook(f"the file is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
    found = handin_hash(hashlib.sha256(data).hexdigest(),
                        [(name, hashlib.sha256(content).hexdigest()) for name, content in files])
    if found != job.sha:
        raise InvalidNotebook("it changed while the class was being graded; grade again")
    return data, files


class ReadOnce:
    """The notebooks this lane read last, by content hash: a notebook of several steps (06)
    comes as one job per step, one after the other, and is parsed once, not once per step."""

    KEEP = 4

    def __init__(self) -> None:
        self._read: dict[str, Parsed | str] = {}  # its cells, or why it can't be read

    def __call__(self, sha: str, data: bytes) -> Parsed:
        found = self._read.pop(sha, None)
        if found is None:
            try:
                found = read_notebook(data)
            except InvalidNotebook as err:
                found = str(err)  # not the error: its traceback holds the file's bytes
        self._read[sha] = found  # newest last
        while len(self._read) > self.KEEP:
            del self._read[next(iter(self._read))]
        if isinstance(found, str):
            raise InvalidNotebook(found)
        return found


def grade_jobs(jobs: Iterable[LaneJob], pool: Any, emit: Emit,
               opener: Opener | None = None) -> None:
    """Plan, run (in `pool`) and judge every job; `emit` each verdict as soon as it exists.
    A notebook the machine kept from grading (a `fault`, after retries) is told as a grader
    problem for that notebook, never stored, and the run goes on."""
    opener = opener or Opener()
    waiting: dict[int, tuple[Step, str, Plan]] = {}
    read = ReadOnce()

    def planned() -> Iterable[tuple[int, Any]]:
        for job in jobs:
            step, index = STEP_OF[job.unit], job.i
            try:
                data, files = read_job(job, opener)
            except InvalidNotebook as err:
                emit(index, failed(step, "invalid", str(err), sha256=job.sha), [], True)
                continue
            try:
                plan = dataclasses.replace(plan_notebook(read(job.sha, data), step.key),
                                           files=files)
            except InvalidNotebook as err:
                emit(index, failed(step, "invalid", str(err), sha256=job.sha), [], False)
                continue
            plan = harness.ask(plan)
            waiting[index] = (step, job.sha, plan)
            yield index, plan

    try:
        for outcome in pool.run(planned()):
            step, sha, plan = waiting.pop(outcome.key)
            if outcome.status == "ok" and outcome.reply is not None:
                grade = harness.judge(step, plan, outcome.reply, outcome.seconds, sha,
                                      plan.notes)
            else:
                status = "error" if outcome.status == "fault" else outcome.status
                grade = failed(step, status, outcome.message, seconds=outcome.seconds,
                               sha256=sha, notes=list(plan.notes))
            emit(outcome.key, grade, [], outcome.status == "fault")
    finally:
        opener.close()


def result_line(index: int, grade: Any, warnings: list[str], again: bool = False) -> bytes:
    """One verdict for the coordinator: `header<TAB>verdict`. JSON escapes every tab and line
    break inside a string, so the first tab and the line's end can't be forged. A lone
    surrogate (learner code can print or raise `"\\ud800"`) becomes `?`: it is no text any file
    can hold, and the reports written from this verdict would fail on it."""
    header = VerdictHeader(index, grade.status, grade.points, grade.max_points, grade.seconds,
                           list(warnings), again)
    verdict = json.dumps(grade.to_dict(), ensure_ascii=False).encode("utf-8", "replace")
    return encode(header) + b"\t" + verdict + b"\n"


def _die_with_parent(parent: int) -> None:
    """If the coordinator is killed outright, its lanes (and so their workers) stop too."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it died before the line above
        raise SystemExit(143)


def _on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(143)  # unwinds through the pool, which kills its workers


def main() -> int:
    """A lane's process: the first stdin line is its settings, then one job per line."""
    from .pool import GraderFailure, WorkerPool

    signal.signal(signal.SIGTERM, _on_sigterm)
    stdin = sys.stdin.buffer
    # The verdicts go out on a private copy of stdout; fd 1 becomes stderr, so nothing printed
    # by a library (or inherited by the fork server) can mix into them or hold the pipe open.
    stdout = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    stdout.write(READY)  # whatever reached the pipe before this (a sitecustomize's print) is not
    stdout.flush()  # a verdict
    settings = decode(LaneSettings, stdin.readline())
    _die_with_parent(settings.parent)
    pool = WorkerPool(settings.jobs, settings.limits, hide=settings.hide, walls=settings.walls)

    def jobs() -> Iterable[LaneJob]:
        for line in iter(stdin.readline, b""):
            yield decode(LaneJob, line)

    def emit(index: int, grade: Any, warnings: list[str], again: bool) -> None:
        stdout.write(result_line(index, grade, warnings, again))
        stdout.flush()

    try:
        pool.start()  # the walls are known before any notebook: said now, not after grading
        stdout.write(json.dumps({"warnings": pool.warnings}).encode() + b"\n")
        stdout.flush()
        grade_jobs(jobs(), pool, emit)
    except GraderFailure as err:
        stdout.write(json.dumps({"failure": str(err)}).encode() + b"\n")
        return 3
    finally:
        stdout.write(json.dumps({"problems": pool.problems}).encode() + b"\n")
        stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
