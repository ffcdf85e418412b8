"""One place per step: each `Step` record is enough for the probe, the checks, grading and
progress, and a probe's inputs are data (a grader may draw them afresh) that checks find by
what each call is for."""

from __future__ import annotations

import random

import pytest

from grader.checks import checks_for, evaluate
from grader.probe import take_snapshot
from grader.snapshot import Snapshot
from grader.spec import ALL_STEPS, PREDICT_CALLS, STEPS, PredictCall, step_for, unit
from grader.values import SnapshotError

from .helpers import BATCH, CUSTOMERS, PREDICT, THRESHOLD


@pytest.mark.parametrize("step", ALL_STEPS, ids=lambda s: s.key)
def test_every_step_has_its_checks_and_its_probe_covers_what_they_read(step) -> None:
    checks = checks_for(step.key)
    assert checks and all(c.step == step.key for c in checks)
    read = {name for c in checks for name in c.reads}
    if not step.probe.facts:  # Part 2's names are told by its facts
        assert read <= set(step.probe.names), step.key


def test_records_are_told_apart_everywhere() -> None:
    assert len({s.key for s in ALL_STEPS}) == len(ALL_STEPS)
    assert len({s.column for s in ALL_STEPS}) == len(ALL_STEPS)
    assert len({unit(s) for s in ALL_STEPS}) == len(ALL_STEPS)
    assert [s.column for s in ALL_STEPS[:6]] == ["step_1", "step_2", "step_3", "step_4", "mode",
                                                 "quiz"]
    assert "quiz" not in {s.key for s in STEPS}  # scored, not counted as a step
    assert step_for("Step 3").probe.calls == PREDICT_CALLS


def _namespace(predict: str = PREDICT) -> dict:
    namespace: dict = {}
    exec(CUSTOMERS + THRESHOLD + predict + BATCH, namespace)
    return namespace


def _fresh_calls(seed: int) -> tuple[PredictCall, ...]:
    """Inputs as a grading harness might draw them for one run: around the threshold, with
    `threshold` swapped to values on either side of each argument."""
    rng = random.Random(seed)
    rule = [round(rng.uniform(0.0, 0.55), 3) for _ in range(3)]
    rule += [round(rng.uniform(0.65, 1.0), 3) for _ in range(3)]
    low = round(rng.uniform(0.35, 0.55), 3)
    high = round(rng.uniform(0.65, 0.8), 3)
    return (*(PredictCall("rule", f) for f in rule), PredictCall("at_threshold", 0.6),
            PredictCall("swapped", low, round(low - 0.2, 3)),
            PredictCall("swapped", high, round(high + 0.1, 3)),
            PredictCall("whole_customer", (rng.randrange(200, 999), high)))


@pytest.mark.parametrize("seed", range(5))
def test_checks_judge_calls_on_inputs_drawn_afresh(seed) -> None:
    calls = _fresh_calls(seed)
    right = Snapshot.load(take_snapshot("3", _namespace(), [BATCH], calls=calls), asked=calls)
    assert evaluate(right).passed
    typed_in = "def predict(feature):\n    return feature > 0.6\n"
    fixed = evaluate(Snapshot.load(take_snapshot("3", _namespace(typed_in), [BATCH],
                                                 calls=calls), asked=calls))
    failed = [c for c in fixed.checks if c.ran and not c.passed]
    assert [c.id for c in failed] == ["3.predict_uses_threshold"]
    at = "def predict(feature):\n    return feature >= threshold\n"
    wrong = evaluate(Snapshot.load(take_snapshot("3", _namespace(at), [BATCH], calls=calls),
                                   asked=calls))
    assert "Use `>` rather than `>=`" in next(c.message for c in wrong.checks if not c.passed)


def test_a_snapshot_answering_other_inputs_than_asked_is_refused() -> None:
    calls = _fresh_calls(1)
    data = take_snapshot("3", _namespace(), [BATCH], calls=calls)
    with pytest.raises(SnapshotError):
        Snapshot.load(data)  # the step's own inputs were not what this probe was asked
    data["calls"][-2]["threshold"] = 0.3
    with pytest.raises(SnapshotError):
        Snapshot.load(data, asked=calls)


def test_a_step_describes_only_the_names_its_checks_read() -> None:
    namespace = _namespace()
    assert set(take_snapshot("1", namespace, [])["names"]) == {"customers"}
    assert set(take_snapshot("2", namespace, [])["names"]) == {"threshold"}
    data = take_snapshot("2", namespace, [])
    data["names"]["customers"] = {"t": "none"}
    with pytest.raises(SnapshotError):
        Snapshot.load(data)
