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
HINT = "Two `print` calls: the variable `batch_results`, then `predict` on customer 105's value."
LINE = "print(batch_results)\nprint(predict(0.7))"
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
                           "and run it.", HINT, LINE)
    if snap.printing and snap.printing.outcome == "raised":
        return fail(f"Your answer cell stopped with `{snap.printing.error}`.",
                    "Run the cells above it first, then fix the line the error points to.", LINE)
    if snap.printing and snap.printing.outcome == "timeout":
        return fail("Your answer cell did not finish within a second.", HINT, LINE)
    if not _lines(snap):
        if _bare_expressions(parse(source)):
            return fail("Your cell shows values as bare expressions. In a notebook only the last "
                        "one is displayed, and nothing is printed: a batch job's log would be "
                        "empty.", "Wrap each value in `print(...)`.", LINE)
        return fail("Your answer cell ran but printed nothing.", HINT, LINE)
    return None


def _typed_in(tree: ast.Module | None, batch: bool) -> bool:
    """True when a `print` shows a value typed in by hand: the batch list (`[False, True, ...]`)
    or the real-time verdict (`True`, `"True"`), instead of the variable or `predict`'s answer."""
    for call in calls_to(tree, "print") if tree is not None else []:
        for arg in call.args:
            if batch and isinstance(arg, ast.List) and arg.elts and all(
                    isinstance(e, ast.Constant) for e in arg.elts):
                return True
            value = arg.value if isinstance(arg, ast.Constant) else None
            if batch and isinstance(value, str) and "[" in value and ("True" in value
                                                                      or "False" in value):
                return True
            if not batch and (value is True or (isinstance(value, str)
                                                and value.strip() == "True")):
                return True
    return False


def _batch_index(lines: list[str]) -> int | None:
    return next((i for i, line in enumerate(lines) if BATCH_LINE in line), None)


@check("4", "prints_batch", "prints the batch results `[False, True, False, True]`", line=LINE)
def prints_batch(snap: Snapshot) -> Finding:
    empty = _nothing_printed(snap)
    if empty:
        return empty
    lines = _lines(snap)
    if _batch_index(lines) is not None:
        if _typed_in(parse(_source(snap)), batch=True):
            return fail("You printed the list `[False, True, False, True]` typed in by hand. A "
                        "batch job prints what it computed: print the variable.",
                        "Print the variable that holds the batch results.", LINE)
        return ok("The batch results `[False, True, False, True]` are printed.")
    if any(CUSTOMERS_LINE in line or "(101, 0.2)" in line for line in lines):
        return fail("You printed the customers, not the predictions.",
                    "Print `batch_results`, the list of predictions.", LINE)
    return fail(f"The batch results weren't printed. Your cell printed: `{lines[0][:80]}`.",
                HINT, LINE)


def _realtime_call_mistake(tree: ast.Module | None) -> Finding | None:
    if tree is None:
        return None
    for call in calls_to(tree, "predict"):
        arg = call.args[0] if call.args else None
        if isinstance(arg, ast.Constant) and arg.value == 105:
            return fail("You called `predict(105)`: 105 is the customer's ID, not the feature "
                        "value. The model scores features.", "Pass customer 105's feature "
                        "value instead of its ID.", LINE)
        if isinstance(arg, ast.Tuple):
            return fail("You passed a whole `(ID, value)` tuple to `predict`; it takes just the "
                        "feature value.", "Pass just the feature value of customer 105.", LINE)
    if _typed_in(tree, batch=False):
        return fail("You printed `True` typed in by hand. Real-time serving asks the model: "
                    "print what `predict` returns.", "Print the answer of `predict` for "
                    "customer 105's feature value.", LINE)
    return None


@check("4", "prints_realtime", "then prints the real-time prediction for customer 105: `True`",
       line=LINE)
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
                    "Call `predict` with customer 105's feature value.", LINE)
    if start is not None and re.search(r"\]\s*,?\s*True\s*$", lines[start]):
        return fail("Both results are on one line; print them on two lines, batch first, then "
                    "real time.", HINT, LINE)
    if start is not None and any(VERDICT_AT_END.search(line) for line in lines[:start]):
        return fail("The real-time prediction is printed, but the batch results should come "
                    "first.", HINT, LINE)
    return fail("The real-time prediction wasn't printed after the batch results.",
                "Add a second `print`: what `predict` says for customer 105.", LINE)
