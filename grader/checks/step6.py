"""Step 6: a FastAPI app answering `GET /predict?customer_id=…&feature=…` with JSON.

The probe sends the learner's `app` six fixed requests in memory (no socket: see
`grader/part2/asgi.py`) and records each status, content type and body.
"""

from __future__ import annotations

import json
from typing import Any

from ..snapshot import Snapshot
from . import Finding, check, fail, not_started, ok
from .recorded import show

HINT = ("`@app.get(\"/predict\")` on `def predict_endpoint(customer_id: int, feature: float):` "
        "returning `{\"customer_id\": customer_id, \"churn\": predict(feature)}`.")


def _reply(snap: Snapshot, name: str) -> dict:
    replies = snap.facts.get("replies")
    reply = replies.get(name) if isinstance(replies, dict) else None
    return reply if isinstance(reply, dict) else {}


def _json(reply: dict) -> Any:
    try:
        return json.loads(reply.get("body", ""))
    except (TypeError, ValueError, RecursionError):
        return None


@check("6", "app", "`app` is a FastAPI app", reads=("app",), line="app = FastAPI()")
def app(snap: Snapshot) -> Finding:
    fact = snap.facts.get("app")
    if not isinstance(fact, dict) or not fact.get("defined"):
        return not_started("`app` is not defined yet: create it with `app = FastAPI()`.", HINT)
    if fact.get("fastapi_missing"):
        return fail("FastAPI is not installed where this ran.", "Ask your instructor.")
    if not fact.get("is_fastapi"):
        return fail(f"`app` is a {fact.get('type')}, not a FastAPI app. Keep `app = FastAPI()` "
                    "and give your endpoint function another name.", HINT)
    return ok("`app` is a FastAPI app.")


def _answer_problem(reply: dict, path: str) -> Finding | None:
    """What is wrong with a reply that should be 200 + JSON with a bool `churn`."""
    if reply.get("outcome") == "timeout":
        return fail(f"`GET {path}` did not answer in time.", HINT)
    if reply.get("outcome") == "raised":
        return fail(f"`GET {path}` could not be sent: `{reply.get('error')}`.", HINT)
    status = reply.get("status")
    if status == 404:
        return fail(f"`GET {path}` answered 404 Not Found: there is no `GET /predict` route. "
                    "Check the path (with its leading `/`).", HINT)
    if status == 405:
        return fail(f"`GET {path}` answered 405 Method Not Allowed: your route is not a GET "
                    "(`@app.post`?). Reading a prediction is a GET.", HINT)
    if status == 422:
        return fail(f"`GET {path}` answered 422: FastAPI did not accept `customer_id` and "
                    f"`feature` as query parameters. Its reason: {reply.get('body', '')[:200]}",
                    HINT)
    if status == 500:
        return fail(f"`GET {path}` answered 500 Internal Server Error: your endpoint raised an "
                    "exception. Call it in a cell as a plain function to see the error.", HINT)
    if status != 200:
        return fail(f"`GET {path}` answered status {status}; a prediction should be 200 OK.",
                    HINT)
    body = _json(reply)
    if "json" not in str(reply.get("content_type", "")) or body is None:
        return fail(f"`GET {path}` did not answer JSON (it sent `{reply.get('body', '')[:60]}`"
                    "). Return a dict and FastAPI turns it into JSON.", HINT)
    if not isinstance(body, dict):
        return fail(f"`GET {path}` answered {show(body)}; answer a JSON object such as "
                    "`{\"customer_id\": 105, \"churn\": true}` so clients can read it by name.",
                    HINT)
    if "churn" not in body:
        return fail(f"The JSON has no `churn` key (it has {sorted(body)[:5]}).", HINT)
    churn = body["churn"]
    if isinstance(churn, str):
        return fail(f"`churn` is the string {show(churn)}, not the JSON boolean `true`/`false`. "
                    "A client testing `if reply[\"churn\"]:` would treat \"False\" as true.",
                    "Return the bool itself: `\"churn\": predict(feature)`, not `str(...)`.")
    if not isinstance(churn, bool):
        return fail(f"`churn` is {show(churn)}; answer the JSON boolean `true`/`false` that "
                    "`predict` returns.", "`\"churn\": predict(feature)`")
    return None


@check("6", "answers_live", "`GET /predict?customer_id=105&feature=0.7` answers JSON with "
       "`\"churn\": true` and the customer's ID", needs=("app",))
def answers_live(snap: Snapshot) -> Finding:
    path = "/predict?customer_id=105&feature=0.7"
    reply = _reply(snap, "churns")
    problem = _answer_problem(reply, path)
    if problem:
        return problem
    body = _json(reply)
    if body["churn"] is not True:
        return fail("For feature 0.7 the endpoint answered `\"churn\": false`; `predict(0.7)` is "
                    "`True`.", "Pass the request's `feature` to `predict`.")
    if body.get("customer_id") != 105:
        return fail(f"The JSON's `customer_id` is {show(body.get('customer_id'))}; echo the "
                    "request's customer (105) so a client can tell answers apart.", HINT)
    return ok("`GET /predict?customer_id=105&feature=0.7` answers "
              f"`{reply.get('body', '')[:80]}`.")


@check("6", "answers_false", "it answers `\"churn\": false` for feature 0.2 and exactly at the "
       "threshold, 0.6", needs=("answers_live",))
def answers_false(snap: Snapshot) -> Finding:
    for name, feature in (("stays", 0.2), ("at_threshold", 0.6)):
        reply = _reply(snap, name)
        path = f"/predict?customer_id=…&feature={feature}"
        problem = _answer_problem(reply, path)
        if problem:
            return problem
        if _json(reply)["churn"] is not False:
            extra = " At exactly the threshold the model says no churn (`>` not `>=`)." \
                if feature == 0.6 else ""
            return fail(f"For feature {feature} the endpoint answered `\"churn\": true`.{extra}",
                        "Return `predict(feature)`, the same rule as the batch job.")
    return ok("Features 0.2 and 0.6 answer `\"churn\": false`.")


BAD = (("no_feature", "without `feature`"), ("text_feature", "with `feature=abc`"),
       ("no_customer", "without `customer_id`"))


@check("6", "bad_requests", "bad requests (no `feature`, `feature=abc`, no `customer_id`) get "
       "a 422 with a reason, never a 500", needs=("app",))
def bad_requests(snap: Snapshot) -> Finding:
    for name, words in BAD:
        reply = _reply(snap, name)
        status = reply.get("status")
        if reply.get("outcome") != "returned":
            return fail(f"A request {words} did not get an answer.", HINT)
        if status == 500:
            return fail(f"A request {words} crashed your endpoint (500 Internal Server Error). "
                        "Declare the parameters with types, `customer_id: int, feature: float`, "
                        "so FastAPI refuses bad input with a 422 before your code runs.", HINT)
        if status == 200:
            return fail(f"A request {words} was answered 200 as if it were fine. Don't give the "
                        "parameter a default: a missing or unreadable value must be refused.",
                        HINT)
        if status != 422:
            return fail(f"A request {words} got status {status}; FastAPI's own answer for bad "
                        "input is 422 Unprocessable Entity.", HINT)
        body = _json(reply)
        if not isinstance(body, dict) or not body.get("detail"):
            return fail(f"A request {words} got a 422 with no reason in it: a client should be "
                        "told what was wrong.", "Let FastAPI validate the typed parameters.")
    return ok("Bad requests get a 422 that says what was wrong.")
