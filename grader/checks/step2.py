"""Step 2: `threshold` is the number 0.6."""

from __future__ import annotations

from ..snapshot import Snapshot, a_kind
from ..spec import EXPECTED_THRESHOLD
from . import Finding, check, fail, not_started, ok

HINT = "Assign a plain number: no quotes, no percent, a decimal point."
LINE = "threshold = 0.6"


@check("2", "threshold", "`threshold` is the number 0.6", reads=("threshold",), line=LINE)
def threshold(snap: Snapshot) -> Finding:
    if not snap.has("threshold"):
        return not_started("`threshold` is not defined yet. Write it in the answer cell and run "
                           "that cell.", HINT, LINE)
    value = snap.value("threshold")
    if isinstance(value, bool):
        return fail(f"`threshold` is `{value}`, a yes/no value, not the number 0.6.", HINT, LINE)
    if isinstance(value, str):
        return fail(f"`threshold` is the text `{value!r}`. Text can't be compared with numbers.",
                    "Remove the quotes around the number.", LINE)
    if type(value) not in (int, float):
        return fail(f"`threshold` is {a_kind(value)}; it should be a plain number.", HINT, LINE)
    if abs(value - EXPECTED_THRESHOLD) < 1e-9:
        return ok("`threshold` is 0.6.")
    if abs(value - 60) < 1e-9:
        return fail("`threshold` is 60: that looks like a percentage. Feature values go from 0 "
                    "to 1, so write the fraction.", HINT, LINE)
    if abs(value - 6) < 1e-9:
        return fail("`threshold` is 6: the decimal point is missing.", HINT, LINE)
    if abs(value - 0.06) < 1e-9:
        return fail("`threshold` is 0.06, ten times too small.", HINT, LINE)
    return fail(f"`threshold` is {value!r}; the step asks for 0.6.", HINT, LINE)
