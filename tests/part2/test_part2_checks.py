"""Every likely mistake of Part 2 gets its own message (the table is grader/PART2_CHECKS.md)."""

from __future__ import annotations

import pytest

from .solution import failures, run_part2

JOB = '''
def run_batch_job(conn, customers, model_version):
    conn.execute("CREATE TABLE IF NOT EXISTS predictions (customer_id INTEGER PRIMARY KEY, "
                 "feature REAL, churn INTEGER, model_version TEXT, scored_at TEXT)")
    {body}
'''
ROWS = "rows = [(c, f, predict(f), model_version, '2024-01-01') for c, f in customers]"


def job(body: str, create: str | None = None) -> str:
    code = JOB.format(body=body.replace("\n", "\n    "))
    return code if create is None else code.replace(
        "CREATE TABLE IF NOT EXISTS predictions (customer_id INTEGER PRIMARY KEY, ", create)


@pytest.mark.parametrize("step", ["5", "6", "7", "8"])
def test_the_solution_passes_every_check(step: str) -> None:
    result = run_part2(step)
    assert result.passed, [c.message for c in failures(result)]


MISTAKES = [
    ("5", {"job": job(ROWS + "\nfor row in rows:\n    conn.execute('INSERT OR REPLACE INTO "
                      "predictions VALUES (?, ?, ?, ?, ?)', row)\n    conn.commit()")},
     "5.one_transaction", "committed 40 times"),
    ("5", {"job": job(ROWS + "\nconn.executemany('INSERT OR REPLACE INTO predictions VALUES "
                      "(?, ?, ?, ?, ?)', rows)")},
     "5.one_transaction", "never commits"),
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
                      "customers]\nconn.executemany('INSERT OR REPLACE INTO predictions VALUES "
                      "(?, ?, ?, ?, ?)', rows)\nconn.commit()")},
     "5.scores", "is stored as the text"),
    ("5", {"job": job("rows = [(c, f, f >= 0.6, model_version, 'x') for c, f in customers]\n"
                      "conn.executemany('INSERT OR REPLACE INTO predictions VALUES (?, ?, ?, ?, "
                      "?)', rows)\nconn.commit()")},
     "5.scores", "`>` not `>=`"),
    ("5", {"job": job("rows = [(c, f, predict(f), 'v1', 'x') for c, f in customers]\n"
                      "conn.executemany('INSERT OR REPLACE INTO predictions VALUES (?, ?, ?, ?, "
                      "?)', rows)\nconn.commit()")},
     "5.scores", "store the argument, not a fixed text"),
    ("5", {"job": job("rows = [(c, f, predict(f), model_version, None) for c, f in customers]\n"
                      "conn.executemany('INSERT OR REPLACE INTO predictions VALUES (?, ?, ?, ?, "
                      "?)', rows)\nconn.commit()")},
     "5.scores", "`scored_at` is empty"),
    ("5", {"job": job("import time\nrows = [(c, f, predict(f), model_version, time.perf_counter())"
                      " for c, f in customers]\nconn.executemany('INSERT OR REPLACE INTO "
                      "predictions VALUES (?, ?, ?, ?, ?)', rows)\nconn.commit()")},
     "5.scores", "different `scored_at` times"),
    ("5", {"job": "def run_batch_job(conn, customers, model_version):\n    pass\n"},
     "5.table_shape", "no `predictions` table"),
    ("5", {"job": job(ROWS + "\nconn.executemany('INSERT OR REPLACE INTO predictions VALUES "
                      "(?, ?, ?, ?, ?)', rows)\nconn.commit()\nconn.close()")},
     "5.job_runs", "closed the connection"),
    ("7", {"percentile": "def percentile(values, p):\n"
                         "    return np.percentile(values, p, method='inverted_cdf')\n"},
     None, ""),
    ("5", {"job": "def run_batch_job(conn, customers):\n    pass\n"},
     "5.job_runs", "TypeError"),
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
    ("5", {"rate": "def rows_per_second(rows, seconds):\n    return seconds / rows\n"},
     "5.rows_per_second", "seconds per row"),
    ("5", {"rate": "def rows_per_second(rows, seconds):\n    return rows / (seconds * 1000)\n"},
     "5.rows_per_second", "milliseconds"),
    ("6", {"app": "app = FastAPI()\n@app.get('/predict')\ndef p(customer_id: int, feature: float)"
                  ":\n    return {'customer_id': customer_id, 'churn': str(predict(feature))}\n"},
     "6.answers_live", "the string 'True'"),
    ("6", {"app": "app = FastAPI()\n@app.get('/predict')\ndef p(customer_id, feature):\n"
                  "    return {'customer_id': customer_id, 'churn': predict(float(feature))}\n"},
     "6.answers_live", "`customer_id` is '105'"),
    ("6", {"app": "app = FastAPI()\n@app.get('/predict')\ndef p(customer_id: int, feature: str):"
                  "\n    return {'customer_id': customer_id, 'churn': predict(float(feature))}\n"},
     "6.bad_requests", "crashed your endpoint (500"),
    ("6", {"app": "app = FastAPI()\n@app.get('/predict')\ndef p(customer_id: int, feature: float"
                  " = 0.0):\n    return {'customer_id': customer_id, 'churn': predict(feature)}\n"},
     "6.bad_requests", "was answered 200"),
    ("6", {"app": "app = FastAPI()\n@app.post('/predict')\ndef p(customer_id: int, feature: float"
                  "):\n    return {'customer_id': customer_id, 'churn': predict(feature)}\n"},
     "6.answers_live", "405 Method Not Allowed"),
    ("6", {"app": "app = FastAPI()\n@app.get('/predictions')\ndef p(customer_id: int, feature: "
                  "float):\n    return {'customer_id': customer_id, 'churn': predict(feature)}\n"},
     "6.answers_live", "404 Not Found"),
    ("6", {"app": "app = FastAPI()\n@app.get('/predict')\ndef p(customer_id: int, feature: float"
                  "):\n    return predict(feature)\n"},
     "6.answers_live", "answer a JSON object"),
    ("6", {"app": "app = FastAPI()\n@app.get('/predict')\ndef p(customer_id: int, feature: float"
                  "):\n    return {'customer_id': customer_id, 'churn': feature >= 0.6}\n"},
     "6.answers_false", "`>` not `>=`"),
    ("6", {"app": "@FastAPI().get('/predict')\ndef app(customer_id: int, feature: float):\n"
                  "    return {}\n"},
     "6.app", "not a FastAPI app"),
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
    ("7", {"lookup": "def lookup(conn, customer_id):\n    return bool(conn.execute('SELECT churn "
                     "FROM predictions WHERE customer_id = ?', (customer_id,)).fetchone()[0])\n"},
     "7.lookup", "answer `None`"),
    ("7", {"lookup": "def lookup(conn, customer_id):\n    row = conn.execute('SELECT churn FROM "
                     "predictions WHERE customer_id = ?', (customer_id,)).fetchone()\n"
                     "    return row and row[0]\n"},
     "7.lookup", "SQLite stores bools as 1/0"),
    ("7", {"lookup": "def lookup(conn, customer_id):\n    return conn.execute('SELECT churn FROM "
                     "predictions WHERE customer_id = ?', (customer_id,)).fetchone()\n"},
     "7.lookup", "the whole row"),
    ("8", {"share": "def share_wrong(stored, live):\n"
                    "    return sum(s != v for s, v in zip(stored, live)) / len(stored)\n"},
     "8.share_wrong", "divides by zero"),
    ("8", {"share": "def share_wrong(stored, live):\n    return sum(s == v for s, v in "
                    "zip(stored, live)) / len(stored) if stored else 0.0\n"},
     "8.share_wrong", "the share the table gets *right*"),
    ("8", {"share": "def share_wrong(stored, live):\n    return 100 * sum(s != v for s, v in "
                    "zip(stored, live)) / len(stored) if stored else 0.0\n"},
     "8.share_wrong", "a percentage"),
    ("8", {"fallback": "def predict_with_fallback(customer_id, feature):\n"
                       "    reply = httpx.get(f'{ENDPOINT_URL}/predict', params={'customer_id': "
                       "customer_id, 'feature': feature}, timeout=0.2)\n"
                       "    return {'churn': reply.json()['churn'], 'source': 'live'}\n"},
     "8.batch_when_down", "instead of falling back"),
    ("8", {"fallback": "def predict_with_fallback(customer_id, feature):\n    try:\n"
                       "        reply = httpx.get(f'{ENDPOINT_URL}/predict', params={"
                       "'customer_id': customer_id, 'feature': feature})\n"
                       "        return {'churn': reply.json()['churn'], 'source': 'live'}\n"
                       "    except httpx.HTTPError:\n"
                       "        return {'churn': lookup(conn, customer_id), 'source': 'batch'}\n"},
     "8.short_timeout", "without `timeout=`"),
    ("8", {"fallback": "def predict_with_fallback(customer_id, feature):\n    try:\n"
                       "        reply = httpx.get(f'{ENDPOINT_URL}/predict', params={"
                       "'customer_id': customer_id, 'feature': feature}, timeout=None)\n"
                       "        return {'churn': reply.json()['churn'], 'source': 'live'}\n"
                       "    except httpx.HTTPError:\n"
                       "        return {'churn': lookup(conn, customer_id), 'source': 'batch'}\n"},
     "8.short_timeout", "waits forever"),
    ("8", {"fallback": "def predict_with_fallback(customer_id, feature):\n    try:\n"
                       "        reply = httpx.get(f'{ENDPOINT_URL}/predict', params={"
                       "'customer_id': customer_id, 'feature': feature}, timeout=0.2)\n"
                       "        return {'churn': reply.json()['churn'], 'source': 'live'}\n"
                       "    except httpx.HTTPError:\n"
                       "        return {'churn': lookup(conn, customer_id), 'source': 'batch'}\n"},
     "8.batch_on_error", "an error reply has no `churn`"),
    ("8", {"fallback": "def predict_with_fallback(customer_id, feature):\n    try:\n"
                       "        reply = httpx.get(f'{ENDPOINT_URL}/predict', params={"
                       "'customer_id': customer_id, 'feature': feature}, timeout=0.2)\n"
                       "        reply.raise_for_status()\n"
                       "        return {'churn': reply.json()['churn'], 'source': 'live'}\n"
                       "    except httpx.HTTPError:\n"
                       "        return {'churn': predict(feature), 'source': 'batch'}\n"},
     "8.batch_when_down", "doesn't score again"),
    ("8", {"fallback": "def predict_with_fallback(customer_id, feature):\n    try:\n"
                       "        reply = httpx.get(f'{ENDPOINT_URL}/predict', params={"
                       "'customer_id': customer_id, 'feature': feature}, timeout=0.2)\n"
                       "        reply.raise_for_status()\n"
                       "        return {'churn': reply.json()['churn'], 'source': 'live'}\n"
                       "    except httpx.HTTPError:\n"
                       "        return {'churn': lookup(conn, customer_id), 'source': 'live'}\n"},
     "8.batch_when_down", "`\"source\": \"batch\"`"),
    ("8", {"fallback": "def predict_with_fallback(customer_id, feature):\n"
                       "    return {'churn': predict(feature), 'source': 'live'}\n"},
     "8.live_when_up", "never called `httpx.get(...)`"),
    ("8", {"fallback": "def predict_with_fallback(customer_id, feature):\n    try:\n"
                       "        reply = httpx.get(f'{ENDPOINT_URL}/predict', params={"
                       "'customer_id': customer_id, 'feature': feature}, timeout=0.2)\n"
                       "        reply.raise_for_status()\n"
                       "        return reply.json()['churn']\n"
                       "    except httpx.HTTPError:\n"
                       "        return lookup(conn, customer_id)\n"},
     "8.live_when_up", "return a dict with the answer and who gave it"),
]


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
    assert failed[0].hint


def test_a_missing_function_is_not_started_not_wrong() -> None:
    from grader.inline import judge

    for step in "5678":
        result = judge(step, {}, [])
        assert not result.passed and result.status == "not started", step


def test_the_probe_hears_what_an_http_client_hears() -> None:
    """The probe calls the app in memory without a thread portal (a grading worker may start
    no thread); its replies are what httpx hears through its own ASGI transport, request for
    request (the transport under FastAPI's TestClient, without the portal, and without
    starlette's warning about httpx)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from grader.part2.probe import REQUESTS, endpoint_facts

    from .solution import GIVEN, RIGHT

    namespace: dict = {}
    exec(GIVEN + RIGHT["app"], namespace)
    facts = endpoint_facts(namespace)

    async def ask() -> dict[str, httpx.Response]:
        transport = httpx.ASGITransport(app=namespace["app"])
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return {name: await client.get(path) for name, path in REQUESTS}

    # In a thread of its own: the session's Playwright driver keeps an event loop running in
    # this one.
    with ThreadPoolExecutor(1) as thread:
        replies = thread.submit(asyncio.run, ask()).result()
    for name, reply in replies.items():
        heard = facts["replies"][name]
        assert (heard["status"], heard["body"]) == (reply.status_code, reply.text), name
