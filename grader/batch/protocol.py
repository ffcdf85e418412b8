"""Every message between the grading processes, as typed records.

    coordinator --LaneSettings, LaneJob--> lane --ServerSettings, ForkRequest--> fork server
    coordinator <--VerdictHeader---------- lane <--ServerReady, Forked, Exited-- fork server
                                           lane --WorkerJob--> worker (forked by the server)
                                           lane <--Handshake (READY/FAILED), Reply-- worker

Each record is a frozen dataclass that says what it carries; `encode` turns one into JSON
bytes and `decode(Record, data)` reads it back, checking every field's type against the
annotations (a message that doesn't fit raises `ProtocolError`, never half-reads). Only trusted
processes exchange these records, but one: the `Reply` a worker sends after READY is written by
a process learner code controls, so `Reply.read` checks every field's type *and bound*, one run
per cell and one answer per question (each answer is then read against its own question by
`snapshot.build_snapshots`); anything else is that learner's `error`. The questions themselves
are records of `grader.questions` (the learner's own kernel asks them too).

Kept import-light: the fork server and every worker import it.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar, Union

from ..questions import MAX_ERROR, MAX_PRINTED, Question

MB = 1024 * 1024
T = TypeVar("T")


class ProtocolError(ValueError):
    """A message that is not the record it should be."""


# ----------------------------------------------------------------------------- records
@dataclass(frozen=True)
class Limits:
    """What one notebook may use. Part of the gradebook's cache key: new limits, new grades."""

    timeout: float = 30.0  # wall-clock seconds for learner code, from READY; enforced by the lane
    memory_mb: int = 512  # memory learner code may add (heap, its /tmp, shared memory: all told)
    output_bytes: int = 100_000  # captured stdout + stderr kept per notebook
    file_mb: int = 16  # largest file learner code may write
    processes: int = 0  # child processes learner code may start (0: none)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class LaneJob:
    """One notebook for a lane: the coordinator's index, its step's unit, the content hash the
    coordinator found, and where its bytes (and attached files') are: `{"data": base64}`, or
    a reader's locator (a file, a zip member; see `readers.py`)."""

    i: int
    unit: str
    sha: str
    handin: dict
    files: list[tuple[str, dict]] = field(default_factory=list)


@dataclass(frozen=True)
class LaneSettings:
    """A lane's first line: how many notebooks at once, their limits, which walls, the paths no
    worker may see (and that no allowed path may contain), and whom to die with."""

    jobs: int
    limits: Limits
    hide: list[str]
    walls: str
    parent: int


@dataclass(frozen=True)
class VerdictHeader:
    """A lane's line for one notebook is `header<TAB>verdict JSON`; `again` marks a verdict
    about this run (a file that changed, a grader fault), told but never stored."""

    i: int
    status: str
    points: float
    max_points: float
    seconds: float
    warnings: list[str] = field(default_factory=list)
    again: bool = False


@dataclass(frozen=True)
class ServerSettings:
    """What a fork server needs, sent on its socket once it has started (never in its
    arguments or environment): where Python imports from, and which walls to build."""

    sys_path: list[str]
    allow: list[str]  # read-only: the allowlist every worker sees
    walls: str  # "full" (root: its own view, user ids, cgroups) or "landlock"
    limits: Limits
    slots: list[int]  # a server per slot; how many cgroup descriptors each joins (sent along)


@dataclass(frozen=True)
class ForkRequest:
    """Fork one worker (its job and result descriptors travel beside this record)."""

    slot: int
    uid: int | None
    workdir: str | None  # "landlock" walls: the folder the lane made for it; else None


@dataclass(frozen=True)
class Forked:
    pid: int


@dataclass(frozen=True)
class Exited:
    pid: int
    status: int  # as os.waitpid gives it


@dataclass(frozen=True)
class ServerReady:
    """The fork server's first word: the walls it could build, or why not."""

    walls: str
    problem: str = ""
    slots: list[int] = field(default_factory=list)  # each slot's server's pid (sockets along)


@dataclass(frozen=True)
class WorkerJob:
    """What one worker runs, read from its own descriptor (never through the fork server)."""

    step: str
    cells: list[tuple[str, str]]
    sources: list[tuple[str, str]]  # (cell id, source) of the cells whose prints are told
    files: list[tuple[str, bytes]]
    limits: Limits
    questions: list[dict] = field(default_factory=list)  # `questions.question_data` each


# -------------------------------------------------------- the READY / FAILED handshake
# A worker's first byte on its result pipe, once its walls stand and before any learner code
# runs; two more bytes say what was achieved (the lane trusts them, not what follows).
# FAILED instead, with a reason, when the walls could not be built.
READY = b"\x06"
FAILED = b"\x15"
USERS = {"unprivileged": b"u", "same user": b"s", "root": b"0"}
WALLS = {"full": b"f", "landlock": b"l", "none": b"h"}


@dataclass(frozen=True)
class Handshake:
    user: str
    walls: str

    def message(self) -> bytes:
        return READY + USERS[self.user] + WALLS[self.walls]

    @classmethod
    def read(cls, data: bytes) -> Handshake | None:
        """From the start of a worker's output; None if it never got ready."""
        if len(data) < 3 or data[:1] != READY:
            return None
        user = {v: k for k, v in USERS.items()}.get(data[1:2])
        walls = {v: k for k, v in WALLS.items()}.get(data[2:3])
        return cls(user, walls) if user and walls else None


# ------------------------------------------------ the worker's reply (the learner's say)
MAX_OUTPUT = 100_000  # characters of a notebook's printed output kept for the instructor
MAX_NAMES = 50  # modules named as changed by learner code
MAX_NAME = 100


@dataclass(frozen=True)
class CellRun:
    """How one cell's run ended ("" when it ran cleanly, else its error: "NameError: ...")
    and, for a cell whose prints the checks read, what it printed (else None)."""

    error: str = ""
    printed: str | None = None


@dataclass(frozen=True)
class Reply:
    """What a worker sends back once, after learner code has run."""

    cells: tuple[CellRun, ...]  # one per cell of the plan, in order
    answers: tuple[Any, ...]  # one JSON answer per question, in order
    tampered: tuple[str, ...] = ()  # grader modules learner code changed (restored since)
    tampered_during: tuple[str, ...] = ()  # ... changed while its answers were being given
    output: str = ""  # what the notebook printed, capped
    dropped: int = 0  # characters of printed output beyond the cap
    problem: str = ""  # why no answers came (the probe could not run), in the worker's words

    def to_data(self) -> dict[str, Any]:
        return {"cells": [{"error": c.error, "printed": c.printed} for c in self.cells],
                "answers": list(self.answers),
                "tampered": list(self.tampered), "tampered_during": list(self.tampered_during),
                "output": self.output, "dropped": self.dropped, "problem": self.problem}

    @classmethod
    def read(cls, raw: object, cells: int, questions: tuple[Question, ...]) -> Reply:
        """The reply in `raw` (decoded JSON) to a plan of `cells` cells and these questions."""
        if not isinstance(raw, dict):
            raise ProtocolError("the reply is not a record")
        problem = _text(raw, "problem", MAX_ERROR)
        runs = raw.get("cells")
        if not isinstance(runs, list) or len(runs) != cells:
            raise ProtocolError(f"the reply does not tell how each of the {cells} cells ran")
        answers = raw.get("answers")
        wanted = 0 if problem else len(questions)
        if not isinstance(answers, list) or len(answers) != wanted:
            raise ProtocolError(f"the reply does not hold one answer for each of the {wanted} "
                                "questions")
        output = raw.get("output", "")
        dropped = raw.get("dropped", 0)
        if not isinstance(output, str) or type(dropped) is not int or dropped < 0:
            raise ProtocolError("the reply's printed output is malformed")
        return cls(tuple(_cell_run(run) for run in runs), tuple(answers),
                   _names(raw, "tampered"), _names(raw, "tampered_during"),
                   output[:MAX_OUTPUT], dropped + max(0, len(output) - MAX_OUTPUT), problem)


def _text(raw: dict, key: str, limit: int) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or len(value) > limit:
        raise ProtocolError(f"the reply's {key} is not a string of at most {limit} characters")
    return value


def _cell_run(raw: object) -> CellRun:
    if not isinstance(raw, dict):
        raise ProtocolError("a cell's run is not a record")
    printed = raw.get("printed")
    if printed is not None and (not isinstance(printed, str) or len(printed) > MAX_PRINTED):
        raise ProtocolError(f"what a cell printed is not a string of at most {MAX_PRINTED:,} "
                            "characters")
    return CellRun(_text(raw, "error", MAX_ERROR), printed)


def _names(raw: dict, key: str) -> tuple[str, ...]:
    names = raw.get(key, [])
    if not isinstance(names, list) or len(names) > MAX_NAMES or not all(
            isinstance(n, str) and len(n) <= MAX_NAME for n in names):
        raise ProtocolError(f"the reply's {key} is malformed")
    return tuple(names)


# ------------------------------------------------------------------------ encoding
def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def encode(record: Any) -> bytes:
    """One record as compact JSON bytes (no line breaks: one record per line where lines are
    the framing)."""
    return json.dumps(_plain(record), separators=(",", ":")).encode("utf-8")


def to_dict(record: Any) -> dict:
    return typing.cast(dict, _plain(record))


def _fail(where: str, wanted: Any, value: Any) -> ProtocolError:
    return ProtocolError(f"{where}: expected {getattr(wanted, '__name__', wanted)}, "
                         f"got {type(value).__name__}")


def _convert(kind: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(kind)
    if kind is Any:
        return value
    if origin in (Union, types.UnionType):
        for option in typing.get_args(kind):
            try:
                return _convert(option, value, where)
            except ProtocolError:
                continue
        raise _fail(where, kind, value)
    if kind is type(None):
        if value is None:
            return None
        raise _fail(where, "None", value)
    if dataclasses.is_dataclass(kind):
        return from_dict(typing.cast(type, kind), value, where)
    if kind is bytes:
        if not isinstance(value, str):
            raise _fail(where, bytes, value)
        try:
            return base64.b64decode(value, validate=True)
        except ValueError as err:
            raise ProtocolError(f"{where}: not base64") from err
    if kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise _fail(where, float, value)
    if kind in (int, str, bool):
        if type(value) is not kind:
            raise _fail(where, kind, value)
        return value
    if origin is list or kind is list:
        if not isinstance(value, list):
            raise _fail(where, list, value)
        args = typing.get_args(kind)
        return [_convert(args[0], v, f"{where}[{n}]") for n, v in enumerate(value)] if args \
            else value
    if origin is tuple:
        args = typing.get_args(kind)
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            raise _fail(where, f"a pair of {len(args)}", value)
        return tuple(_convert(a, v, f"{where}[{n}]")
                     for n, (a, v) in enumerate(zip(args, value, strict=True)))
    if origin is dict or kind is dict:
        if not isinstance(value, dict):
            raise _fail(where, dict, value)
        return value
    raise ProtocolError(f"{where}: no rule for {kind}")


@functools.cache
def _fields(record: type) -> tuple[dict[str, Any], dict[str, dataclasses.Field]]:
    return (typing.get_type_hints(record),
            {f.name: f for f in dataclasses.fields(record)})


def from_dict(record: type[T], data: Any, where: str = "") -> T:
    """`data` (parsed JSON) as a `record`, every field checked; unknown fields refused."""
    name = where or record.__name__
    if not isinstance(data, dict):
        raise _fail(name, dict, data)
    hints, fields = _fields(record)  # type: ignore[arg-type]
    unknown = set(data) - set(fields)
    if unknown:
        raise ProtocolError(f"{name}: unknown field(s) {sorted(unknown)}")
    values = {}
    for key, spec in fields.items():
        if key not in data:
            if spec.default is dataclasses.MISSING and \
                    spec.default_factory is dataclasses.MISSING:
                raise ProtocolError(f"{name}: {key} is missing")
            continue
        values[key] = _convert(hints[key], data[key], f"{name}.{key}")
    return record(**values)


def decode(record: type[T], data: bytes | str) -> T:
    """A record from its JSON; `ProtocolError` if it is anything else."""
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError) as err:
        raise ProtocolError(f"{record.__name__}: not JSON") from err
    return from_dict(record, parsed)
