"""Step 8: how stale a nightly table gets (`share_wrong`) and a fallback to it.

The probe calls `share_wrong` on fixed decisions, then `predict_with_fallback` with `httpx`,
`conn` and `ENDPOINT_URL` swapped (and restored) in its globals: an endpoint that is up, down,
never answers, or fails with a 500, and a stored table in which customer 105 is "no churn".
"""

from __future__ import annotations

from typing import Any

from ..part2.probe import SHARE_CALLS
from ..snapshot import Snapshot
from ..spec import FALLBACK_TIMEOUT_MAX
from . import Finding, check, fail, ok
from .recorded import NOT_RETURNED, call_problem, definition_problem, kind, returned, show

SHARE_HINT = ("Count the decisions where the stored answer differs from the live one, divide "
              "by the number of decisions; 0.0 when there are none.")
HINT = ("`try:` `reply = httpx.get(f\"{ENDPOINT_URL}/predict\", params={...}, timeout=0.2)`, "
        "`reply.raise_for_status()`, return `{\"churn\": reply.json()[\"churn\"], \"source\": "
        "\"live\"}`; `except httpx.HTTPError:` return `{\"churn\": lookup(conn, customer_id), "
        "\"source\": \"batch\"}`.")


@check("8", "share_wrong", "`share_wrong(stored, live)` is the share of decisions the stored "
       "table gets wrong", reads=("share_wrong",))
def share_wrong(snap: Snapshot) -> Finding:
    problem = definition_problem(snap.facts.get("share"), "share_wrong",
                                 "share_wrong(stored, live)", SHARE_HINT)
    if problem:
        return problem
    calls = snap.facts.get("share_calls")
    for (stored, live), record in zip(SHARE_CALLS, calls if isinstance(calls, list) else [],
                                      strict=False):
        call = f"share_wrong({list(stored)}, {list(live)})"
        if not stored and isinstance(record, dict) and "ZeroDivision" in str(record.get("error")):
            return fail(f"`{call}` divides by zero. An hour with no decisions has nothing "
                        "wrong: answer 0.0.", SHARE_HINT)
        problem = call_problem(record, call, SHARE_HINT)
        if problem:
            return problem
        value = returned(record)
        want = sum(s != v for s, v in zip(stored, live, strict=True)) / len(stored) \
            if stored else 0.0
        if type(value) not in (int, float):
            shown = "nothing" if value is NOT_RETURNED else kind(value)
            return fail(f"`{call}` returned {shown}, not a number.", SHARE_HINT)
        if abs(value - want) < 1e-9:
            continue
        if stored and abs(value - (1 - want)) < 1e-9:
            return fail(f"`{call}` is {value}: that is the share the table gets *right*.",
                        SHARE_HINT)
        if abs(value - 100 * want) < 1e-9:
            return fail(f"`{call}` is {value}: a percentage. Answer the share, {want}.",
                        SHARE_HINT)
        return fail(f"`{call}` is {show(value)}; it should be {want}.", SHARE_HINT)
    return ok("`share_wrong` counts the stale decisions (and 0.0 when there are none).")


def _fallback_calls(snap: Snapshot) -> list[dict]:
    calls = snap.facts.get("fallback_calls")
    return [c for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []


def _scenario(snap: Snapshot, name: str, customer_id: int = 105) -> dict:
    return next((c for c in _fallback_calls(snap)
                 if c.get("scenario") == name and c.get("customer_id") == customer_id), {})


def _answer(record: dict, what: str) -> tuple[Any, Finding | None]:
    problem = call_problem(record, f"predict_with_fallback(105, 0.7) {what}", HINT)
    if problem:
        return None, problem
    value = returned(record)
    if not isinstance(value, dict) or "churn" not in value or "source" not in value:
        shown = "nothing" if value is NOT_RETURNED else show(value)
        return None, fail(f"`predict_with_fallback(105, 0.7)` {what} returned {shown}; return "
                          "a dict with the answer and who gave it: `{\"churn\": ..., "
                          "\"source\": \"live\" or \"batch\"}`.", HINT)
    return value, None


@check("8", "live_when_up", "`predict_with_fallback(105, 0.7)` asks the endpoint and says "
       "`\"source\": \"live\"` when it answers", reads=("predict_with_fallback",))
def live_when_up(snap: Snapshot) -> Finding:
    problem = definition_problem(snap.facts.get("fallback"), "predict_with_fallback",
                                 "predict_with_fallback(customer_id, feature)", HINT)
    if problem:
        return problem
    if snap.facts.get("not_a_function"):
        return fail("`predict_with_fallback` must be a plain `def` function.", HINT)
    record = _scenario(snap, "up")
    if record.get("outcome") == "returned" and not record.get("requests"):
        return fail("`predict_with_fallback` never called `httpx.get(...)`: ask the endpoint "
                    "first, that is the live answer.", HINT)
    value, problem = _answer(record, "with the endpoint up")
    if problem:
        return problem
    if value["source"] != "live" or value["churn"] is not True:
        return fail(f"With the endpoint up, `predict_with_fallback(105, 0.7)` returned "
                    f"{show(value)}; the endpoint answered churn `true`, so expect "
                    "`{\"churn\": True, \"source\": \"live\"}`.", HINT)
    return ok("With the endpoint up, the live answer comes back, labelled `live`.")


@check("8", "batch_when_down", "when the endpoint is down it falls back to the stored batch "
       "answer, labelled `\"source\": \"batch\"`", needs=("live_when_up",), reads=("lookup",))
def batch_when_down(snap: Snapshot) -> Finding:
    record = _scenario(snap, "down")
    if record.get("outcome") == "raised":
        return fail(f"With the endpoint down, `predict_with_fallback` stopped with "
                    f"`{record.get('error')}` instead of falling back.",
                    "Catch `httpx.HTTPError` (connection refused, timeouts and error statuses "
                    "are all HTTPErrors) and answer from the table.")
    value, problem = _answer(record, "with the endpoint down")
    if problem:
        return problem
    if value["source"] != "batch":
        return fail(f"With the endpoint down it returned {show(value)}: a fallback must say "
                    "its answer came from the stored batch table (`\"source\": \"batch\"`).",
                    HINT)
    if value["churn"] is not False:
        return fail(f"With the endpoint down it answered churn {show(value['churn'])}, but the "
                    "stored table says False for customer 105 (scored last night, stale). The "
                    "fallback answers what is stored; it doesn't score again.",
                    "`lookup(conn, customer_id)`")
    return ok("With the endpoint down, the stored answer comes back, labelled `batch`.")


@check("8", "short_timeout", "it waits at most a short timeout for a slow endpoint, then falls "
       "back", needs=("batch_when_down",))
def short_timeout(snap: Snapshot) -> Finding:
    record = _scenario(snap, "slow")
    requests = record.get("requests") if isinstance(record.get("requests"), list) else []
    first = requests[0] if requests and isinstance(requests[0], dict) else {}
    limit = returned({"outcome": "returned", "value": first.get("timeout")}) \
        if "timeout" in first else None
    if first and not first.get("timeout_given"):
        return fail("`httpx.get` is called without `timeout=`: a slow endpoint keeps the "
                    "customer waiting (httpx gives up only after 5 s) before the fallback "
                    "even starts.", "Pass a short timeout, e.g. `timeout=0.2`.")
    if first and limit is None:
        return fail("`timeout=None` waits forever: a hung endpoint hangs every request.",
                    "Pass a short timeout, e.g. `timeout=0.2`.")
    if isinstance(limit, (int, float)) and limit > FALLBACK_TIMEOUT_MAX:
        return fail(f"The timeout is {limit} s: a customer on the phone won't wait that long. "
                    f"Keep it at {FALLBACK_TIMEOUT_MAX:g} s or less.", "e.g. `timeout=0.2`")
    if record.get("outcome") == "timeout":
        return fail("With an endpoint that never answers, `predict_with_fallback` hung.",
                    "Pass `timeout=0.2` to `httpx.get` and catch `httpx.HTTPError`.")
    value, problem = _answer(record, "with a slow endpoint")
    if problem:
        return problem
    if value["source"] != "batch":
        return fail(f"With a slow endpoint it returned {show(value)}; after the timeout, "
                    "answer from the table with `\"source\": \"batch\"`.", HINT)
    return ok(f"A slow endpoint is given up on after {limit} s, then the batch answer is used.")


@check("8", "batch_on_error", "an error reply (500) falls back too, and an unknown customer "
       "gets `\"churn\": None` rather than a crash", needs=("batch_when_down",))
def batch_on_error(snap: Snapshot) -> Finding:
    record = _scenario(snap, "error")
    if record.get("outcome") == "raised":
        return fail(f"When the endpoint answers 500, `predict_with_fallback` stopped with "
                    f"`{record.get('error')}`: an error reply has no `churn` in it.",
                    "Call `reply.raise_for_status()` before `reply.json()`, inside the `try`.")
    value, problem = _answer(record, "with the endpoint failing (500)")
    if problem:
        return problem
    if value["source"] != "batch":
        return fail(f"When the endpoint answers 500 it returned {show(value)}: an error is no "
                    "live answer; fall back to the table.", "`reply.raise_for_status()`")
    unknown = _scenario(snap, "down", 107)
    if unknown.get("outcome") == "raised":
        return fail("For a customer the table doesn't hold (107), with the endpoint down, it "
                    f"stopped with `{unknown.get('error')}`.", "Answer `{\"churn\": None, "
                    "\"source\": \"batch\"}`: nobody knows, and the caller can decide.")
    value, problem = _answer(unknown, "for an unknown customer, endpoint down")
    if problem:
        return problem
    if value.get("churn") is not None:
        return fail(f"For customer 107, not in the table, with the endpoint down, it answered "
                    f"{show(value)}: that invents an answer. Say `\"churn\": None`.",
                    "`lookup` returns None for an unknown customer: pass it on.")
    return ok("Error replies fall back to the table; an unknown customer gets `None`.")
