"""A validated snapshot: the only thing checks ever see of a learner's work.

A snapshot is assembled on the trusted side from the questions asked and the answers read
(`build_snapshot`: in the learner's kernel for `check(N)`, in a grading lane for a grade), with
the sources the asker chose. `Snapshot.load` then refuses anything not shaped as it should be,
so a forged or truncated answer fails loudly here instead of confusing a check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .part2.facts import hide_facts, load_facts
from .questions import (
    MAX_ERROR,
    MAX_PRINTED,
    SNAPSHOT_VERSION,
    Answer,
    Called,
    Describe,
    Described,
    Gathered,
    Question,
    QuizRecord,
    Reran,
    calls_in,
    read_answer,
)
from .sources import Run
from .spec import ALL_STEPS, PredictCall
from .spec import step_for as step_record
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
        if isinstance(value, (int, float)) and type(value) in (int, float):  # not a bool
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


MAX_SOURCES = 20  # the newest cells the checks read
MAX_SOURCE = 20_000  # characters of each


def assemble(step: str, questions: Sequence[Question], answers: Sequence[Answer],
             runs: Sequence[Run], facts: int = 0) -> dict:
    """The snapshot of `step` as plain data, from each question and its answer, and `runs`:
    the runs of the learner's cells the checks read, as the asker knows them (never an
    answer's say: their sources, ids and how each ended; what each printed, heard as it ran).
    Part 2's facts are those of the `facts`-th question that gathers them (a harness asks on
    the course's inputs, then on drawn ones)."""
    if len(answers) != len(questions):
        raise SnapshotError(f"{len(answers)} answers to {len(questions)} questions")
    runs = list(runs)[-MAX_SOURCES:]
    data: dict[str, Any] = {
        "version": SNAPSHOT_VERSION, "step": step, "names": {},
        "sources": [run.source[:MAX_SOURCE] for run in runs],
        "cells": [run.cell[:200] for run in runs],
        "errors": [run.error[:MAX_ERROR] for run in runs], "calls": [], "printing": None}
    if step_record(step).probe.printing and runs:
        data["printing"] = _printing(runs, next(
            (a for a in answers if isinstance(a, Reran)), None))
    _check_calls(questions, answers)
    calls_over = False  # the calls made are a prefix of those asked
    gathered = 0
    for question, answer in zip(questions, answers, strict=True):
        if isinstance(answer, Described):
            if answer.value is not None:
                data["names"][question.name] = answer.value  # type: ignore[union-attr]
        elif isinstance(answer, Called):
            calls_over = calls_over or answer.outcome == "absent"
            if not calls_over:
                data["calls"].append({
                    "for": question.purpose, "threshold": question.threshold,  # type: ignore
                    "outcome": answer.outcome, "value": answer.value, "error": answer.error,
                    "printed": answer.printed})
        elif isinstance(answer, Gathered):
            if gathered == facts:  # judged against the inputs asked, whatever it echoes
                from .part2.echoes import restore as restore_echoes  # Part 2 only

                data["facts"] = restore_echoes(question.gatherer, answer.facts,  # type: ignore
                                               question.asked)  # type: ignore[union-attr]
            gathered += 1
        elif isinstance(answer, QuizRecord):
            data["quiz_answers"], data["quiz_seen"] = answer.answers, answer.seen
    return data


def _printing(runs: list[Run], reran: Reran | None) -> dict:
    """What the step's cells printed when they ran, in order, and the first error among them
    (as run again, when their prints were not heard as they ran)."""
    told = [(run.error, run.printed or "") for run in runs] if reran is None else reran.runs
    share = MAX_PRINTED // max(len(told), 1)  # one cell's flood can't push the others' out
    printed = "".join(text[:share] for _, text in told)
    failed = next((error for error, _ in told if error), None)
    if reran is not None and reran.timed_out:
        return {"outcome": "timeout", "printed": printed}
    if failed is not None:
        return {"outcome": "raised", "error": failed[:MAX_ERROR], "printed": printed}
    return {"outcome": "returned", "printed": printed}


def _check_calls(questions: Sequence[Question], answers: Sequence[Answer]) -> None:
    """The probe skips a call only after one timed out, or when `threshold` can't be swapped
    for it (`predict` is not a plain function); it makes none only without a callable
    `predict`. An answer that says otherwise did not come from the probe."""
    kind = next((a.value.get("type") for q, a in zip(questions, answers, strict=True)
                 if isinstance(q, Describe) and q.name == "predict"
                 and isinstance(a, Described) and a.value is not None), None)
    made = [(q, a) for q, a in zip(questions, answers, strict=True) if isinstance(a, Called)]
    if any(a.outcome == "absent" for _, a in made) and \
            not all(a.outcome == "absent" for _, a in made):
        raise SnapshotError("some calls were made and others not")
    timed_out = False
    for question, answer in made:
        swapped = getattr(question, "threshold", None) is not None
        if answer.outcome == "skipped" and not timed_out and (kind == "function"
                                                             or not swapped):
            raise SnapshotError("a call was skipped that the probe makes")
        timed_out = timed_out or answer.outcome == "timeout"


def build_snapshots(step: str, questions: Sequence[Question], raw_answers: Sequence[object],
                    runs: Sequence[Run]) -> tuple[Snapshot, ...]:
    """Read each answer against its question, assemble, validate: the one way a snapshot is
    made, whoever asked (`check(N)` or a grading harness) and whoever answered. One snapshot
    for each question that gathers Part 2's facts (at least one)."""
    if len(raw_answers) != len(questions):
        raise SnapshotError(f"{len(raw_answers)} answers to {len(questions)} questions")
    answers = [read_answer(q, raw) for q, raw in zip(questions, raw_answers, strict=True)]
    gathered = max(1, sum(isinstance(a, Gathered) for a in answers))
    asked = calls_in(tuple(questions))
    return tuple(Snapshot.load(assemble(step, questions, answers, runs, facts), asked=asked)
                 for facts in range(gathered))


def build_snapshot(step: str, questions: Sequence[Question], raw_answers: Sequence[object],
                   runs: Sequence[Run]) -> Snapshot:
    """The snapshot of the answers to `questions`, which gather Part 2's facts once at most
    (as `check(N)` asks)."""
    return build_snapshots(step, questions, raw_answers, runs)[0]


def type_name(value: Any) -> str:
    """The name a learner would recognise for a value's type."""
    if isinstance(value, Opaque):
        return value.type_name
    return {type(None): "None"}.get(type(value), type(value).__name__)


def a_kind(value: Any) -> str:
    """"a dict", "an int", "None": a value's type as a sentence needs it."""
    name = type_name(value)
    return "None" if name == "None" else with_article(name)
