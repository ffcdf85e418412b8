"""Step 6: serve by customer ID, with the feature looked up at request time in the online
table; measure the skew between the serving path and the batch path, and fix it.

The probe hands `skew_share` serving paths whose skew is known, asks the learner's
`serving_feature` about customers put into their online table, and sends their `app` requests
in memory (see `grader/part2/asgi.py`), some with `threshold` or `MODEL_VERSION` changed.
"""

from __future__ import annotations

import json
from typing import Any

from ..part2.questions import SERVING_PATHS
from ..snapshot import Snapshot
from . import Finding, check, fail, not_started, ok
from .recorded import (
    NOT_RETURNED,
    call_problem,
    definition_problem,
    fact_record,
    kind,
    model_replaced,
    records,
    returned,
    show,
)

SKEW_CALL = "skew_share(customers, serving_feature)"
SKEW_HINT = ("For each customer, compare the batch answer (`predict` on the stored feature) "
             "with the served one (`predict` on what `serving_feature` gives); count the "
             "differences.")
SKEW_LINE = '''def skew_share(customers, serving_feature):
    differ = sum(predict(feature) != predict(serving_feature(customer_id))
                 for customer_id, feature in customers)
    return differ / len(customers) if customers else 0.0'''
SERVING_LINE = '''def serving_feature(customer_id):
    return online_features[customer_id]'''
APP_HINT = ("Score the feature `serving_feature` gives, answer 404 for a customer the online "
            "table doesn't hold, and return a dict.")
APP_LINE = '''app = FastAPI()


@app.get("/predict")
def predict_endpoint(customer_id: int):
    if customer_id not in online_features:
        raise HTTPException(status_code=404, detail=f"unknown customer {customer_id}")
    return {"customer_id": customer_id, "churn": predict(serving_feature(customer_id)),
            "model_version": MODEL_VERSION}'''


def _serve(path: str, feature: float) -> float:
    if path == "rounded":
        return round(feature, 1)
    if path == "percent":
        return feature * 100
    return feature


def _skew_rules(record: dict) -> dict[str, float]:
    """What each way of measuring gives for one recorded call: the right share first."""
    customers = [c for c in record.get("customers", []) if isinstance(c, list) and len(c) == 2]
    limit, path = record.get("threshold", 0.6), str(record.get("path"))
    n = len(customers)
    differ = sum((f > limit) != (_serve(path, f) > limit) for _, f in customers)
    moved = sum(_serve(path, f) != f for _, f in customers)
    share = differ / n if n else 0.0
    return {"right": share, "count": float(differ), "percent": 100 * share,
            "agree": (1 - share) if n else 1.0, "features": moved / n if n else 0.0}


SKEW_WORDS = {
    "count": "that is how many customers differ, not their share: divide by the number of "
             "customers",
    "percent": "a percentage: answer the share, between 0.0 and 1.0",
    "agree": "that is the share whose answers *agree*: skew is the share that differs",
    "features": "that is the share of customers whose *feature* changed on the way; skew that "
                "matters is in the *answers*: compare `predict` on both sides",
}


def _skew_call_text(record: dict) -> str:
    n = len(record.get("customers") or [])
    path = SERVING_PATHS.get(str(record.get("path")), "a serving path")
    return f"`skew_share` on {n} customers, served {path},"


@check("6", "skew_share", f"`{SKEW_CALL}` is the share of customers the serving path answers "
       "differently from the batch job", reads=("skew_share",), line=SKEW_LINE)
def skew_share(snap: Snapshot) -> Finding:
    problem = definition_problem(snap.facts.get("skew"), "skew_share", SKEW_CALL, SKEW_HINT)
    if problem:
        return problem
    calls = records(snap, "skew_calls")
    for record in calls:
        if not record.get("customers") and "ZeroDivision" in str(record.get("error")):
            return fail("`skew_share([], serving_feature)` divides by zero. No customers, no "
                        "skew: answer 0.0.", "What should an empty list give?")
        problem = call_problem(record, _skew_call_text(record).rstrip(","), SKEW_HINT)
        if problem:
            return problem
        value = returned(record)
        if type(value) not in (int, float):
            shown = "nothing" if value is NOT_RETURNED else kind(value)
            return fail(f"{_skew_call_text(record)} returned {shown}, not a number.", SKEW_HINT)
    answers = [returned(r) for r in calls]
    full = [a for a, r in zip(answers, calls, strict=True) if len(r.get("customers") or []) > 5]
    if len(full) >= 3 and len(set(full)) == 1:
        return fail(f"`skew_share` gives {show(full[0])} whatever serving path it is handed: it "
                    "measures some other path than the one it is given.",
                    "Call the `serving_feature` your function receives as a parameter.")
    for value, record in zip(answers, calls, strict=True):
        rules = _skew_rules(record)
        if abs(value - rules["right"]) < 1e-9:
            continue
        for name, words in SKEW_WORDS.items():
            if abs(value - rules[name]) < 1e-9:
                return fail(f"{_skew_call_text(record)} is {show(value)}: {words}.", SKEW_HINT)
        return fail(f"{_skew_call_text(record)} is {show(value)}; {rules['right']:.4g} of them "
                    "get a different answer.", SKEW_HINT)
    return ok("`skew_share` measures the share of customers whose served answer differs.")


@check("6", "serving_fixed", "`serving_feature(customer_id)` serves the feature as stored in "
       "the online table: no skew left", reads=("serving_feature",), line=SERVING_LINE)
def serving_fixed(snap: Snapshot) -> Finding:
    hint = "Serve the feature exactly as the batch job sees it."
    problem = definition_problem(snap.facts.get("serving"), "serving_feature",
                                 "serving_feature(customer_id)", hint)
    if problem:
        return problem
    if fact_record(snap, "serving_calls").get("table_is_dict") is False:
        return fail("`online_features` is no longer the dict of features the given cell made, "
                    "so the endpoint has nothing to look customers up in.",
                    "Run the cell that builds `online_features` again.")
    calls = fact_record(snap, "serving_calls").get("calls")
    for record in [c for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []:
        cid, stored = record.get("customer_id"), record.get("stored")
        call = f"serving_feature({cid})"
        problem = call_problem(record, call, hint)
        if problem:
            return problem
        value = returned(record)
        if value == stored:
            continue
        if isinstance(value, (int, float)) and value == round(stored, 1):
            return not_started(f"`{call}` is {value}, but the online table holds {stored}: "
                               "`serving_feature` still rounds to one decimal, as the given "
                               "code does. The batch job scores the exact value, so rounding "
                               "changes answers near the threshold (the skew you measure); "
                               "fix it in its answer cell.", hint)
        if isinstance(value, (int, float)) and abs(value - 100 * stored) < 1e-9:
            return fail(f"`{call}` is {value}, a percentage of the stored {stored}: the model "
                        "expects the feature between 0 and 1.", hint)
        return fail(f"`{call}` is {show(value)}, but the online table holds {stored} for that "
                    "customer.", hint)
    return ok("`serving_feature` serves each feature exactly as stored.")


def _reply(snap: Snapshot, name: str) -> dict:
    replies = fact_record(snap, "app").get("replies")
    reply = replies.get(name) if isinstance(replies, dict) else None
    return reply if isinstance(reply, dict) else {}


def _json(reply: dict) -> Any:
    try:
        return json.loads(reply.get("body", ""))
    except (TypeError, ValueError, RecursionError):
        return None


def _online(snap: Snapshot) -> dict:
    questions = snap.facts.get("questions")
    pairs = questions.get("online", []) if isinstance(questions, dict) else []
    return {p[0]: p[1] for p in pairs if isinstance(p, list) and len(p) == 2}


@check("6", "app", "`app` is a FastAPI app", reads=("app",), line=APP_LINE)
def app(snap: Snapshot) -> Finding:
    fact = fact_record(snap, "app")
    if not fact.get("defined"):
        return not_started("`app` is not defined yet: create it with `app = FastAPI()`.",
                           APP_HINT)
    if fact.get("fastapi_missing"):
        return fail("FastAPI is not installed where this ran.", "Ask your instructor.")
    if not fact.get("is_fastapi"):
        return fail(f"`app` is a {fact.get('type')}, not a FastAPI app. Keep `app = FastAPI()` "
                    "and give your endpoint function another name.",
                    "Which name does the decorator `@app.get` need?")
    if snap.facts.get("model_is_route"):
        return model_replaced()
    return ok("`app` is a FastAPI app.")


def _answer_problem(reply: dict) -> Finding | None:
    """What is wrong with a reply that should be 200 + a JSON object with a bool `churn`."""
    path = reply.get("path", "/predict")
    if reply.get("outcome") == "timeout":
        return fail(f"`GET {path}` did not answer in time.", APP_HINT)
    if reply.get("outcome") == "raised":
        return fail(f"`GET {path}` could not be sent: `{reply.get('error')}`.", APP_HINT)
    status = reply.get("status")
    if status == 404:
        return fail(f"`GET {path}` answered 404 Not Found for a customer the online table "
                    "holds: is the route `GET /predict` (with its leading `/`), and does it look "
                    "the customer up with `serving_feature`?", APP_HINT)
    if status == 405:
        return fail(f"`GET {path}` answered 405 Method Not Allowed: your route is not a GET "
                    "(`@app.post`?). Reading a prediction is a GET.", APP_HINT)
    if status == 422 and '"feature"' in str(reply.get("body")):
        return fail(f"`GET {path}` answered 422: your route wants a `feature` in the request. "
                    "Here the request carries only the customer's ID; the feature comes from "
                    "the online table, looked up when the request arrives.",
                    "The route takes one parameter, `customer_id: int`.")
    if status == 422:
        return fail(f"`GET {path}` answered 422: FastAPI did not accept the request's "
                    f"parameters. Its reason: {reply.get('body', '')[:200]}",
                    "The route takes one parameter, `customer_id: int`.")
    if status == 500:
        return fail(f"`GET {path}` answered 500 Internal Server Error: your endpoint raised an "
                    "exception. Call its function in a cell as a plain function to see the "
                    "error.", APP_HINT)
    if status != 200:
        return fail(f"`GET {path}` answered status {status}; a prediction should be 200 OK.",
                    APP_HINT)
    body = _json(reply)
    if "json" not in str(reply.get("content_type", "")) or body is None:
        return fail(f"`GET {path}` did not answer JSON (it sent `{reply.get('body', '')[:60]}`"
                    "). Return a dict and FastAPI turns it into JSON.", APP_HINT)
    if not isinstance(body, dict):
        return fail(f"`GET {path}` answered {show(body)}; answer a JSON object with "
                    "`customer_id`, `churn` and `model_version` so clients can read it by "
                    "name.", APP_HINT)
    if "churn" not in body:
        return fail(f"The JSON has no `churn` key (it has {sorted(body)[:5]}).", APP_HINT)
    churn = body["churn"]
    if isinstance(churn, str):
        return fail(f"`churn` is the string {show(churn)}, not the JSON boolean `true`/`false`. "
                    "A client testing `if reply[\"churn\"]:` would treat \"False\" as true.",
                    "Return the model's bool itself, not text.")
    if not isinstance(churn, bool):
        return fail(f"`churn` is {show(churn)}; answer the JSON boolean `true`/`false` that "
                    "`predict` returns.", "Return the model's answer as it is.")
    return None


def _customer_of(reply: dict) -> int | None:
    path = str(reply.get("path", ""))
    try:
        return int(path.rsplit("customer_id=", 1)[1])
    except (IndexError, ValueError):
        return None


@check("6", "answers_live", "`GET /predict?customer_id=…` answers JSON with the customer's "
       "ID, `churn` and `model_version`", needs=("app",), line=APP_LINE)
def answers_live(snap: Snapshot) -> Finding:
    reply = _reply(snap, "churns")
    problem = _answer_problem(reply)
    if problem:
        return problem
    body, cid = _json(reply), _customer_of(reply)
    feature = _online(snap).get(cid)
    if body["churn"] is not True:
        return fail(f"Customer {cid}'s feature in the online table is {feature}; the endpoint "
                    "answered `\"churn\": false`, but `predict` says true.",
                    "Score the feature `serving_feature` gives for that customer.")
    if body.get("customer_id") != cid:
        return fail(f"The JSON's `customer_id` is {show(body.get('customer_id'))}; echo the "
                    f"request's customer ({cid}, a number) so a client can tell answers apart.",
                    APP_HINT)
    if "model_version" not in body:
        return fail("The reply has no `model_version`: a client (and whoever debugs a wrong "
                    "answer next month) can't tell which model answered.",
                    "Add the version the notebook names in `MODEL_VERSION`.")
    return ok(f"`GET /predict?customer_id={cid}` answers `{reply.get('body', '')[:90]}`.")


@check("6", "answers_by_model", "it answers what `predict` says for the stored feature: below, "
       "at and just above the threshold, and when `threshold` changes", needs=("answers_live",),
       line=APP_LINE)
def answers_by_model(snap: Snapshot) -> Finding:
    online = _online(snap)
    for name in ("stays", "at_threshold", "near_threshold", "threshold_moved"):
        reply = _reply(snap, name)
        problem = _answer_problem(reply)
        if problem:
            return problem
        cid, limit = _customer_of(reply), reply.get("threshold")
        feature, got = online.get(cid), _json(reply)["churn"]
        want = isinstance(feature, (int, float)) and isinstance(limit, (int, float)) and \
            feature > limit
        if got == want:
            continue
        if name == "at_threshold":
            return fail(f"For a feature exactly at the threshold ({feature}) the endpoint "
                        "answered churn: `>` not `>=`.", "Let the model decide: `predict`.")
        if name == "near_threshold":
            return fail(f"Customer {cid}'s stored feature is {feature}, over the threshold, yet "
                        "the endpoint answered no churn: it doesn't serve the feature as stored "
                        "(still rounding?). That is the skew you measured.",
                        "Read the feature with your fixed `serving_feature`.")
        if name == "threshold_moved":
            return fail(f"With `threshold = {limit}`, customer {cid} (feature {feature}) should "
                        f"churn, but the endpoint answered {str(got).lower()}: it compares with "
                        "a fixed number instead of the model's `threshold`.",
                        "Let `predict` decide; don't write the threshold's value.")
        return fail(f"Customer {cid} (feature {feature}) got `\"churn\": {str(got).lower()}`; "
                    f"`predict({feature})` is {want}.", "Let `predict` decide.")
    return ok("The endpoint answers as `predict` does, at every threshold.")


@check("6", "model_version", "the reply's `model_version` is the notebook's `MODEL_VERSION`",
       needs=("answers_live",), line=APP_LINE)
def model_version(snap: Snapshot) -> Finding:
    reply = _reply(snap, "new_version")
    problem = _answer_problem(reply)
    if problem:
        return problem
    got, want = _json(reply).get("model_version"), reply.get("model_version")
    if got != want:
        return fail(f"With `MODEL_VERSION = \"{want}\"` the reply still says "
                    f"`\"model_version\": {json.dumps(got)}`: a fixed text goes stale the day "
                    "the model changes.", "Answer the version `MODEL_VERSION` holds.")
    return ok("The reply names the model version that answered.")


@check("6", "unknown_customer", "a customer the online table doesn't hold gets a 404 with a "
       "reason", needs=("app",), line=APP_LINE)
def unknown_customer(snap: Snapshot) -> Finding:
    reply = _reply(snap, "unknown")
    cid, status = _customer_of(reply), reply.get("status")
    hint = "Before looking the feature up, raise `HTTPException(status_code=404, detail=...)` " \
        "for a customer the online table doesn't hold."
    if reply.get("outcome") != "returned":
        return fail(f"A request for customer {cid}, whom the table doesn't hold, got no answer.",
                    hint)
    if status == 500:
        return fail(f"A request for customer {cid}, whom the online table doesn't hold, crashed "
                    "the endpoint (500): an unknown customer is the caller's mistake, not the "
                    "server's.", hint)
    if status == 200:
        return fail(f"A customer the table doesn't hold ({cid}) got 200 "
                    f"`{reply.get('body', '')[:80]}`: that invents an answer. Say 404: no such "
                    "customer.", hint)
    if status != 404:
        return fail(f"A request for an unknown customer ({cid}) got status {status}; HTTP's "
                    "answer for \"no such thing\" is 404 Not Found.", hint)
    body = _json(reply)
    if not isinstance(body, dict) or not body.get("detail"):
        return fail("The 404 for an unknown customer has no reason in it: a client should be "
                    "told what was wrong.", "Give the `HTTPException` a `detail`.")
    return ok("An unknown customer gets 404 with a reason.")


BAD = (("no_customer", "without `customer_id`"), ("text_customer", "with `customer_id=abc`"))


@check("6", "bad_requests", "bad requests (no `customer_id`, `customer_id=abc`) get a 422 with "
       "a reason, never a 500", needs=("app",), line=APP_LINE)
def bad_requests(snap: Snapshot) -> Finding:
    typed = "Declare the parameter with its type, `customer_id: int`, and no default."
    for name, words in BAD:
        reply = _reply(snap, name)
        status = reply.get("status")
        if reply.get("outcome") != "returned":
            return fail(f"A request {words} did not get an answer.", typed)
        if status == 500:
            return fail(f"A request {words} crashed your endpoint (500 Internal Server Error). "
                        "With a typed parameter FastAPI refuses bad input with a 422 before your "
                        "code runs.", typed)
        if status == 200:
            return fail(f"A request {words} was answered 200 as if it were fine. A missing or "
                        "unreadable customer must be refused.", typed)
        if status != 422:
            return fail(f"A request {words} got status {status}; FastAPI's own answer for "
                        "input it can't read is 422 Unprocessable Entity, which clients "
                        "recognise. Let FastAPI check the parameter instead of checking it "
                        "yourself.", typed)
        body = _json(reply)
        if not isinstance(body, dict) or not body.get("detail"):
            return fail(f"A request {words} got a 422 with no reason in it: a client should be "
                        "told what was wrong.", typed)
    return ok("Bad requests get a 422 that says what was wrong.")
