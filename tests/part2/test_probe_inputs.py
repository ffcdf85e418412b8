"""Part 2's probe asks with inputs given as data and leaves the learner's kernel as it found
it: the checks read only the inputs the facts echo, so fresh inputs (a harness may draw them on
every run) give the same verdicts, and nothing the probe set for a call stays behind."""

from __future__ import annotations

import socket

import pytest

from grader.checks import evaluate
from grader.part2.probe import part2_facts
from grader.part2.questions import DEFAULT, draw
from grader.probe import snapshot_for
from grader.snapshot import Snapshot

from .solution import RIGHT, failures, namespace_for
from .test_part2_checks import HTTPX, fallback, route


def _judge(step: str, namespace: dict, seed: int | None):
    """The verdicts on facts gathered with the course's questions, or a fresh draw."""
    snapshot = snapshot_for(step, namespace, [])
    questions = DEFAULT if seed is None else draw(seed)
    snapshot["facts"] = part2_facts(step, namespace, questions)
    return evaluate(Snapshot.load(snapshot))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("step", ["5", "6", "7", "8"])
def test_the_solution_passes_on_fresh_inputs(step: str, seed: int) -> None:
    result = _judge(step, namespace_for(step), seed)
    assert result.passed, [(c.id, c.message) for c in failures(result)]


FRESH_MISTAKES = [
    ("5", {"vectorised": "def predict_vectorised(features):\n    return features > 0.6\n"},
     "5.vectorised"),
    ("5", {"job": RIGHT["job"].replace("predict(f), model_version", "predict(f), 'v1'")},
     "5.scores"),
    ("6", {"app": route("feature = online_features[customer_id]\nreturn {'customer_id': "
                        "customer_id, 'churn': feature > 0.6, 'model_version': MODEL_VERSION}")},
     "6.answers_by_model"),
    ("6", {"serving": "def serving_feature(customer_id):\n"
                      "    return round(online_features[customer_id], 2)\n"}, "6.serving_fixed"),
    ("8", {"fallback": fallback(HTTPX % ", timeout=0.2", check="pass")}, "8.batch_on_error"),
]


@pytest.mark.parametrize("step, replaced, check_id", FRESH_MISTAKES,
                         ids=[m[2] for m in FRESH_MISTAKES])
def test_a_mistake_is_named_the_same_on_fresh_inputs(step: str, replaced: dict,
                                                     check_id: str) -> None:
    same = _judge(step, namespace_for(step, **replaced), None)
    fresh = _judge(step, namespace_for(step, **replaced), 7)
    assert failures(same)[0].id == failures(fresh)[0].id == check_id


SENTINEL = object()


def _fallback_home(**names: object) -> dict:
    namespace = namespace_for("8")
    for name in ("conn", "ENDPOINT_URL"):
        namespace.pop(name, None)
    namespace.update(names)
    return namespace


@pytest.mark.parametrize("present", [True, False], ids=["names-present", "names-absent"])
def test_the_fallback_probe_leaves_the_learners_globals_as_they_were(present: bool) -> None:
    """`conn`, `ENDPOINT_URL` (and the `httpx` the learner imported) are the learner's again
    after the probe, or absent again if they were; the socket class is Python's own again."""
    names = {"conn": SENTINEL, "ENDPOINT_URL": "http://127.0.0.1:1"} if present else {}
    namespace = _fallback_home(**names)
    before = {name: namespace.get(name, SENTINEL) for name in ("conn", "ENDPOINT_URL", "httpx")}
    patched_before = {n for n in ("connect", "recv", "recv_into", "settimeout", "connect_ex")
                      if n in socket.socket.__dict__}
    facts = part2_facts("8", namespace)
    assert facts["fallback_calls"] and all(c["outcome"] == "returned"
                                           for c in facts["fallback_calls"])
    after = {name: namespace.get(name, SENTINEL) for name in ("conn", "ENDPOINT_URL", "httpx")}
    assert after == before
    assert ("conn" in namespace, "ENDPOINT_URL" in namespace) == (present, present)
    assert {n for n in ("connect", "recv", "recv_into", "settimeout", "connect_ex")
            if n in socket.socket.__dict__} == patched_before


def test_the_fallback_probe_restores_its_names_even_when_the_fallback_raises() -> None:
    namespace = _fallback_home(conn=SENTINEL)
    exec("def predict_with_fallback(customer_id):\n    raise SystemExit(conn)\n", namespace)
    part2_facts("8", namespace)
    assert namespace["conn"] is SENTINEL and "ENDPOINT_URL" not in namespace


def test_the_endpoint_probe_gives_back_threshold_version_and_online_table() -> None:
    namespace = namespace_for("6")
    table = namespace["online_features"]
    before = (namespace["threshold"], namespace["MODEL_VERSION"], dict(table))
    part2_facts("6", namespace)
    assert (namespace["threshold"], namespace["MODEL_VERSION"], dict(table)) == before
    assert namespace["online_features"] is table


def test_the_batch_probe_gives_back_threshold_and_predict() -> None:
    namespace = namespace_for("5")
    model = namespace["predict"]
    part2_facts("5", namespace)
    assert namespace["predict"] is model and namespace["threshold"] == 0.6
