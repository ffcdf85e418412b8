"""Reading Part 2's recorded calls (see `grader/part2/probe.py`): what a learner's function
returned, raised or timed out on, as plain words for messages."""

from __future__ import annotations

from typing import Any

from ..snapshot import Snapshot, a_kind
from ..values import SnapshotError, rebuild, with_article
from . import Finding, fail, not_started

NOT_RETURNED = object()


def fact_record(snap: Snapshot, key: str) -> dict:
    """One of the step's facts that should be a record; {} when it isn't one."""
    value = snap.facts.get(key)
    return value if isinstance(value, dict) else {}


def records(snap: Snapshot, key: str) -> list[dict]:
    """One of the step's facts that should be a list of records; only its records."""
    value = snap.facts.get(key)
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def returned(record: Any) -> Any:
    """The value a recorded call returned, or `NOT_RETURNED`."""
    if not isinstance(record, dict) or record.get("outcome") != "returned" or "value" not in \
            record:
        return NOT_RETURNED
    try:
        return rebuild(record["value"])
    except (SnapshotError, RecursionError):
        return NOT_RETURNED


def show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def kind(value: Any) -> str:
    return a_kind(value)


def definition_problem(fact: Any, name: str, call: str, hint: str) -> Finding | None:
    """The shared verdicts for a function the step asks for: missing, or not a function."""
    if not isinstance(fact, dict) or not fact.get("defined"):
        return not_started(f"`{name}` is not defined yet. Write it in the answer cell and run "
                           "that cell.", hint)
    if not fact.get("callable"):
        return fail(f"`{name}` is {a_kind_name(fact.get('type'))}, not a function: the step "
                    f"calls it as `{call}`.", hint)
    return None


def a_kind_name(type_name: Any) -> str:
    return with_article(str(type_name or "object"))


def call_problem(record: Any, call: str, hint: str) -> Finding | None:
    """The shared verdicts for a call that raised or never returned."""
    if not isinstance(record, dict):
        return fail(f"`{call}` could not be called.", hint)
    if record.get("outcome") == "raised":
        return fail(f"`{call}` stopped with `{record.get('error', 'an error')}`.", hint)
    if record.get("outcome") == "timeout":
        return fail(f"`{call}` did not finish in time: look for a loop that never ends or a "
                    "wait with no timeout.", hint)
    return None


def model_replaced() -> Finding:
    """The learner's route function is called `predict`: the model is gone from the notebook."""
    return fail("`predict` is now your endpoint's function: `@app.get(...)` on `def predict(...)` "
                "put the route in the model's place, so everything that calls `predict` calls "
                "the endpoint instead.", "Give the endpoint function its own name, then run the "
                "cell that defines the model again (or Run All).",
                "@app.get(\"/predict\")\ndef predict_endpoint(customer_id: int):")
