"""A validated snapshot: the only thing checks ever see of a learner's work.

`Snapshot.load` refuses anything that is not shaped as the probe writes it, so a forged or
truncated snapshot from a grading worker fails loudly here instead of confusing a check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .part2.facts import load_facts
from .probe import NAMES, PROBE_CALLS, SNAPSHOT_VERSION
from .spec import ALL_STEPS
from .values import Opaque, SnapshotError, rebuild

_MISSING = object()


@dataclass(frozen=True)
class Call:
    """One probe call of the learner's `predict`."""

    outcome: str  # returned / raised / timeout / skipped / missing
    value: Any = None
    error: str = ""
    printed: str = ""

    @property
    def returned(self) -> bool:
        return self.outcome == "returned"


@dataclass(frozen=True)
class Printing:
    """What re-running the step 4 answer cell printed."""

    outcome: str
    printed: str = ""
    error: str = ""


def _str(data: dict, key: str, limit: int, default: str = "") -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or len(value) > limit:
        raise SnapshotError(f"{key} must be a string")
    return value


class Snapshot:
    def __init__(self, step: str, names: dict[str, Any], sources: list[str],
                 calls: dict[tuple[Any, float | None], Call], printing: Printing | None,
                 quiz_answers: dict[str, str] | None = None, facts: dict | None = None,
                 errors: list[str] | None = None) -> None:
        self.step = step
        self._names = names
        self.sources = sources
        # The error of each source's latest run ("" when it ran cleanly), aligned with sources.
        self.errors = errors if errors is not None else [""] * len(sources)
        self._calls = calls
        self.printing = printing
        self.quiz_answers = quiz_answers or {}
        self.facts = facts or {}  # Part 2 (steps 5-8): see grader/part2/probe.py

    @classmethod
    def load(cls, data: object) -> Snapshot:
        if not isinstance(data, dict) or data.get("version") != SNAPSHOT_VERSION:
            raise SnapshotError("not a snapshot of this grader's version")
        step = _str(data, "step", 10)
        if step not in {s.key for s in ALL_STEPS}:
            raise SnapshotError(f"unknown step {step!r}")
        raw_names = data.get("names")
        if not isinstance(raw_names, dict) or not set(raw_names) <= set(NAMES):
            raise SnapshotError("malformed names")
        names = {key: rebuild(value) for key, value in raw_names.items()}
        sources = data.get("sources")
        if not isinstance(sources, list) or len(sources) > 20 or not all(
                isinstance(s, str) and len(s) <= 20_000 for s in sources):
            raise SnapshotError("malformed sources")
        errors = data.get("errors", [""] * len(sources))
        if not isinstance(errors, list) or len(errors) != len(sources) or not all(
                isinstance(e, str) and len(e) <= 300 for e in errors):
            raise SnapshotError("malformed errors")
        raw_calls = data.get("calls")
        if not isinstance(raw_calls, list) or len(raw_calls) > len(PROBE_CALLS):
            raise SnapshotError("malformed calls")
        calls = {}
        for raw, (argument, threshold) in zip(raw_calls, PROBE_CALLS, strict=False):
            if not isinstance(raw, dict) or raw.get("threshold") != threshold:
                raise SnapshotError("calls out of order")
            outcome = _str(raw, "outcome", 20)
            if outcome not in ("returned", "raised", "timeout", "skipped"):
                raise SnapshotError("unknown call outcome")
            value = rebuild(raw["value"]) if outcome == "returned" else None
            calls[(argument, threshold)] = Call(outcome, value, _str(raw, "error", 300),
                                                _str(raw, "printed", 20_000))
        printing = None
        raw_printing = data.get("printing")
        if raw_printing is not None:
            if not isinstance(raw_printing, dict):
                raise SnapshotError("malformed printing")
            printing = Printing(_str(raw_printing, "outcome", 20),
                                _str(raw_printing, "printed", 20_000),
                                _str(raw_printing, "error", 300))
        return cls(step, names, sources, calls, printing, _quiz_answers(data),
                   load_facts(step, data.get("facts")), errors)

    def has(self, name: str) -> bool:
        return name in self._names

    def value(self, name: str) -> Any:
        return self._names.get(name)

    def call(self, argument: Any, threshold: float | None = None) -> Call:
        return self._calls.get((argument, threshold), Call("missing"))

    def threshold_value(self, fallback: float) -> float:
        """The learner's threshold when it is a plain number, else the course's."""
        value = self._names.get("threshold")
        if type(value) in (int, float):
            return float(value)
        return fallback


def _quiz_answers(data: dict) -> dict[str, str]:
    answers = data.get("quiz_answers", {})
    if not isinstance(answers, dict) or len(answers) > 50 or not all(
            isinstance(k, str) and len(k) <= 10 and isinstance(v, str) and len(v) == 1
            for k, v in answers.items()):
        raise SnapshotError("malformed quiz answers")
    return dict(answers)


def type_name(value: Any) -> str:
    """The name a learner would recognise for a value's type."""
    if isinstance(value, Opaque):
        return value.type_name
    return {type(None): "None"}.get(type(value), type(value).__name__)


def a_kind(value: Any) -> str:
    """"a dict", "an int", "None": a value's type as a sentence needs it."""
    name = type_name(value)
    if name == "None":
        return "None"
    return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"
