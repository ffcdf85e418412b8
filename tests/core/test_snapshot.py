"""The snapshot is plain JSON that keeps Python's types, and forged ones are refused."""

import json
import math

import pytest

from grader.checks import evaluate
from grader.probe import take_snapshot
from grader.snapshot import Snapshot
from grader.values import MAX_ITEMS, Opaque, SnapshotError, describe, rebuild

from .helpers import BATCH, CUSTOMERS, PREDICT, THRESHOLD


@pytest.mark.parametrize("value", [
    [(101, 0.2), (102, 0.8)], ((1, 2),), {101: 0.2}, {1, 2}, frozenset({3}), "0.6", 0.6, 60,
    True, None, [[1, [2, ("x", False)]]],
])
def test_values_keep_their_types_through_json(value) -> None:
    assert rebuild(json.loads(json.dumps(describe(value)))) == value
    assert type(rebuild(json.loads(json.dumps(describe(value))))) is type(value)


def test_special_values_are_described_not_executed() -> None:
    assert math.isnan(rebuild(describe(float("nan"))))
    gen = rebuild(describe(x for x in [1]))
    assert isinstance(gen, Opaque) and gen.type_name == "generator"
    func = rebuild(describe(lambda feature, limit=0.6: feature))
    assert func.is_callable and func.params == ("feature", "limit=0.6")
    assert rebuild(describe(10**50)) == 10**50
    assert rebuild(describe(10**200)) == Opaque("int", "a very large integer")
    assert rebuild(describe(list(range(1000)))) == list(range(MAX_ITEMS))


def _snapshot() -> dict:
    namespace: dict = {}
    exec(CUSTOMERS + THRESHOLD + PREDICT + BATCH, namespace)
    return take_snapshot("3", namespace, [BATCH])


def test_a_json_round_trip_gives_the_same_verdicts() -> None:
    data = _snapshot()
    direct = evaluate(Snapshot.load(data))
    via_json = evaluate(Snapshot.load(json.loads(json.dumps(data))))
    assert direct == via_json and direct.passed


def _nested(depth: int) -> dict:
    value: dict = {"t": "none"}
    for _ in range(depth):
        value = {"t": "list", "items": [value], "n": 1}
    return value


@pytest.mark.parametrize("forge", [
    lambda d: d.update(version=99),
    lambda d: d["names"].update(os={"t": "none"}),
    lambda d: d["names"].update(customers={"t": "pickle", "v": "..."}),
    lambda d: d["names"].update(customers=_nested(5000)),
    lambda d: d["names"].update(threshold={"t": "float", "v": "__import__('os')"}),
    lambda d: d.update(sources=["x"] * 500),
    lambda d: d["calls"][0].update(outcome="exploded"),
    lambda d: d["calls"].reverse(),
    lambda d: d.update(calls=d["calls"] * 3),
    lambda d: d.update(printing=["not", "a", "dict"]),
    lambda d: d.update(step={"a": 1}),
    lambda d: d.update(step="7"),
])
def test_forged_snapshots_are_refused(forge) -> None:
    data = _snapshot()
    forge(data)
    with pytest.raises(SnapshotError):
        Snapshot.load(data)
