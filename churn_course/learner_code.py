"""Reaching the learner's own code from the serving panel: find `predict`, `customers` and
`threshold` in the notebook, call `predict` under a time limit, and turn every way it can
misbehave into one plain sentence (`Problem`), never a traceback.

This is what changes when learners find a new way to get step 1-3 wrong.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Mapping
from numbers import Real
from typing import Any

from grader.deadline import TimeUp, time_limit
from grader.values import with_article


class Problem(Exception):
    """A learner-facing explanation of why a request got no prediction."""


def format_number(value: float) -> str:
    """Show a feature the way the learner typed it (0.7, not 0.7000000000000001)."""
    return format(value, ".6g")


def describe(value: Any) -> str:
    """A short, safe description of a learner value: its repr (cut short) and its type."""
    try:
        text = repr(value)
    except Exception:  # a learner class with a broken __repr__ must not break the panel
        text = "<a value that cannot be shown>"
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({with_article(type(value).__name__)})"


def short(error: BaseException) -> str:
    """The first line of an error message, cut short so the panel stays tidy."""
    try:
        message = str(error).strip()
    except Exception:  # a learner exception with a broken __str__
        message = ""
    text = message.splitlines()[0] if message else "(no message)"
    return text if len(text) <= 120 else text[:117] + "..."


def hint_for(error: BaseException) -> str:
    """One hint aimed at the usual reason for each kind of error in a step 3 ``predict``."""
    if isinstance(error, SystemExit):
        return "predict must not stop the program (sys.exit): return True or False instead."
    if isinstance(error, NameError):
        return "A name used inside predict is not defined: run the cells above first."
    if isinstance(error, TypeError):
        return "predict is called with one number, like predict(0.7): check its parameters."
    return "Run predict(0.7) in a cell of its own to see what goes wrong."


def find_predict(namespace: Mapping[str, Any]) -> Callable[[float], Any]:
    if "predict" not in namespace:
        raise Problem("predict is not defined yet. Run the cells above (the given code "
                      "defines `def predict(feature):`), then try again.")
    predict = namespace["predict"]
    if not callable(predict):
        raise Problem(f"predict is {describe(predict)}, not a function. Run the cells above "
                      "again: the given code defines it with `def predict(feature):`.")
    return predict


def find_threshold(namespace: Mapping[str, Any]) -> float | None:
    """The notebook's `threshold` when it is a plain number (what the batch job records)."""
    value = namespace.get("threshold")
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    return float(value)


def find_customers(namespace: Mapping[str, Any]) -> list[tuple[Any, float]]:
    if "customers" not in namespace:
        raise Problem("customers is not defined yet. Run the cells above (the given code "
                      "creates the list of (ID, feature value) tuples), then try again.")
    customers = namespace["customers"]
    if not isinstance(customers, (list, tuple)):
        raise Problem(f"customers is {describe(customers)}. The batch expects a list of "
                      "(ID, feature value) tuples, like [(101, 0.2), (102, 0.8)].")
    if not customers:
        raise Problem("customers is empty, so there is nobody to score in a batch.")
    pairs: list[tuple[Any, float]] = []
    for position, entry in enumerate(customers, start=1):
        if not isinstance(entry, (list, tuple)) or len(entry) != 2:
            raise Problem(f"Entry {position} of customers is {describe(entry)}. Each entry "
                          "should be one (ID, feature value) tuple, like (101, 0.2).")
        customer_id, value = entry
        if isinstance(value, bool) or not isinstance(value, Real):
            raise Problem(f"The feature value of entry {position} of customers is "
                          f"{describe(value)}, not a number. Write it without quotes, like 0.2.")
        if isinstance(customer_id, float) and 0 <= customer_id <= 1 and \
                isinstance(value, int) and value > 1:
            raise Problem(f"Entry {position} of customers, {entry!r}, looks swapped: put the "
                          "ID first and the feature value second, like (101, 0.2).")
        pairs.append((customer_id, float(value)))
    return pairs


def check_result(result: Any, feature: float, printed: str) -> bool:
    if isinstance(result, bool):
        return result
    call = f"predict({format_number(feature)})"
    if result is None and printed.strip():
        first_line = printed.strip().splitlines()[0][:40]
        raise Problem(f"{call} printed {first_line!r} but returned None. "
                      "Use `return` instead of print, e.g. `return feature > threshold`.")
    if result is None:
        raise Problem(f"{call} returned None. Did it forget `return`? E.g. "
                      "`return feature > threshold`.")
    raise Problem(f"{call} returned {describe(result)} instead of True or False. Return the "
                  "comparison itself, `return feature > threshold`, which is already a bool.")


def call_predict(predict: Callable[[float], Any], feature: float, limit: float) -> bool:
    """Call ``predict`` once under a time limit and turn any misbehaviour into words."""
    printed = io.StringIO()
    try:
        with time_limit(limit), contextlib.redirect_stdout(printed):
            result = predict(feature)
    except TimeUp:
        raise Problem(f"predict({format_number(feature)}) took longer than {limit:g} s and "
                      "was stopped. Does it loop forever?") from None
    except (Exception, SystemExit) as error:  # learner code may raise anything
        raise Problem(f"predict({format_number(feature)}) raised {type(error).__name__}: "
                      f"{short(error)}. {hint_for(error)}") from None
    return check_result(result, feature, printed.getvalue())


def score_all(predict: Callable[[float], Any], customers: list[tuple[Any, float]],
              limit: float) -> list[tuple[Any, float, bool]]:
    """Score the whole list under one time limit, like one batch job.

    One guard around the loop, not one per call: its few microseconds of signal set-up
    would otherwise swamp the per-customer time that batch is meant to show off.
    """
    printed = io.StringIO()
    results: list[Any] = []
    current = customers[0]
    try:
        with time_limit(limit), contextlib.redirect_stdout(printed):
            for current in customers:
                results.append(predict(current[1]))
    except TimeUp:
        raise Problem(f"The batch took longer than {limit:g} s and was stopped (at customer "
                      f"{current[0]!r}). Does predict loop forever?") from None
    except (Exception, SystemExit) as error:  # learner code may raise anything
        raise Problem(f"The batch stopped at customer {current[0]!r}: "
                      f"predict({format_number(current[1])}) raised {type(error).__name__}: "
                      f"{short(error)}. {hint_for(error)}") from None
    rows = []
    for (customer_id, value), result in zip(customers, results, strict=True):
        try:
            prediction = check_result(result, value, printed.getvalue())
        except Problem as problem:
            raise Problem(f"At customer {customer_id!r}: {problem}") from None
        rows.append((customer_id, value, prediction))
    return rows
