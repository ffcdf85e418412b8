"""Every likely mistake of Part 2 gets its own message (the table is grader/PART2_CHECKS.md),
judged by what the learner's code does: its table, its replies, its answers with `threshold`
changed, its fallback against an endpoint that is up, down, slow or failing."""

from __future__ import annotations

import pytest

from .solution import RIGHT, failures, run_part2

JOB = '''
def run_batch_job(conn, customers, model_version):
    conn.execute("CREATE TABLE IF NOT EXISTS predictions (customer_id INTEGER PRIMARY KEY, "
                 "feature REAL, churn INTEGER, model_version TEXT, scored_at TEXT)")
    {body}
'''
ROWS = "rows = [(c, f, predict(f), model_version, '2024-01-01') for c, f in customers]"
WRITE = "conn.executemany('INSERT OR REPLACE INTO predictions VALUES (?, ?, ?, ?, ?)', rows)"


def job(body: str, create: str | None = None) -> str:
    code = JOB.format(body=body.replace("\n", "\n    "))
    return code if create is None else code.replace(
        "CREATE TABLE IF NOT EXISTS predictions (customer_id INTEGER PRIMARY KEY, ", create)


def route(body: str, params: str = "customer_id: int", decorator: str = "get",
          path: str = "/predict", name: str = "predict_endpoint") -> str:
    return (f"app = FastAPI()\n@app.{decorator}('{path}')\ndef {name}({params}):\n"
            + "".join(f"    {line}\n" for line in body.splitlines()))


FOUND = ("try:\n    feature = serving_feature(customer_id)\nexcept KeyError:\n"
         "    raise HTTPException(status_code=404, detail='unknown customer')\n")
REPLY = "return {'customer_id': customer_id, 'churn': %s, 'model_version': MODEL_VERSION}"


def fallback(ask: str, catch: str = "httpx.HTTPError", check: str = "reply.raise_for_status()",
             live: str = "{'churn': reply.json()['churn'], 'source': 'live'}",
             stored: str = "{'churn': lookup(conn, customer_id), 'source': 'batch'}") -> str:
    return (f"def predict_with_fallback(customer_id):\n    try:\n        reply = {ask}\n"
            f"        {check}\n        return {live}\n    except {catch}:\n"
            f"        return {stored}\n")


HTTPX = "httpx.get(f'{ENDPOINT_URL}/predict', params={'customer_id': customer_id}%s)"


def capacity(body: str) -> str:
    return "def capacity(latencies, budget_ms):\n" + "".join(
        f"    {line}\n" for line in body.splitlines())


def skew(expression: str) -> str:
    return ("def skew_share(customers, serving_feature):\n    if not customers:\n"
            "        return 0.0\n"
            f"    return {expression}\n")


DIFFER = ("sum(predict(f) != predict(serving_feature(c)) for c, f in customers)")

MISTAKES = [
    # step 5: the batch job
    ("5", {"job": job(ROWS + "\nfor row in rows:\n    conn.execute('INSERT OR REPLACE INTO "
                      "predictions VALUES (?, ?, ?, ?, ?)', row)\n    conn.commit()")},
     "5.one_transaction", "committed 40 times"),
    ("5", {"job": job(ROWS + "\n" + WRITE)}, "5.one_transaction", "never commits"),
    ("5", {"job": job(ROWS + "\nconn.executemany('INSERT INTO predictions VALUES (?, ?, ?, ?, ?)'"
                      ", rows)\nconn.commit()", create="CREATE TABLE IF NOT EXISTS predictions "
                      "(customer_id INTEGER, ")},
     "5.table_shape", "not the table's (only) PRIMARY KEY"),
    ("5", {"job": job(ROWS + "\nconn.executemany('INSERT INTO predictions VALUES (?, ?, ?, ?, ?)'"
                      ", rows)\nconn.commit()")},
     "5.rerun_replaces", "fails with `IntegrityError: UNIQUE"),
    ("5", {"job": job(ROWS + "\nconn.executemany('INSERT OR IGNORE INTO predictions VALUES "
                      "(?, ?, ?, ?, ?)', rows)\nconn.commit()")},
     "5.rerun_replaces", "INSERT OR IGNORE"),
    ("5", {"job": job("rows = [(c, f, str(predict(f)), model_version, 'x') for c, f in "
                      "customers]\n" + WRITE + "\nconn.commit()")},
     "5.scores", "is stored as the text"),
    ("5", {"job": job("rows = [(c, f, f >= 0.6, model_version, 'x') for c, f in customers]\n"
                      + WRITE + "\nconn.commit()")},
     "5.scores", "`>` not `>=`"),
    ("5", {"job": job("rows = [(c, f, predict(f), 'v1', 'x') for c, f in customers]\n"
                      + WRITE + "\nconn.commit()")},
     "5.scores", "store the argument, not a fixed text"),
    ("5", {"job": job("rows = [(c, f, predict(f), model_version, None) for c, f in customers]\n"
                      + WRITE + "\nconn.commit()")},
     "5.scores", "`scored_at` is empty"),
    ("5", {"job": job("import time\nrows = [(c, f, predict(f), model_version, time.perf_counter())"
                      " for c, f in customers]\n" + WRITE + "\nconn.commit()")},
     "5.scores", "different `scored_at` times"),
    ("5", {"job": "def run_batch_job(conn, customers, model_version):\n    pass\n"},
     "5.table_shape", "no `predictions` table"),
    ("5", {"job": job(ROWS + "\n" + WRITE + "\nconn.commit()\nconn.close()")},
     "5.job_runs", "closed the connection"),
    ("5", {"job": "def run_batch_job(conn, customers):\n    pass\n"},
     "5.job_runs", "TypeError"),
    # step 5: numpy
    ("5", {"vectorised": "def predict_vectorised(features):\n"
                         "    return np.array([predict(f) for f in features])\n"},
     "5.vectorised", "loops over the array in Python"),
    ("5", {"vectorised": "def predict_vectorised(features):\n"
                         "    return np.vectorize(predict)(features)\n"},
     "5.vectorised", "a Python loop in disguise"),
    ("5", {"vectorised": "def predict_vectorised(features):\n"
                         "    return list(features > threshold)\n"},
     "5.vectorised", "not a numpy array"),
    ("5", {"vectorised": "def predict_vectorised(features):\n"
                         "    return (features > threshold).astype(int)\n"},
     "5.vectorised", "not of bools"),
    ("5", {"vectorised": "def predict_vectorised(features):\n    return features > 0.6\n"},
     "5.vectorised", "compares with a fixed number instead of reading `threshold`"),
    ("5", {"vectorised": "def predict_vectorised(features):\n    return features >= threshold\n"},
     "5.vectorised", "`predict` gives"),
    # step 6: measuring the skew
    ("6", {"skew": skew(DIFFER)}, "6.skew_share", "not their share"),
    ("6", {"skew": skew(f"100 * {DIFFER} / len(customers)")}, "6.skew_share", "a percentage"),
    ("6", {"skew": skew(f"1 - {DIFFER} / len(customers)")}, "6.skew_share", "*agree*"),
    ("6", {"skew": skew("sum(serving_feature(c) != f for c, f in customers) / len(customers)")},
     "6.skew_share", "share of customers whose *feature* changed"),
    ("6", {"skew": "def skew_share(customers, serving):\n    if not customers:\n        return "
                   "0.0\n    return sum(predict(f) != predict(round(f, 1)) for c, f in customers)"
                   " / len(customers)\n"},
     "6.skew_share", "whatever serving path it is handed"),
    ("6", {"skew": "def skew_share(customers, serving_feature):\n    return " + DIFFER
                   + " / len(customers)\n"},
     "6.skew_share", "divides by zero"),
    ("6", {"skew": skew(f"str({DIFFER} / len(customers))")}, "6.skew_share", "not a number"),
    # step 6: fixing the serving path
    ("6", {"serving": "def serving_feature(customer_id):\n"
                      "    return round(online_features[customer_id], 2)\n"},
     "6.serving_fixed", "but the online table holds"),
    ("6", {"serving": "def serving_feature(customer_id):\n"
                      "    return online_features[customer_id] * 100\n"},
     "6.serving_fixed", "a percentage of the stored"),
    # step 6: the endpoint
    ("6", {"app": route(FOUND + REPLY % "str(predict(feature))")},
     "6.answers_live", "the string 'True'"),
    ("6", {"app": route("feature = online_features[int(customer_id)]\n"
                        + REPLY % "predict(feature)", params="customer_id")},
     "6.answers_live", "echo the request's customer"),
    ("6", {"app": route(FOUND + "return {'customer_id': customer_id, 'churn': predict(feature)}")},
     "6.answers_live", "no `model_version`"),
    ("6", {"app": route(FOUND + "return predict(feature)")},
     "6.answers_live", "answer a JSON object"),
    ("6", {"app": route(FOUND + REPLY % "predict(feature)", decorator="post")},
     "6.answers_live", "405 Method Not Allowed"),
    ("6", {"app": route(FOUND + REPLY % "predict(feature)", path="/predictions")},
     "6.answers_live", "404 Not Found for a customer the online table holds"),
    ("6", {"app": route(FOUND + REPLY % "predict(feature)",
                        params="customer_id: int, feature: float")},
     "6.answers_live", "the feature comes from the online table"),
    ("6", {"app": route(FOUND + REPLY % "feature > 0.6")},
     "6.answers_by_model", "compares with a fixed number"),
    ("6", {"app": route(FOUND + REPLY % "feature >= threshold")},
     "6.answers_by_model", "`>` not `>=`"),
    ("6", {"app": route("feature = round(online_features[customer_id], 1)\n"
                        + REPLY % "predict(feature)")},
     "6.answers_by_model", "still rounding?"),
    ("6", {"app": route(FOUND + "return {'customer_id': customer_id, 'churn': predict(feature),"
                        " 'model_version': 'v1'}")},
     "6.model_version", "a fixed text goes stale"),
    ("6", {"app": route("feature = serving_feature(customer_id)\n"
                        + REPLY % "predict(feature)")},
     "6.unknown_customer", "crashed the endpoint (500)"),
    ("6", {"app": route("feature = online_features.get(customer_id)\n"
                        + REPLY % "None if feature is None else predict(feature)")},
     "6.unknown_customer", "invents an answer"),
    ("6", {"app": route("if customer_id is None or not customer_id.isdigit():\n"
                        "    raise HTTPException(status_code=400, detail='customer_id?')\n"
                        "customer_id = int(customer_id)\n" + FOUND + REPLY % "predict(feature)",
                        params="customer_id: str = None")},
     "6.bad_requests", "got status 400"),
    ("6", {"app": route("if customer_id is None or not customer_id.isdigit():\n"
                        "    raise HTTPException(status_code=404, detail='no such customer')\n"
                        "customer_id = int(customer_id)\n" + FOUND + REPLY % "predict(feature)",
                        params="customer_id: str = None")},
     "6.bad_requests", "got status 404"),
    ("6", {"app": route("customer_id = int(customer_id)\n" + FOUND + REPLY % "predict(feature)",
                        params="customer_id: str")},
     "6.bad_requests", "crashed your endpoint (500"),
    ("6", {"app": route(FOUND + REPLY % "predict(feature)", params="customer_id: int = 105")},
     "6.bad_requests", "was answered 200"),
    ("6", {"app": "@FastAPI().get('/predict')\ndef app(customer_id: int):\n    return {}\n"},
     "6.app", "not a FastAPI app"),
    # step 7: percentiles
    ("7", {"percentile": "def percentile(values, p):\n"
                         "    return values[max(1, -(-p * len(values) // 100)) - 1]\n"},
     "7.percentile_sorted", "not sorted"),
    ("7", {"percentile": "def percentile(values, p):\n    values.sort()\n"
                         "    return values[max(1, -(-p * len(values) // 100)) - 1]\n"},
     "7.leaves_input", "sorts in place"),
    ("7", {"percentile": "def percentile(values, p):\n    return float(np.percentile(values, p))"
                         "\n"},
     "7.percentile_runs", "interpolated percentile"),
    ("7", {"percentile": "def percentile(values, p):\n"
                         "    return sorted(values)[int(p / 100 * len(values))]\n"},
     "7.percentile_runs", "the rank is counted from 1"),
    ("7", {"percentile": "def percentile(values, p):\n"
                         "    return sorted(values)[min(len(values) - 1, int(p / 100 * "
                         "len(values)))]\n"},
     "7.nearest_rank", "by nearest rank"),
    ("7", {"percentile": "def percentile(values, p):\n"
                         "    return np.percentile(values, p, method='inverted_cdf')\n"},
     None, ""),
    # step 7: capacity
    ("7", {"capacity": capacity("ok = [c for c, m in latencies.items() if sum(m) / len(m) <= "
                                "budget_ms]\nreturn max(ok, default=0)")},
     "7.capacity", "the mean latency"),
    ("7", {"capacity": capacity("ok = [c for c, m in latencies.items() if percentile(m, 50) <= "
                                "budget_ms]\nreturn max(ok, default=0)")},
     "7.capacity", "p50"),
    ("7", {"capacity": capacity("ok = [c for c, m in latencies.items() if percentile(m, 95) <= "
                                "budget_ms]\nreturn max(ok, default=0)")},
     "7.capacity", "p95"),
    ("7", {"capacity": capacity("ok = [c for c, m in latencies.items() if max(m) <= "
                                "budget_ms]\nreturn max(ok, default=0)")},
     "7.capacity", "the slowest single request"),
    ("7", {"capacity": capacity("ok = [c for c, m in latencies.items() if percentile(m, 99) < "
                                "budget_ms]\nreturn max(ok, default=0)")},
     "7.capacity", "exactly at the budget"),
    ("7", {"capacity": capacity("for c in sorted(latencies):\n    if percentile(latencies[c], 99)"
                                " > budget_ms:\n        return c\nreturn 0")},
     "7.capacity", "the first client count that breaks"),
    ("7", {"capacity": capacity("best = 0\nfor c, m in latencies.items():\n    if percentile(m, "
                                "99) > budget_ms:\n        break\n    best = c\nreturn best")},
     "7.capacity", "the order the measurements came in"),
    ("7", {"capacity": capacity("return [c for c, m in latencies.items() if percentile(m, 99) <= "
                                "budget_ms]")},
     "7.capacity", "answer a number of clients"),
    ("7", {"capacity": capacity("ok = [c for c, m in latencies.items() if percentile(m, 99) <= "
                                "budget_ms]\nreturn max(ok) if ok else None")},
     None, ""),
    # step 8: the fallback, with any client
    ("8", {"fallback": "def predict_with_fallback(customer_id):\n"
                       f"    reply = {HTTPX % ', timeout=0.2'}\n"
                       "    return {'churn': reply.json()['churn'], 'source': 'live'}\n"},
     "8.batch_when_down", "instead of falling back"),
    ("8", {"fallback": fallback(HTTPX % "")}, "8.short_timeout", "httpx's default"),
    ("8", {"fallback": fallback(HTTPX % ", timeout=None")},
     "8.short_timeout", "no timeout at all, so it waits forever"),
    ("8", {"fallback": fallback(HTTPX % ", timeout=1.4")}, "8.short_timeout", "1.4 s"),
    ("8", {"fallback": fallback(HTTPX % ", timeout=1.0")}, None, ""),
    ("8", {"fallback": fallback("urllib.request.urlopen(f'{ENDPOINT_URL}/predict?customer_id="
                                "{customer_id}')", catch="OSError", check="pass",
                                live="{'churn': json.load(reply)['churn'], 'source': 'live'}")},
     "8.short_timeout", "no timeout at all"),
    ("8", {"fallback": fallback(HTTPX % ", timeout=0.2", catch="httpx.ConnectError")},
     "8.short_timeout", "a timeout is a failure like the others"),
    ("8", {"fallback": fallback(HTTPX % ", timeout=0.2", check="pass")},
     "8.batch_on_error", "an error reply has no `churn`"),
    ("8", {"fallback": fallback(HTTPX % ", timeout=0.2", check="pass",
                                live="{'churn': reply.json().get('churn'), 'source': 'live'}")},
     "8.batch_on_error", "an error is no live answer"),
    ("8", {"fallback": fallback(HTTPX % ", timeout=0.2",
                                stored="{'churn': predict(online_features[customer_id]), "
                                       "'source': 'batch'}")},
     "8.batch_when_down", "doesn't score again"),
    ("8", {"fallback": fallback(HTTPX % ", timeout=0.2",
                                stored="{'churn': lookup(conn, customer_id), 'source': 'live'}")},
     "8.batch_when_down", "`\"source\": \"batch\"`"),
    ("8", {"fallback": "def predict_with_fallback(customer_id):\n    return {'churn': "
                       "predict(online_features[customer_id]), 'source': 'live'}\n"},
     "8.live_when_up", "never asked it"),
    ("8", {"fallback": fallback(HTTPX % ", timeout=0.2", live="reply.json()['churn']",
                                stored="lookup(conn, customer_id)")},
     "8.live_when_up", "return a dict with the answer and who gave it"),
    ("8", {"fallback": fallback("httpx.get(f'{ENDPOINT_URL}/predictions', params={'customer_id':"
                                " customer_id}, timeout=0.2)")},
     "8.live_when_up", "It sent `GET /predictions?customer_id=105`"),
    # step 8: cost per used prediction
    ("8", {"cost": "def cost_per_used(scored, per_second, used, price_per_hour):\n"
                   "    return scored / per_second / 3600 * price_per_hour / scored\n"},
     "8.cost_per_used", "not over those used"),
    ("8", {"cost": "def cost_per_used(scored, per_second, used, price_per_hour):\n"
                   "    return scored / per_second * price_per_hour / used\n"},
     "8.cost_per_used", "prices seconds as if they were hours"),
    ("8", {"cost": "def cost_per_used(scored, per_second, used, price_per_hour):\n"
                   "    return scored / per_second / 60 * price_per_hour / used\n"},
     "8.cost_per_used", "prices minutes"),
    ("8", {"cost": "def cost_per_used(scored, per_second, used, price_per_hour):\n"
                   "    return scored / per_second / 3600 * price_per_hour\n"},
     "8.cost_per_used", "the whole run"),
    ("8", {"cost": "def cost_per_used(scored, per_second, used, price_per_hour):\n"
                   "    return scored * per_second / 3600 * price_per_hour / used\n"},
     "8.cost_per_used", "multiplies by the rate"),
]

# The same fallback written with other clients: judged by what it does, so all pass.
OTHER_CLIENTS = {
    "httpx.Client": "CLIENT = httpx.Client(base_url='http://127.0.0.1:9', timeout=0.2)\n"
                    + fallback("CLIENT.get('/predict', params={'customer_id': customer_id})"),
    "urllib": "import json, urllib.request\n" + fallback(
        "urllib.request.urlopen(f'{ENDPOINT_URL}/predict?customer_id={customer_id}', "
        "timeout=0.2)", catch="OSError", check="pass",
        live="{'churn': json.load(reply)['churn'], 'source': 'live'}"),
    "requests": "import requests\n" + fallback(
        "requests.get(f'{ENDPOINT_URL}/predict', params={'customer_id': customer_id}, "
        "timeout=0.2)", catch="requests.RequestException"),
}


@pytest.mark.parametrize("step", ["5", "6", "7", "8"])
def test_the_solution_passes_every_check(step: str) -> None:
    result = run_part2(step)
    assert result.passed, [c.message for c in failures(result)]


@pytest.mark.parametrize("step, replaced, check_id, words", MISTAKES,
                         ids=[f"{m[2]}:{m[3][:30]}" if m[2] else f"accepted-{i}"
                              for i, m in enumerate(MISTAKES)])
def test_each_mistake_gets_its_own_message(step: str, replaced: dict, check_id: str | None,
                                           words: str) -> None:
    failed = failures(run_part2(step, **replaced))
    if check_id is None:  # a right answer written another way: accepted
        assert not failed, [c.message for c in failed]
        return
    assert failed, "expected a failing check"
    assert failed[0].id == check_id, (failed[0].id, failed[0].message)
    assert words in failed[0].message, failed[0].message
    # A nudge first: the hint spells out no line of the answer, which waits behind "Show me
    # the line".
    answer_lines = [ln.strip() for ln in failed[0].line.splitlines() if len(ln.strip()) > 15]
    assert failed[0].hint and failed[0].line
    assert not any(ln in failed[0].hint for ln in answer_lines), failed[0].hint


@pytest.mark.parametrize("client", OTHER_CLIENTS)
def test_a_fallback_with_any_http_client_is_judged_by_what_it_does(client: str) -> None:
    result = run_part2("8", fallback=OTHER_CLIENTS[client])
    assert result.passed, [c.message for c in failures(result)]


def test_the_same_client_without_a_timeout_is_told_what_timeout_it_had() -> None:
    no_timeout = OTHER_CLIENTS["httpx.Client"].replace(", timeout=0.2", "")
    failed = failures(run_part2("8", fallback=no_timeout))
    assert failed[0].id == "8.short_timeout" and "httpx's default" in failed[0].message


def test_a_missing_function_is_not_started_not_wrong() -> None:
    from grader.inline import judge

    for step in "5678":
        result = judge(step, {}, [])
        assert not result.passed and result.status == "not started", step


def test_the_given_serving_path_is_a_part_not_started_yet() -> None:
    """Before the learner writes anything in step 6, the given (skewed) `serving_feature` is
    not a mistake of theirs: the step is not started."""
    from grader.inline import judge

    from .solution import GIVEN

    namespace: dict = {}
    exec(GIVEN, namespace)
    result = judge("6", namespace, [])
    assert result.status == "not started", [(c.id, c.started, c.message) for c in result.checks]
    fixed = next(c for c in result.checks if c.id == "6.serving_fixed")
    assert "still rounds" in fixed.message


def test_an_endpoint_function_named_predict_is_named_in_steps_5_and_6() -> None:
    """`def predict(customer_id: int)` under `@app.get` replaces the model: both steps that
    use the model say so, instead of a hint about INSERT OR REPLACE."""
    import textwrap

    from grader.inline import judge

    from .solution import GIVEN

    shadow = route("feature = online_features[customer_id]\n"
                   "return {'customer_id': customer_id, 'churn': feature > threshold, "
                   "'model_version': MODEL_VERSION}", name="predict")
    for step, parts in (("5", ("job", "vectorised")), ("6", ("skew", "serving"))):
        namespace: dict = {}
        exec(GIVEN, namespace)
        for part in parts:
            exec(textwrap.dedent(RIGHT[part]), namespace)
        exec(shadow, namespace)
        failed = failures(judge(step, namespace, []))
        shadowed = [c for c in failed if "`predict` is now your endpoint's function" in c.message]
        assert shadowed, (step, [(c.id, c.message) for c in failed])
        assert not any("INSERT OR REPLACE" in c.hint for c in failed)


def test_the_probe_hears_what_an_http_client_hears() -> None:
    """The probe calls the app in memory without a thread portal (a grading worker may start
    no thread); its replies are what httpx hears through its own ASGI transport, request for
    request (the transport under FastAPI's TestClient, without the portal, and without
    starlette's warning about httpx)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from grader.part2.probe import part2_facts

    from .solution import GIVEN

    namespace: dict = {}
    exec(GIVEN + RIGHT["serving"] + RIGHT["app"], namespace)
    facts = part2_facts("6", namespace)
    namespace["online_features"].update(dict(facts["questions"]["online"]))
    # Asked with names changed, a client would see other values: those are left out.
    asked = {name: heard for name, heard in facts["app"]["replies"].items()
             if heard["threshold"] == 0.6 and heard["model_version"] == "v1"}

    async def ask() -> dict[str, httpx.Response]:
        transport = httpx.ASGITransport(app=namespace["app"])
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return {name: await client.get(heard["path"]) for name, heard in asked.items()}

    # In a thread of its own: the session's Playwright driver keeps an event loop running in
    # this one.
    with ThreadPoolExecutor(1) as thread:
        replies = thread.submit(asyncio.run, ask()).result()
    assert replies
    for name, reply in replies.items():
        heard = asked[name]
        assert (heard["status"], heard["body"]) == (reply.status_code, reply.text), name


@pytest.mark.parametrize("step", ["5", "6", "7", "8"])
def test_every_part2_check_has_answer_lines_to_show(step: str) -> None:
    from grader.checks import checks_for

    assert all(item.line for item in checks_for(step))


def test_the_lines_open_by_themselves_after_three_failures() -> None:
    """In the learner's kernel the same check failing three times opens its lines unasked."""
    import textwrap

    from grader.inline import _FAILURES, check

    from .solution import GIVEN

    namespace: dict = {}
    exec(GIVEN, namespace)
    for part in ("cost",):
        exec(textwrap.dedent(RIGHT[part]), namespace)
    exec(textwrap.dedent(fallback(HTTPX % ", timeout=0.2", check="pass")), namespace)
    _FAILURES.clear()
    reports = [check(8, namespace=namespace, source=[], record=False) for _ in range(3)]
    assert [("8.batch_on_error" in r.reveal) for r in reports] == [False, False, True]
    html = reports[-1]._repr_html_()
    assert "<details class='course-line' open" in html
    assert "shown because this check failed a few times" in html
    assert "reply.raise_for_status()" in html


def test_np_vectorize_made_outside_the_function_is_read_from_the_cell() -> None:
    """`np.vectorize(predict)` built once at the top of the cell calls the original `predict`
    (the probe can't count it): the cell's own code says what it is."""
    import textwrap

    from grader.inline import judge

    from .solution import GIVEN

    cell = textwrap.dedent("""
        scorer = np.vectorize(predict)
        def predict_vectorised(features):
            return scorer(features)
    """)
    namespace: dict = {}
    exec(GIVEN + RIGHT["job"] + cell, namespace)
    failed = failures(judge("5", namespace, [GIVEN, RIGHT["job"], cell]))
    assert failed[0].id == "5.vectorised" and "a Python loop in disguise" in failed[0].message
