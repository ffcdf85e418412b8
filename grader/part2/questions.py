"""What Part 2's probe asks of a learner's code: the inputs, as plain data.

Each step's probe takes one of these records, calls the learner's functions (or sends their app
requests) on exactly these inputs, and answers with plain JSON that echoes the inputs. The
checks compute what they expect from the echoed inputs, never from the constants here, so a
harness can draw fresh inputs for every run (`draw`) and the checks stay as they are.
"""

from __future__ import annotations

import dataclasses
import json
import random
import typing
from dataclasses import asdict, dataclass, field
from typing import Any

from ..spec import FALLBACK_TIMEOUT_MAX

Customers = tuple[tuple[int, float], ...]


def _customers(first: int, features: tuple[float, ...]) -> Customers:
    return tuple((first + i, f) for i, f in enumerate(features))


# Features around the threshold: 0.6 itself, either side of it, and some that one-decimal
# rounding moves across it (0.61-0.64 round to 0.6: no churn) or leaves alone.
_JOB_FEATURES = tuple(round(((i * 37) % 40) / 40 + 0.0125, 4) for i in range(37)) + (
    0.6, 0.59, 0.61)
_SKEW_FEATURES = (0.2, 0.8, 0.61, 0.62, 0.64, 0.55, 0.6, 0.66, 0.9, 0.63, 0.1, 0.58, 0.7,
                  0.649, 0.35, 0.612, 0.3)


@dataclass(frozen=True)
class BatchQuestions:
    """Step 5: the job on `customers` twice (one version each), in a fresh in-memory
    database; `predict_vectorised` on `features` at each of `thresholds`."""

    customers: Customers = _customers(9001, _JOB_FEATURES)
    versions: tuple[str, str] = ("probe-v1", "probe-v2")
    threshold: float = 0.6
    features: tuple[float, ...] = (0.2, 0.8, 0.5, 0.9, 0.6, 0.59, 0.61, 0.0, 1.0)
    thresholds: tuple[float, ...] = (0.6, 0.3, 0.85)


# A serving path the skew probe hands the learner's `skew_share`, by name: what it does to a
# stored feature before the model sees it.
SERVING_PATHS = {"same": "the feature as stored", "rounded": "rounded to one decimal",
                 "percent": "as a percentage (times 100)"}


@dataclass(frozen=True)
class EndpointAsk:
    """One request to the learner's app; `threshold` / `model_version` are set first."""

    name: str
    path: str
    threshold: float | None = None
    model_version: str | None = None


@dataclass(frozen=True)
class ServingQuestions:
    """Step 6: `skew_share` on `customers` with each serving path of `skew_calls`; the
    learner's `serving_feature` and `app` with `online` put in their online table."""

    threshold: float = 0.6
    customers: Customers = _customers(7001, _SKEW_FEATURES)
    skew_calls: tuple[tuple[str, int], ...] = (("rounded", 17), ("same", 17), ("percent", 17),
                                               ("rounded", 5), ("same", 0))
    online: Customers = ((6001, 0.7), (6002, 0.2), (6003, 0.6), (6004, 0.64), (6005, 0.5),
                         (6006, 0.612))
    model_version: str = "v1"
    asks: tuple[EndpointAsk, ...] = (
        EndpointAsk("churns", "/predict?customer_id=6001"),
        EndpointAsk("stays", "/predict?customer_id=6002"),
        EndpointAsk("at_threshold", "/predict?customer_id=6003"),
        EndpointAsk("near_threshold", "/predict?customer_id=6004"),
        EndpointAsk("threshold_moved", "/predict?customer_id=6005", threshold=0.3),
        EndpointAsk("new_version", "/predict?customer_id=6001", model_version="probe-v7"),
        EndpointAsk("unknown", "/predict?customer_id=6999"),
        EndpointAsk("no_customer", "/predict"),
        EndpointAsk("text_customer", "/predict?customer_id=abc"),
    )


Levels = tuple[tuple[int, tuple[float, ...]], ...]  # (concurrent clients, latencies in ms)


def _levels(*levels: tuple) -> Levels:
    """`(clients, (count, ms), (count, ms), ...)` for each level, as (clients, latencies)."""
    return tuple((clients, tuple(ms for count, ms in runs for _ in range(count)))
                 for clients, *runs in levels)


@dataclass(frozen=True)
class MeasureQuestions:
    """Step 7: `percentile(values, p)` on each call (some unsorted); `capacity(latencies,
    budget_ms)` on measurements (client count -> 100 latencies in ms) built so that the mean,
    p50, p95, the maximum and p99 each give a different answer somewhere."""

    percentile_calls: tuple[tuple[tuple[float, ...], float], ...] = (
        ((15, 20, 35, 40, 50), 30), ((15, 20, 35, 40, 50), 40), ((15, 20, 35, 40, 50), 50),
        ((15, 20, 35, 40, 50), 100), ((50, 15, 40, 20, 35), 50), ((50, 15, 40, 20, 35), 100),
        ((50, 15, 40, 20, 35), 20), (tuple(range(1, 11)), 95), (tuple(range(1, 11)), 99),
        ((7,), 99))
    capacity_calls: tuple[tuple[Levels, float], ...] = (
        # p99 breaks at 8 clients while the mean, p50 and p95 stay within
        (_levels((1, (100, 4.0)), (8, (97, 20.0), (3, 80.0)), (32, (100, 120.0))), 50.0),
        # only the slowest request breaks at 8 clients: p99 is within
        (_levels((1, (100, 4.0)), (8, (99, 30.0), (1, 90.0)), (32, (100, 120.0))), 50.0),
        # half the requests are slow at 8 clients: p50 is within, the mean is not
        (_levels((1, (100, 4.0)), (8, (50, 10.0), (50, 95.0)), (32, (100, 120.0))), 50.0),
        # one in ten is slow at 8 clients: p95 breaks, p50 and the mean don't
        (_levels((1, (100, 4.0)), (8, (90, 20.0), (10, 60.0)), (32, (100, 120.0))), 50.0),
        # exactly at the budget counts as within it
        (_levels((1, (100, 4.0)), (8, (100, 50.0)), (32, (100, 120.0))), 50.0),
        # measured in another order: the largest count within the budget still wins
        (_levels((32, (100, 120.0)), (1, (100, 4.0)), (8, (100, 30.0))), 50.0),
        # nothing is within the budget
        (_levels((1, (100, 60.0)), (8, (100, 90.0)), (32, (100, 200.0))), 50.0),
    )


@dataclass(frozen=True)
class FallbackQuestions:
    """Step 8: the fallback, with `conn` a table of `stored` rows (customer_id, feature,
    churn), against a real endpoint on 127.0.0.1 that is up (answering `live`), down, slow
    (never answers) or failing (500), for each of `scenarios`; `cost_per_used` on
    `cost_calls` (scored, per_second, used, price_per_hour)."""

    stored: tuple[tuple[int, float, int], ...] = ((101, 0.2, 0), (102, 0.8, 1), (105, 0.55, 0))
    live: tuple[tuple[int, bool], ...] = ((105, True), (101, False), (102, True))
    scenarios: tuple[tuple[str, int], ...] = (("up", 105), ("down", 105), ("slow", 105),
                                              ("error", 105), ("down", 107), ("up", 107))
    timeout_cap: float = FALLBACK_TIMEOUT_MAX
    cost_calls: tuple[tuple[int, float, int, float], ...] = (
        (100_000, 250_000.0, 5_000, 0.2), (5_000, 300.0, 5_000, 0.2),
        (2_000, 50.0, 1_000, 1.5))


@dataclass(frozen=True)
class Questions:
    """All of Part 2's questions: one record per step."""

    batch: BatchQuestions = field(default_factory=BatchQuestions)
    serving: ServingQuestions = field(default_factory=ServingQuestions)
    measure: MeasureQuestions = field(default_factory=MeasureQuestions)
    fallback: FallbackQuestions = field(default_factory=FallbackQuestions)


DEFAULT = Questions()


def as_data(record: object) -> dict:
    """A question record as plain JSON (tuples become lists)."""
    return json.loads(json.dumps(asdict(record)))  # type: ignore[call-overload]


def from_data(kind: Any, data: Any) -> Any:
    """The inverse of `as_data` for a record of type `kind`: JSON's lists become the tuples
    and records its annotations name (the questions travel to a grading worker as JSON)."""
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = typing.get_type_hints(kind)
        return kind(**{f.name: from_data(hints[f.name], data[f.name])
                       for f in dataclasses.fields(kind) if f.name in data})
    if typing.get_origin(kind) is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_data(args[0], item) for item in data)
        return tuple(from_data(arg, item) for arg, item in zip(args, data, strict=True))
    return data


def draw(seed: int) -> Questions:
    """The same kinds of question with other customer IDs, features, measurements and prices:
    for a harness that asks afresh on every run (and for tests proving the checks read only
    the echoed inputs)."""
    rng = random.Random(seed)

    def ids(first: int, n: int) -> list[int]:
        return rng.sample(range(first, first + 10 * n), n)

    def shuffled(features: tuple[float, ...]) -> tuple[float, ...]:
        items = list(features)
        rng.shuffle(items)
        return tuple(items)

    job = tuple(zip(ids(30_000, len(_JOB_FEATURES)), shuffled(_JOB_FEATURES), strict=True))
    skew = tuple(zip(ids(40_000, len(_SKEW_FEATURES)), shuffled(_SKEW_FEATURES), strict=True))
    base = DEFAULT.serving
    online_ids = ids(50_000, len(base.online) + 1)
    online = tuple(zip(online_ids, (f for _, f in base.online), strict=False))
    remap = {old: new for (old, _), new in zip(base.online, online_ids, strict=False)}
    unknown = online_ids[-1]

    def moved(path: str) -> str:
        for old, new in remap.items():
            path = path.replace(f"customer_id={old}", f"customer_id={new}")
        return path.replace("customer_id=6999", f"customer_id={unknown}")

    asks = tuple(EndpointAsk(a.name, moved(a.path), a.threshold, a.model_version)
                 for a in base.asks)
    version = f"v{rng.randint(2, 99)}"
    return Questions(
        batch=BatchQuestions(customers=job, versions=(f"probe-{version}", f"probe-{version}b")),
        serving=ServingQuestions(customers=skew, online=online, asks=asks,
                                 model_version=version),
        measure=_drawn_measure(rng),
        fallback=_drawn_fallback(rng))


def _drawn_measure(rng: random.Random) -> MeasureQuestions:
    """The course's measurements moved without changing what tells the statistics apart:
    each list's values mapped by a rising line (`a * v + b`: the same order, the same ranks),
    each measurement's latencies and budget scaled alike by a whole number (the same
    comparisons, exactly), and its client counts renamed in the same order."""
    base = DEFAULT.measure
    a, b = rng.randint(2, 9), rng.randint(0, 50)
    percentile_calls = tuple((tuple(a * v + b for v in values), p)
                             for values, p in base.percentile_calls)
    scale = rng.randint(2, 5)
    counts = sorted({c for levels, _ in base.capacity_calls for c, _ in levels})
    renamed = dict(zip(counts, sorted(rng.sample(range(1, 65), len(counts))), strict=True))
    capacity_calls = tuple(
        (tuple((renamed[c], tuple(scale * ms for ms in measured)) for c, measured in levels),
         scale * budget) for levels, budget in base.capacity_calls)
    return MeasureQuestions(percentile_calls, capacity_calls)


def _drawn_fallback(rng: random.Random) -> FallbackQuestions:
    """The course's fallback questions about other customers, whose live and stored answers are
    drawn (each customer's stored answer still agrees or disagrees with its live one as in the
    course's, so an answer's source can be told), and other prices."""
    base = DEFAULT.fallback
    ids = sorted({c for c, *_ in base.stored} | {c for _, c in base.scenarios})
    renamed = dict(zip(ids, rng.sample(range(100, 10_000), len(ids)), strict=True))
    live = {c: rng.random() < 0.5 for c, _ in base.live}
    agrees = {c: bool(churn) == dict(base.live)[c] for c, _, churn in base.stored}
    stored = tuple((renamed[c], f, int(live[c] == agrees[c])) for c, f, _ in base.stored)
    price = rng.randint(2, 9)
    return FallbackQuestions(
        stored=stored, live=tuple((renamed[c], live[c]) for c, _ in base.live),
        scenarios=tuple((scenario, renamed[c]) for scenario, c in base.scenarios),
        timeout_cap=base.timeout_cap,
        cost_calls=tuple((scored, per_second, used, price * cost)
                         for scored, per_second, used, cost in base.cost_calls))
