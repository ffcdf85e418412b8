"""Step 4: print `batch_results`, then the real-time prediction for customer 105 (value 0.7)."""

from __future__ import annotations

import ast
import re

from ..snapshot import Snapshot
from ..spec import EXPECTED_BATCH, EXPECTED_CUSTOMERS
from . import Finding, check, fail, not_started, ok
from .code import calls_to, has_code, parse

BATCH_LINE = str(EXPECTED_BATCH)
CUSTOMERS_LINE = str(EXPECTED_CUSTOMERS)
HINT = "`print(batch_results)` on one line, then `print(predict(0.7))` on the next."
VERDICT_AT_END = re.compile(r"(?:^|[\s:=,(-])(True|False)\s*\)?$")


def _source(snap: Snapshot) -> str:
    return snap.sources[-1] if snap.sources else ""


def _lines(snap: Snapshot) -> list[str]:
    printed = snap.printing.printed if snap.printing else ""
    return [line.strip() for line in printed.splitlines() if line.strip()]


def _bare_expressions(tree: ast.Module | None) -> bool:
    if tree is None:
        return False
    return any(isinstance(node, ast.Expr) and not (
        isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "print") for node in tree.body)


def _nothing_printed(snap: Snapshot) -> Finding | None:
    """The shared verdict when the answer cell printed nothing at all (or could not run)."""
    source = _source(snap)
    if not has_code(source):
        return not_started("Nothing printed yet: write the two `print` lines in the answer cell "
                           "and run it.", HINT)
    if snap.printing and snap.printing.outcome == "raised":
        return fail(f"Your answer cell stopped with `{snap.printing.error}`.",
                    "Run the cells above it first, then fix the error. " + HINT)
    if snap.printing and snap.printing.outcome == "timeout":
        return fail("Your answer cell did not finish within a second.", HINT)
    if not _lines(snap):
        if _bare_expressions(parse(source)):
            return fail("Your cell shows values as bare expressions. In a notebook only the last "
                        "one is displayed, and nothing is printed: a batch job's log would be "
                        "empty.", "Wrap each value in `print(...)`. " + HINT)
        return fail("Your answer cell ran but printed nothing.", HINT)
    return None


def _batch_index(lines: list[str]) -> int | None:
    return next((i for i, line in enumerate(lines) if BATCH_LINE in line), None)


@check("4", "prints_batch", "prints the batch results `[False, True, False, True]`")
def prints_batch(snap: Snapshot) -> Finding:
    empty = _nothing_printed(snap)
    if empty:
        return empty
    lines = _lines(snap)
    if _batch_index(lines) is not None:
        return ok("The batch results `[False, True, False, True]` are printed.")
    if any(CUSTOMERS_LINE in line or "(101, 0.2)" in line for line in lines):
        return fail("You printed the customers, not the predictions.",
                    "Print `batch_results`, the list of predictions: `print(batch_results)`.")
    return fail(f"The batch results weren't printed. Your cell printed: `{lines[0][:80]}`.",
                HINT)


def _realtime_call_mistake(tree: ast.Module | None) -> Finding | None:
    if tree is None:
        return None
    for call in calls_to(tree, "predict"):
        arg = call.args[0] if call.args else None
        if isinstance(arg, ast.Constant) and arg.value == 105:
            return fail("You called `predict(105)`: 105 is the customer's ID, not the feature "
                        "value. The model scores features.", "Pass customer 105's feature: "
                        "`print(predict(0.7))`.")
        if isinstance(arg, ast.Tuple):
            return fail("You passed a whole `(ID, value)` tuple to `predict`; it takes just the "
                        "feature value.", "`print(predict(0.7))`")
    for call in calls_to(tree, "print"):
        if any(isinstance(a, ast.Constant) and a.value is True for a in call.args):
            return fail("You printed `True` typed in by hand. Real-time serving asks the model: "
                        "print what `predict` returns.", "`print(predict(0.7))`")
    return None


@check("4", "prints_realtime", "then prints the real-time prediction for customer 105: `True`")
def prints_realtime(snap: Snapshot) -> Finding:
    mistake = _realtime_call_mistake(parse(_source(snap)))
    if mistake:
        return mistake
    empty = _nothing_printed(snap)
    if empty:
        return empty
    lines = _lines(snap)
    start = _batch_index(lines)
    after = lines[start + 1:] if start is not None else lines
    verdicts = [m.group(1) for line in after if (m := VERDICT_AT_END.search(line))
                and BATCH_LINE not in line]
    if verdicts and verdicts[0] == "True":
        return ok("The real-time prediction for customer 105, `True`, is printed after the "
                  "batch.")
    if verdicts:
        return fail("The real-time prediction printed `False`, but customer 105's value 0.7 is "
                    "above the threshold, so `predict(0.7)` is `True`.",
                    "Print `predict(0.7)`: the feature value of customer 105.")
    if start is not None and re.search(r"\]\s*,?\s*True\s*$", lines[start]):
        return fail("Both results are on one line; print them on two lines, batch first, then "
                    "real time.", HINT)
    if start is not None and any(VERDICT_AT_END.search(line) for line in lines[:start]):
        return fail("The real-time prediction is printed, but the batch results should come "
                    "first.", HINT)
    return fail("The real-time prediction wasn't printed after the batch results.",
                "Add `print(predict(0.7))` after `print(batch_results)`.")
