"""A time limit for learner code that runs in the learner's own kernel.

Shared by the probe (a check calling `predict`) and the live serving panel (a request to
`predict`): a `predict` that never returns must cost the learner a second, not their kernel.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


class TimeUp(BaseException):
    """Raised inside learner code when its time is up. A BaseException, so a learner's
    `except Exception:` can't swallow it."""


def can_interrupt() -> bool:
    """Whether a SIGALRM timer can stop code here: POSIX only, main thread only, and never on
    top of someone else's running timer (pytest-timeout, say), which we would break."""
    return (hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0)


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise `TimeUp` in the block after `seconds` where that is possible; elsewhere the block
    runs unguarded (a hung call then hangs the cell, and the learner can interrupt it)."""
    if not can_interrupt():
        yield
        return

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
