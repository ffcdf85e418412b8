"""Step 1: `customers` is the list [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)]."""

from __future__ import annotations

from typing import Any

from ..snapshot import Snapshot, a_kind, type_name
from ..spec import EXPECTED_CUSTOMERS
from . import Finding, check, fail, not_started, ok

EXAMPLE = "customers = [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)]"
SHAPE = "Square brackets make the list; each customer inside is a pair in round brackets."
NUMBERS = "IDs are whole numbers and values are decimals, neither in quotes."


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


def _show(value: Any) -> str:
    return repr(value) if len(repr(value)) < 80 else repr(value)[:77] + "..."


@check("1", "customers_shape", "`customers` is a list of (ID, value) tuples",
       reads=("customers",), line=EXAMPLE)
def customers_shape(snap: Snapshot) -> Finding:
    if not snap.has("customers"):
        return not_started("`customers` is not defined yet. Write it in the answer cell and run "
                           "that cell.", "A list of `(ID, value)` tuples, in square brackets.",
                           EXAMPLE)
    value = snap.value("customers")
    if isinstance(value, dict):
        return fail("`customers` is a dict, but the step asks for a list of tuples.",
                    "Use square brackets around (ID, value) pairs: `[(101, 0.2), ...]`, "
                    "not `{101: 0.2, ...}`.", EXAMPLE)
    if isinstance(value, tuple):
        return fail("`customers` is a tuple of customers; the step asks for a list.",
                    "Swap the outer round brackets for square ones: `[(101, 0.2), ...]`.",
                    EXAMPLE)
    if isinstance(value, (set, frozenset)):
        return fail("`customers` is a set. A set has no order, and the step asks for a list.",
                    "Swap the curly braces for square brackets: `[(101, 0.2), ...]`.", EXAMPLE)
    if not isinstance(value, list):
        return fail(f"`customers` is {a_kind(value)}, not a list.", SHAPE, EXAMPLE)
    if not value:
        return fail("`customers` is an empty list.", "Put the four customers of the step in it, "
                    "as `(ID, value)` tuples.", EXAMPLE)
    if all(isinstance(item, list) for item in value):
        return fail("Each customer is a list like `[101, 0.2]`; the step asks for tuples like "
                    "`(101, 0.2)`.", "Use round brackets for each customer inside the list.",
                    EXAMPLE)
    for index, item in enumerate(value, 1):
        if not isinstance(item, tuple) or len(item) != 2:
            return fail(f"Customer number {index} is `{_show(item)}`; every customer should be "
                        "a pair `(ID, value)`.", SHAPE, EXAMPLE)
    ids = [item[0] for item in value]
    features = [item[1] for item in value]
    if all(isinstance(i, str) for i in ids):
        return fail("The customer IDs are text (like `'101'`); they should be whole numbers "
                    "like `101`.", "Remove the quotes around the IDs.", EXAMPLE)
    if all(isinstance(f, str) for f in features):
        return fail("The feature values are text (like `'0.2'`); they should be numbers like "
                    "`0.2`.", "Remove the quotes around the values.", EXAMPLE)
    if all(type(i) is float for i in ids) and all(type(f) is int for f in features):
        return fail("The tuples look swapped: `(0.2, 101)` puts the value first. Each tuple is "
                    "`(customer ID, feature value)`.", "Put the ID first in each tuple.",
                    EXAMPLE)
    for index, (ident, feature) in enumerate(value, 1):
        if type(ident) is not int:
            return fail(f"Customer number {index} has ID `{ident!r}` ({type_name(ident)}); IDs "
                        "are whole numbers like `101`.", NUMBERS, EXAMPLE)
        if not _is_number(feature):
            return fail(f"Customer {ident} has feature value `{feature!r}` "
                        f"({type_name(feature)}); values are numbers like `0.2`.", NUMBERS,
                        EXAMPLE)
    return ok("`customers` is a list of (ID, value) tuples.")


def _same(a: tuple, b: tuple) -> bool:
    return a[0] == b[0] and abs(float(a[1]) - b[1]) < 1e-9


@check("1", "customers_values", "`customers` holds the four customers, in order",
       needs=("customers_shape",), line=EXAMPLE)
def customers_values(snap: Snapshot) -> Finding:
    value = snap.value("customers")
    expected = EXPECTED_CUSTOMERS
    if len(value) == len(expected) and all(map(_same, value, expected)):
        return ok("`customers` holds exactly the four customers, in order.")
    if sorted(value) == sorted(expected) or (
            len(value) == len(expected) and all(any(_same(v, e) for v in value)
                                                for e in expected)):
        return fail("All four customers are there, but in a different order.",
                    "Keep the order of the step: 101, 102, 103, 104.", EXAMPLE)
    by_id = {ident: feature for ident, feature in value}
    problems = []
    for ident, feature in expected:
        if ident not in by_id:
            problems.append(f"customer {ident} is missing (expected `({ident}, {feature})`)")
        elif abs(float(by_id[ident]) - feature) >= 1e-9:
            problems.append(f"customer {ident} has value `{by_id[ident]}`; expected `{feature}`")
    known = {ident for ident, _ in expected}
    extra = [item for item in value if item[0] not in known]
    for item in extra:
        problems.append(f"`{item}` is extra: step 1 has exactly four customers")
    counts = [item[0] for item in value]
    for ident in sorted({i for i in counts if counts.count(i) > 1}):
        problems.append(f"customer {ident} appears {counts.count(ident)} times")
    return fail("`customers` is not quite right: " + "; ".join(problems) + ".",
                "Compare each tuple with the step's table: the ID, then its value.", EXAMPLE)
