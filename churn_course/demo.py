"""What notebook 06's demonstration cells share: say plainly what to do first, instead of a
traceback, when a cell they need has not run yet."""

from __future__ import annotations

import inspect


def missing(*names: str) -> bool:
    """True (after printing one line) when any of `names` is not defined in the notebook yet.

    Demonstration cells start with `if not missing("run_batch_job", ...):`, so a learner who
    runs the notebook top to bottom before writing their answers sees what to write, not a
    NameError.
    """
    frame = inspect.currentframe()
    caller = frame.f_back.f_globals if frame and frame.f_back else {}
    absent = [name for name in names if name not in caller]
    if absent:
        listed = ", ".join(f"`{n}`" for n in absent)
        print(f"Demonstration skipped: {listed} not defined yet. Write your answer above and "
              "run it (and the demonstrations before this one), then run this cell again.")
    return bool(absent)
