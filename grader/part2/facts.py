"""Part 2's facts as they arrive from a learner's kernel or a grading worker: bounded plain
JSON, or refused. Checks read them with `.get(...)` and never trust their shape further."""

from __future__ import annotations

from typing import Any

from ..spec import Step
from ..values import SnapshotError

MAX_DEPTH = 12  # a recorded call's value is a described value inside a record inside a list
MAX_ITEMS = 200
MAX_TEXT = 20_000
MAX_TOTAL = 400_000


def _walk(value: Any, depth: int, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        raise SnapshotError("facts too large or too deep")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise SnapshotError("a fact's text is too long")
        budget[0] -= len(value) // 100
        return value
    if isinstance(value, list):
        if len(value) > MAX_ITEMS:
            raise SnapshotError("a fact's list is too long")
        return [_walk(v, depth + 1, budget) for v in value]
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS or not all(isinstance(k, str) and len(k) <= 60 for k in value):
            raise SnapshotError("malformed facts")
        return {k: _walk(v, depth + 1, budget) for k, v in value.items()}
    raise SnapshotError("facts hold something that is not plain data")


def load_facts(step: Step, raw: object) -> dict:
    """Validated facts for a step whose probe gathers them (an empty dict for the others)."""
    if not step.probe.facts:
        if raw is not None:
            raise SnapshotError("facts for a step that has none")
        return {}
    if not isinstance(raw, dict):
        raise SnapshotError("missing facts")
    return _walk(raw, 0, [MAX_TOTAL])


# The fact that tells whether each name a Part 2 check reads exists in the learner's namespace
# (Part 2's names are not among the snapshot's own names; their facts say `"defined"`).
DEFINED_FACT = {"run_batch_job": "job", "predict_vectorised": "vectorised",
                "skew_share": "skew", "serving_feature": "serving", "app": "app",
                "percentile": "percentile", "capacity": "capacity", "lookup": "lookup",
                "predict_with_fallback": "fallback", "cost_per_used": "cost"}


def defined(facts: dict, name: str) -> bool:
    """True when the facts say the learner's `name` exists (with a value from an earlier run)."""
    fact = facts.get(DEFINED_FACT.get(name, ""))
    return isinstance(fact, dict) and fact.get("defined") is True


def hide_facts(facts: dict, names: tuple[str, ...]) -> dict:
    """The facts as if `names` had never been made: their `"defined"` fact says so."""
    hidden = {DEFINED_FACT[n] for n in names if n in DEFINED_FACT and DEFINED_FACT[n] in facts}
    return {key: {"defined": False} if key in hidden else value for key, value in facts.items()}
