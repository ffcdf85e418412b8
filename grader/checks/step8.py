"""Step 8: a fallback to the batch system's answer (the given `lookup`) when live fails, and the
cost of each way per *used* prediction.

The probe calls `predict_with_fallback` against a real
endpoint on 127.0.0.1 that is up, down, slow (never answers) or failing (500), with `conn` and
`ENDPOINT_URL` set for the call (see `grader/part2/fallback.py`); and calls `cost_per_used` on
fixed figures. The fallback is judged by what it did, whichever HTTP client it used.
"""

from __future__ import annotations

from typing import Any

from ..snapshot import Snapshot
from . import Finding, check, fail, ok
from .recorded import NOT_RETURNED, call_problem, definition_problem, kind, records, returned, show


def _stored(snap: Snapshot) -> dict[Any, bool]:
    rows = snap.facts.get("stored")
    return {r[0]: bool(r[2]) for r in rows if isinstance(r, list) and len(r) == 3} \
        if isinstance(rows, list) else {}


FALLBACK_CALL = "predict_with_fallback(customer_id)"
HINT = ("Ask the endpoint with a short timeout; when that fails in any way, answer from the "
        "table; say which source answered.")
LINE = '''def predict_with_fallback(customer_id):
    try:
        reply = httpx.get(f"{ENDPOINT_URL}/predict", params={"customer_id": customer_id},
                          timeout=0.2)
        reply.raise_for_status()
        return {"churn": reply.json()["churn"], "source": "live"}
    except httpx.HTTPError:
        return {"churn": lookup(conn, customer_id), "source": "batch"}'''


def _scenario(snap: Snapshot, name: str, stored: bool = True) -> dict:
    """The fallback's call in scenario `name` for a customer the table holds (or doesn't)."""
    table = _stored(snap)
    return next((c for c in records(snap, "fallback_calls") if c.get("scenario") == name
                 and (c.get("customer_id") in table) == stored), {})


def _answer(record: dict, what: str) -> tuple[Any, Finding | None]:
    call = f"predict_with_fallback({record.get('customer_id')})"
    problem = call_problem(record, f"{call} {what}", HINT)
    if problem:
        return None, problem
    value = returned(record)
    if not isinstance(value, dict) or "churn" not in value or "source" not in value:
        shown = "nothing" if value is NOT_RETURNED else show(value)
        return None, fail(f"`{call}` {what} returned {shown}; return a dict with the answer "
                          "and who gave it: `{\"churn\": ..., \"source\": \"live\" or "
                          "\"batch\"}`.", "The caller needs to know how fresh the answer is.")
    return value, None


def _asks_for(request: str, customer_id: Any) -> bool:
    """True for `GET /predict?...customer_id=<customer_id>...`."""
    method, _, target = request.partition(" ")
    path, _, query = target.partition("?")
    return method == "GET" and path.rstrip("/") == "/predict" and \
        f"customer_id={customer_id}" in query.split("&")


def _asked(record: dict) -> str:
    requests = record.get("requests")
    return str(requests[0]) if isinstance(requests, list) and requests else ""


@check("8", "live_when_up", f"`{FALLBACK_CALL}` asks the endpoint and says "
       "`\"source\": \"live\"` when it answers", reads=("predict_with_fallback",), line=LINE)
def live_when_up(snap: Snapshot) -> Finding:
    fact = snap.facts.get("fallback")
    problem = definition_problem(fact, "predict_with_fallback", FALLBACK_CALL, HINT)
    if problem:
        return problem
    if isinstance(fact, dict) and fact.get("not_a_function"):
        return fail("`predict_with_fallback` must be a plain `def` function.", HINT)
    record = _scenario(snap, "up")
    if record.get("outcome") == "returned" and not record.get("attempts"):
        return fail("With the endpoint up, `predict_with_fallback` never asked it: no request "
                    "reached the endpoint. The live answer comes from the endpoint, over HTTP, "
                    "at `ENDPOINT_URL`.", "Send the request first; the table is the fallback.")
    value, problem = _answer(record, "with the endpoint up")
    if problem:
        return problem
    cid = record.get("customer_id")
    live = {r[0]: r[1] for r in snap.facts.get("live") or [] if isinstance(r, list) and
            len(r) == 2}
    want = live.get(cid)
    if value["source"] != "live" or value["churn"] is not want:
        asked = _asked(record)
        said = (f" It sent `{asked}`; the endpoint answers `GET /predict?customer_id={cid}`."
                if asked and not _asks_for(asked, cid) else "")
        return fail(f"With the endpoint up, `predict_with_fallback({cid})` returned "
                    f"{show(value)}; the endpoint answers churn `{str(want).lower()}`, so expect "
                    f"`{{\"churn\": {want}, \"source\": \"live\"}}`.{said}", HINT)
    return ok("With the endpoint up, the live answer comes back, labelled `live`.")


@check("8", "batch_when_down", "when the endpoint is down it falls back to the stored batch "
       "answer, labelled `\"source\": \"batch\"`", needs=("live_when_up",), reads=("lookup",),
       line=LINE)
def batch_when_down(snap: Snapshot) -> Finding:
    record = _scenario(snap, "down")
    if record.get("outcome") == "raised":
        return fail(f"With the endpoint down, `predict_with_fallback` stopped with "
                    f"`{record.get('error')}` instead of falling back.",
                    "Catch the client's errors (refused connections, timeouts, error replies) "
                    "and answer from the table there.")
    value, problem = _answer(record, "with the endpoint down")
    if problem:
        return problem
    if value["source"] != "batch":
        return fail(f"With the endpoint down it returned {show(value)}: a fallback must say "
                    "its answer came from the stored batch table (`\"source\": \"batch\"`).",
                    "The caller needs to know how fresh the answer is.")
    cid = record.get("customer_id")
    stored = _stored(snap).get(cid)
    if value["churn"] is not stored:
        return fail(f"With the endpoint down it answered churn {show(value['churn'])}, but the "
                    f"stored table says {stored} for customer {cid} (scored last night, stale). "
                    "The fallback answers what is stored; it doesn't score again.",
                    "The batch system's answer is the one `lookup` reads.")
    return ok("With the endpoint down, the stored answer comes back, labelled `batch`.")


def _applied_timeout(record: dict) -> tuple[bool, float | None]:
    """(known, seconds): the read timeout the client really set (None: none at all)."""
    timeouts = record.get("timeouts")
    if isinstance(timeouts, list) and timeouts:
        last = timeouts[-1]
        return True, float(last) if type(last) in (int, float) else None
    default = record.get("default_timeout")
    return True, float(default) if type(default) in (int, float) else None


def _timeout_words(limit: float | None) -> str:
    if limit is None:
        return "no timeout at all, so it waits forever"
    if limit == 5.0:
        return "5 s, httpx's default when no `timeout=` is given"
    return f"{limit:g} s"


@check("8", "short_timeout", "it waits at most a short timeout for an endpoint that never "
       "answers, then falls back", needs=("batch_when_down",), line=LINE)
def short_timeout(snap: Snapshot) -> Finding:
    record, cap = _scenario(snap, "slow"), snap.facts.get("timeout_cap", 1.0)
    known, limit = _applied_timeout(record)
    nudge = f"Give the request a short timeout (well under {cap:g} s)."
    if record.get("outcome") == "timeout":
        return fail(f"With an endpoint that never answers, `predict_with_fallback` was still "
                    f"waiting after {record.get('limit', 2):g} s. The timeout your client "
                    f"used: {_timeout_words(limit)}. The customer waits all that time before "
                    "the fallback even starts.", nudge)
    if record.get("outcome") == "raised":
        return fail(f"With an endpoint that never answers, `predict_with_fallback` stopped with "
                    f"`{record.get('error')}`: a timeout is a failure like the others, and "
                    "falls back too.", "Catch the client's timeout errors as well.")
    if known and limit is not None and limit > cap:
        return fail(f"The timeout is {limit:g} s: a customer on the phone won't wait that long. "
                    f"Keep it at {cap:g} s or less.", nudge)
    seconds = record.get("seconds")
    if (not known or limit is None) and isinstance(seconds, (int, float)) and seconds > cap:
        return fail(f"With an endpoint that never answers, it took more than {cap:g} s to fall "
                    f"back; keep the wait at {cap:g} s or less.", nudge)
    value, problem = _answer(record, "with an endpoint that never answers")
    if problem:
        return problem
    if value["source"] != "batch":
        return fail(f"With an endpoint that never answers it returned {show(value)}; after the "
                    "timeout, answer from the table with `\"source\": \"batch\"`.", HINT)
    waited = f"after {limit:g} s" if limit is not None else f"within {cap:g} s"
    return ok(f"An endpoint that never answers is given up on {waited}, then the batch answer "
              "is used.")


@check("8", "batch_on_error", "an error reply (500) falls back too, and a customer the table "
       "doesn't hold gets `\"churn\": None` rather than a crash", needs=("batch_when_down",),
       line=LINE)
def batch_on_error(snap: Snapshot) -> Finding:
    record = _scenario(snap, "error")
    if record.get("outcome") == "raised":
        return fail(f"When the endpoint answers 500, `predict_with_fallback` stopped with "
                    f"`{record.get('error')}`: an error reply has no `churn` in it.",
                    "Check the reply's status before reading its JSON, inside the `try`.",
                    "reply.raise_for_status()")
    value, problem = _answer(record, "with the endpoint failing (500)")
    if problem:
        return problem
    if value["source"] != "batch":
        return fail(f"When the endpoint answers 500 it returned {show(value)}: an error is no "
                    "live answer; fall back to the table.",
                    "Check the reply's status before trusting it.", "reply.raise_for_status()")
    unknown = _scenario(snap, "down", stored=False)
    cid = unknown.get("customer_id")
    if unknown.get("outcome") == "raised":
        return fail(f"For a customer the table doesn't hold ({cid}), with the endpoint down, it "
                    f"stopped with `{unknown.get('error')}`.", "Answer `{\"churn\": None, "
                    "\"source\": \"batch\"}`: nobody knows, and the caller can decide.")
    value, problem = _answer(unknown, "for an unknown customer, endpoint down")
    if problem:
        return problem
    if value.get("churn") is not None:
        return fail(f"For customer {cid}, not in the table, with the endpoint down, it answered "
                    f"{show(value)}: that invents an answer. Say `\"churn\": None`.",
                    "`lookup` returns None for an unknown customer: pass it on.")
    return ok("Error replies fall back to the table; an unknown customer gets `None`.")


COST_CALL = "cost_per_used(scored, per_second, used, price_per_hour)"
COST_HINT = ("Machine time is predictions made divided by the rate; price it by the hour; "
             "share it over the predictions *used*.")
COST_LINE = '''def cost_per_used(scored, per_second, used, price_per_hour):
    return scored / per_second / 3600 * price_per_hour / used'''
COST_RULES = {
    "right": lambda s, r, u, p: s / r / 3600 * p / u,
    "shares the cost over every prediction made, not over those used: the unused ones are the "
    "waste this step is about": lambda s, r, u, p: s / r / 3600 * p / s,
    "prices seconds as if they were hours (a second is 1/3600 of an hour)":
        lambda s, r, u, p: s / r * p / u,
    "prices minutes as if they were hours (an hour has 3600 seconds, not 60)":
        lambda s, r, u, p: s / r / 60 * p / u,
    "is the cost of the whole run, not per used prediction": lambda s, r, u, p: s / r / 3600 * p,
    "multiplies by the rate: the machine time is predictions *divided by* predictions per "
    "second": lambda s, r, u, p: s * r / 3600 * p / u,
}


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1e-300)


@check("8", "cost_per_used", f"`{COST_CALL}` is the machine cost per prediction used",
       reads=("cost_per_used",), line=COST_LINE)
def cost_per_used(snap: Snapshot) -> Finding:
    problem = definition_problem(snap.facts.get("cost"), "cost_per_used", COST_CALL, COST_HINT)
    if problem:
        return problem
    for record in records(snap, "cost_calls"):
        args = (record.get("scored"), record.get("per_second"), record.get("used"),
                record.get("price_per_hour"))
        call = f"cost_per_used({', '.join(f'{a:g}' for a in args)})"
        problem = call_problem(record, call, COST_HINT)
        if problem:
            return problem
        value = returned(record)
        if type(value) not in (int, float):
            shown = "nothing" if value is NOT_RETURNED else kind(value)
            return fail(f"`{call}` returned {shown}, not a number.", COST_HINT)
        if _close(value, COST_RULES["right"](*args)):
            continue
        for words, rule in COST_RULES.items():
            if words != "right" and _close(value, rule(*args)):
                return fail(f"`{call}` is {value:.3g}: that {words}.", COST_HINT)
        return fail(f"`{call}` is {show(value)}; it should be {COST_RULES['right'](*args):.3g} "
                    "dollars per used prediction.", COST_HINT)
    return ok("`cost_per_used` prices the machine time and shares it over the predictions "
              "used.")
