"""A time limit for learner code that runs in the learner's own kernel.

Shared by the probe (a check calling `predict`) and the live serving panel (a request to
`predict`): a `predict` that never returns must cost the learner a second, not their kernel.

The way the limit is enforced is chosen here, and only here, by what the running Python can
do (see `guard_for_here`):

- ``"signal"``: a SIGALRM timer interrupts the code wherever it is (desktop kernels, grading
  workers: POSIX, main thread, no other timer running).
- ``"trace"``: where the platform has no signal timers at all (the browser's Pyodide kernel),
  a `sys.settrace` hook watches the learner's Python instructions and raises once the time is
  up. It stops Python loops (``while True: pass``); a single long call into C
  (``sum(range(10**12))``) runs to its end, since no Python runs in between. Tracing every
  instruction slows learner code many times over, so it is not used where signals exist but
  can't be used just now (a thread, a timer already running).
- ``"none"``: otherwise (or when a debugger already owns the trace hook): the block runs
  unguarded, and a hung call hangs the cell until the learner interrupts it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from sys import gettrace, settrace
from time import monotonic
from typing import Any, Literal

Guard = Literal["signal", "trace", "none"]


class TimeUp(BaseException):
    """Raised inside learner code when its time is up. A BaseException, so a learner's
    `except Exception:` can't swallow it."""


def can_interrupt() -> bool:
    """Whether a SIGALRM timer can stop code here: POSIX only, main thread only, and never on
    top of someone else's running timer (pytest-timeout, say), which we would break."""
    return (hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0)


def can_trace() -> bool:
    """Whether the trace hook is ours to take: not while a debugger or coverage tool holds it."""
    return gettrace() is None


def guard_for_here() -> Guard:
    """How `time_limit` will enforce its limit in this interpreter and thread, right now."""
    if can_interrupt():
        return "signal"
    if not hasattr(signal, "setitimer") and can_trace():
        return "trace"
    return "none"


@contextlib.contextmanager
def _signal_limit(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise TimeUp

    previous = signal.signal(signal.SIGALRM, expire)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _trace_limit(seconds: float) -> Iterator[None]:
    """Raise `TimeUp` from the first traced event past the deadline.

    The hook is installed for frames called from inside the block (not the block's own frame,
    so the exception leaves learner code and reaches the caller's `except TimeUp`). Python
    removes a hook that raises, so the learner's code runs untraced afterwards; the block's
    end restores whatever hook was there before (none).
    """
    end = monotonic() + seconds

    def on_event(frame: Any, event: str, arg: Any) -> Any:
        # Per-instruction events: `while True: pass` is one jump to itself, which raises no
        # "line" event in CPython 3.11.
        frame.f_trace_opcodes = True
        if monotonic() >= end:
            raise TimeUp
        return on_event

    previous = gettrace()
    settrace(on_event)
    try:
        yield
    finally:
        settrace(previous)


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise `TimeUp` in the block after `seconds`, by the means `guard_for_here` picks."""
    guard = guard_for_here()
    if guard == "signal":
        with _signal_limit(seconds):
            yield
    elif guard == "trace":
        with _trace_limit(seconds):
            yield
    else:
        yield
