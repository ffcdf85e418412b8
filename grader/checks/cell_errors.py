"""When the latest run of a learner's cell failed: which name it leaves stale, and why, in words.

A notebook keeps the values of earlier runs, so a cell that raised can leave an older, right
value behind (or none at all). The snapshot carries each source's last outcome; a check that
reads a name trusts its value only if the newest cell that (re)binds the name ran cleanly (see
`stale.py` for a cell that ran again and no longer binds it).
Pure functions of the snapshot, like every check, so inline and batch verdicts agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..part2.facts import defined
from ..snapshot import Snapshot
from ..values import with_article
from .stale import newest_binding, superseded


@dataclass(frozen=True)
class BrokenCell:
    name: str  # the name the cell defines, e.g. "batch_results"
    source: str
    error: str  # "TypeError: '>' not supported between ..."
    defined: bool = False  # the name still holds a value (Part 2's facts say so)


def broken_cell(snap: Snapshot, names: tuple[str, ...]) -> BrokenCell | None:
    """The first of `names` whose newest defining cell raised on its latest run (that run, or
    a later run of the same cell that no longer defines it)."""
    for name in names:
        index = newest_binding(snap, name)
        if index is None:
            continue
        latest = superseded(snap, index)
        latest = index if latest is None else latest
        if snap.errors[latest]:
            return BrokenCell(name, snap.sources[latest], snap.errors[latest],
                              defined(snap.facts, name))
    return None


_KIND = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)(?::\s*(.*))?$", re.DOTALL)
_A = {"tuple": "a tuple", "float": "a float", "int": "an int", "str": "a text (str)",
      "list": "a list", "NoneType": "None", "function": "a function", "dict": "a dict",
      "bool": "a bool"}
_COMPARE = re.compile(r"'(.{1,2})' not supported between instances of '(\w+)' and '(\w+)'")
_UNDEFINED = re.compile(r"name '(\w+)' is not defined")
_ARGS = re.compile(r"(\w+)\(\) takes (\d+) positional arguments? but (\d+) (?:was|were) given")
_MISSING = re.compile(r"(\w+)\(\) missing \d+ required positional argument")
_NOT_ITERABLE = re.compile(r"(?:cannot unpack non-iterable (\w+) object|'(\w+)' object is not "
                           r"iterable)")
_UNPACK = re.compile(r"(too many|not enough) values to unpack")
_NOT_CALLABLE = re.compile(r"'(\w+)' object is not callable")
_NOT_SUBSCRIPTABLE = re.compile(r"'(\w+)' object is not subscriptable")


def _a(type_name: str) -> str:
    return _A.get(type_name) or with_article(type_name)


def _why(kind: str, detail: str) -> tuple[str, str, str]:
    """(short detail in brackets, what it means, a nudge) for the mistakes learners make."""
    if match := _COMPARE.search(detail):
        op, left, right = match.groups()
        short = f"`{op}` between {_a(left)} and {_a(right)}"
        if "tuple" in (left, right):
            return (short, "each customer is a tuple `(ID, feature)`; unpack it and compare "
                    "the feature", "Loop as `for customer_id, feature in customers` and pass "
                    "`feature` on.")
        if "str" in (left, right):
            return (short, "a number written in quotes is text, and text can't be compared "
                    "with a number", "Remove the quotes around the number.")
        if "NoneType" in (left, right):
            return (short, "one side of the comparison is `None`: a value was never set or a "
                    "function returned nothing", "Check that every value you compare is a "
                    "number.")
        return (short, "these two kinds of value can't be compared", "Compare numbers with "
                "numbers.")
    if kind == "NameError" and (match := _UNDEFINED.search(detail)):
        name = match.group(1)
        return (f"`{name}` is not defined", f"`{name}` did not exist when the cell ran: run the "
                "cells above it first, or check the spelling", f"Run the cells above in order "
                f"(or Run All), then this one; check how `{name}` is spelled.")
    if match := _ARGS.search(detail):
        func, takes, given = match.groups()
        return (f"`{func}` got {given} inputs, it takes {takes}", f"`{func}` was called with "
                f"{given} values but is defined with {takes}", "Pass just the feature value: "
                f"`{func}(feature)`.")
    if match := _MISSING.search(detail):
        return (f"`{match.group(1)}` was called without its input", f"`{match.group(1)}` needs "
                "a value in its brackets", f"Call it with the feature: `{match.group(1)}(0.7)`.")
    if match := _NOT_ITERABLE.search(detail):
        what = match.group(1) or match.group(2)
        return (f"{_a(what)} is not a list", f"the loop goes over (or unpacks) {_a(what)}, "
                "which holds no items", "Loop over `customers`: `for customer_id, feature in "
                "customers`.")
    if match := _UNPACK.search(detail):
        return (f"{match.group(1)} values to unpack", "the names before `in` don't match the "
                "items: each customer is a pair, so use two names", "`for customer_id, feature "
                "in customers`")
    if match := _NOT_CALLABLE.search(detail):
        return (f"{_a(match.group(1))} was called like a function", "a name that holds a value "
                "is called with `(...)`; was a function's name reused for a value?", "Give the "
                "value its own name, and re-run the cell that defines the function.")
    if match := _NOT_SUBSCRIPTABLE.search(detail):
        return (f"`[...]` on {_a(match.group(1))}", f"`[...]` picks an item out of a list or "
                f"tuple, but this is {_a(match.group(1))}", "Check what the name holds before "
                "indexing it.")
    if kind in ("SyntaxError", "IndentationError", "TabError"):
        # no detail: IPython and plain Python word the same syntax error differently
        return ("", "Python couldn't read the cell, so "
                "none of it ran", "Look at the line the error points to: a missing bracket, "
                "colon or quote, or an indent out of line.")
    if kind == "SystemExit":
        return ("", "the cell stopped itself with `sys.exit()` or `exit()`", "Remove the exit "
                "call: a notebook cell simply ends after its last line.")
    if kind == "MemoryError":
        return ("", "the cell used more memory than there is", "Look for a loop that keeps "
                "adding to a list without end.")
    if kind == "KeyboardInterrupt":
        return ("interrupted", "the cell was stopped before it finished", "Run it again and "
                "let it finish; if it never does, look for a loop that never ends.")
    if kind == "ZeroDivisionError":
        return ("a division by zero", "something is divided by zero", "Check the divisions in "
                "that cell.")
    if kind == "IndexError":
        return (detail[:80], "an index goes past the end of a list", "Lists count from 0: the "
                "last of four items is `[3]`.")
    return (detail[:80], "", "Read the error under that cell and fix the line it points to.")


def error_name(broken: BrokenCell) -> str:
    """The exception's name alone (`TypeError`), which names the mistake in the class report."""
    match = _KIND.match(broken.error.strip())
    return match.group(1) if match else "an error"


# The grading sandbox's refusals (grader/batch/sandbox/syscalls.py) already say what happened.
REFUSED = "NotWhileGrading"
REFUSED_NUDGE = ("Take that line out of the cells that are graded: it works in your own "
                 "notebook, but graded notebooks can't start programs or open connections.")


def explain(broken: BrokenCell, still_defined: bool) -> tuple[str, str]:
    """(message, nudge) for a check whose name was left stale by a failed cell."""
    match = _KIND.match(broken.error.strip())
    kind, detail = (match.group(1), match.group(2) or "") if match else (broken.error, "")
    short, meaning, nudge = _why(kind, detail)
    is_def = re.search(rf"^\s*(?:async\s+)?def\s+{re.escape(broken.name)}\b", broken.source,
                       re.MULTILINE)
    verb = "defines" if is_def or broken.name == "predict" else "builds"
    if kind == REFUSED:
        said, nudge = f"The cell that {verb} `{broken.name}` was stopped: {detail}.", REFUSED_NUDGE
    else:
        said = f"The cell that {verb} `{broken.name}` raised `{kind}`"
        said += f" ({short})" if short else ""
        said += f": {meaning}." if meaning else "."
    state = (f"Until that cell runs cleanly, `{broken.name}` is not checked (it may hold an "
             "older value)" if still_defined or broken.defined
             else f"`{broken.name}` was not created")
    return f"{said} {state}; fix the cell and run it again.", nudge
