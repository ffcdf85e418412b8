"""A validated snapshot: the only thing checks ever see of a learner's work.

`Snapshot.load` refuses anything that is not shaped as the probe writes it, so a forged or
truncated snapshot from a grading worker fails loudly here instead of confusing a check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .part2.facts import hide_facts, load_facts
from .probe import SNAPSHOT_VERSION
from .spec import ALL_STEPS, PredictCall
from .values import Opaque, SnapshotError, rebuild, with_article

_MISSING = object()


@dataclass(frozen=True)
class Call:
    """One probe call of the learner's `predict`: what it was asked and what it did."""

    outcome: str  # returned / raised / timeout / skipped / missing
    value: Any = None
    error: str = ""
    printed: str = ""
    argument: Any = None  # what `predict` was called with
    threshold: float | None = None  # what `threshold` was set to for the call (None: as is)

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
                 calls: tuple[tuple[str, Call], ...], printing: Printing | None,
                 quiz_answers: dict[str, str] | None = None, facts: dict | None = None,
                 errors: list[str] | None = None, cells: list[str] | None = None,
                 quiz_seen: frozenset[str] = frozenset()) -> None:
        self.step = step
        self._names = names
        self.sources = sources  # the runs of the learner's cells the checks read, newest last
        # Aligned with sources: the error of each run ("" when it ran cleanly) and the id of
        # the cell that ran ("" when the front-end sent none).
        self.errors = errors if errors is not None else [""] * len(sources)
        self.cells = cells if cells is not None else [""] * len(sources)
        self._calls = calls
        self.printing = printing
        self.quiz_answers = quiz_answers or {}
        self.quiz_seen = quiz_seen  # the questions whose worked solution the learner has seen
        self.facts = facts or {}  # Part 2 (steps 5-8): see grader/part2/probe.py

    @classmethod
    def load(cls, data: object, asked: tuple[PredictCall, ...] | None = None) -> Snapshot:
        """Validate `data` as the probe writes it for its step. `asked`: the calls of
        `predict` the probe was asked to make (the step's own unless given)."""
        if not isinstance(data, dict) or data.get("version") != SNAPSHOT_VERSION:
            raise SnapshotError("not a snapshot of this grader's version")
        step = _str(data, "step", 10)
        record = next((s for s in ALL_STEPS if s.key == step), None)
        if record is None:
            raise SnapshotError(f"unknown step {step!r}")
        raw_names = data.get("names")
        if not isinstance(raw_names, dict) or not set(raw_names) <= set(record.probe.names):
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
        cells = data.get("cells", [""] * len(sources))
        if not isinstance(cells, list) or len(cells) != len(sources) or not all(
                isinstance(c, str) and len(c) <= 200 for c in cells):
            raise SnapshotError("malformed cells")
        calls = _calls(data.get("calls"), record.probe.calls if asked is None else asked)
        printing = None
        raw_printing = data.get("printing")
        if raw_printing is not None:
            if not isinstance(raw_printing, dict):
                raise SnapshotError("malformed printing")
            printing = Printing(_str(raw_printing, "outcome", 20),
                                _str(raw_printing, "printed", 20_000),
                                _str(raw_printing, "error", 300))
        return cls(step, names, sources, calls, printing, _quiz_answers(data),
                   load_facts(record, data.get("facts")), errors, cells, _quiz_seen(data))

    def hiding(self, *names: str) -> Snapshot:
        """This snapshot as if `names` had never been made (their values are stale)."""
        facts = hide_facts(self.facts, names)
        return Snapshot(self.step, {k: v for k, v in self._names.items() if k not in names},
                        self.sources, self._calls, self.printing, self.quiz_answers, facts,
                        self.errors, self.cells, self.quiz_seen)

    def has(self, name: str) -> bool:
        return name in self._names

    def value(self, name: str) -> Any:
        return self._names.get(name)

    def calls(self, purpose: str) -> tuple[Call, ...]:
        """The calls of `predict` made for `purpose` (see `spec.PredictCall`), in order."""
        return tuple(call for made_for, call in self._calls if made_for == purpose)

    def call(self, purpose: str) -> Call:
        """The first call made for `purpose`, or a `missing` one."""
        return next(iter(self.calls(purpose)), Call("missing"))

    def threshold_value(self, fallback: float) -> float:
        """The learner's threshold when it is a plain number, else the course's."""
        value = self._names.get("threshold")
        if type(value) in (int, float):
            return float(value)
        return fallback


def _calls(raw_calls: object, asked: tuple[PredictCall, ...]) -> tuple[tuple[str, Call], ...]:
    """The probe's records of the calls it was asked to make, in the order asked (a prefix:
    the probe makes none when there is no `predict`)."""
    if not isinstance(raw_calls, list) or len(raw_calls) > len(asked):
        raise SnapshotError("malformed calls")
    calls = []
    for raw, wanted in zip(raw_calls, asked, strict=False):
        if not isinstance(raw, dict) or raw.get("for") != wanted.purpose or \
                raw.get("threshold") != wanted.threshold:
            raise SnapshotError("calls out of order")
        outcome = _str(raw, "outcome", 20)
        if outcome not in ("returned", "raised", "timeout", "skipped"):
            raise SnapshotError("unknown call outcome")
        value = rebuild(raw["value"]) if outcome == "returned" else None
        calls.append((wanted.purpose, Call(outcome, value, _str(raw, "error", 300),
                                           _str(raw, "printed", 20_000), wanted.argument,
                                           wanted.threshold)))
    return tuple(calls)


def _quiz_answers(data: dict) -> dict[str, str]:
    answers = data.get("quiz_answers", {})
    if not isinstance(answers, dict) or len(answers) > 50 or not all(
            isinstance(k, str) and len(k) <= 10 and isinstance(v, str) and len(v) == 1
            for k, v in answers.items()):
        raise SnapshotError("malformed quiz answers")
    return dict(answers)


def _quiz_seen(data: dict) -> frozenset[str]:
    seen = data.get("quiz_seen", [])
    if not isinstance(seen, list) or len(seen) > 50 or not all(
            isinstance(q, str) and len(q) <= 10 for q in seen):
        raise SnapshotError("malformed quiz solutions seen")
    return frozenset(seen)


def type_name(value: Any) -> str:
    """The name a learner would recognise for a value's type."""
    if isinstance(value, Opaque):
        return value.type_name
    return {type(None): "None"}.get(type(value), type(value).__name__)


def a_kind(value: Any) -> str:
    """"a dict", "an int", "None": a value's type as a sentence needs it."""
    name = type_name(value)
    return "None" if name == "None" else with_article(name)
