"""Whatever learner code does, a check answers with a message, never a traceback."""

import pytest

from grader import check
from grader.inline import judge

from .helpers import BATCH, CUSTOMERS, THRESHOLD, first_failure, run_step


def test_a_predict_that_never_returns_is_stopped() -> None:
    failure = first_failure(run_step("3", "def predict(feature):\n    while True:\n        pass",
                                     "batch_results = None"))
    assert "did not finish within a second" in failure.message


@pytest.mark.parametrize("exception", ["SystemExit(1)", "KeyboardInterrupt()", "MemoryError()"])
def test_a_predict_that_raises_base_exceptions_gets_a_message(exception: str) -> None:
    failure = first_failure(run_step("3", f"def predict(feature):\n    raise {exception}",
                                     "batch_results = None"))
    assert failure.message.startswith("Calling `predict(")
    assert type(eval(exception)).__name__ in failure.message


def test_an_odd_return_value_gets_a_message() -> None:
    code = ("class Odd:\n    def __repr__(self):\n        raise RuntimeError('no')\n"
            "    def __eq__(self, other):\n        raise RuntimeError('no')\n"
            "def predict(feature):\n    return Odd()\n")
    failure = first_failure(run_step("3", code, "batch_results = None"))
    assert "returns an Odd" in failure.message


def test_threshold_is_restored_even_when_predict_raises_or_hangs() -> None:
    namespace: dict = {}
    exec(CUSTOMERS + THRESHOLD + "def predict(feature):\n"
         "    if threshold != 0.6:\n        while True:\n            pass\n"
         "    return feature > threshold\n", namespace)
    judge("3", namespace, [])
    assert namespace["threshold"] == 0.6
    namespace2: dict = {}
    exec(CUSTOMERS + THRESHOLD + "def predict(feature):\n    raise ValueError('x')\n", namespace2)
    judge("3", namespace2, [])
    assert namespace2["threshold"] == 0.6


def test_an_exception_that_cannot_be_printed_gets_a_message() -> None:
    code = ("class Weird(Exception):\n    def __str__(self):\n        raise RuntimeError('no')\n"
            "def predict(feature):\n    raise Weird()\n")
    failure = first_failure(run_step("3", code, "batch_results = None"))
    assert failure.message.startswith("Calling `predict(0.2)` raised `Weird`")


def test_a_predict_object_that_breaks_the_probe_still_gets_a_message() -> None:
    class Hostile:
        def __call__(self, feature):
            return True

        def __getattr__(self, name):
            raise RuntimeError("no attributes here")

    namespace = {"predict": Hostile(), "threshold": 0.6}
    report = check(3, namespace=namespace, source=[])
    by_id = {c.id: c for c in report.checks}
    assert by_id["3.predict_defined"].passed  # callable; its signature can't be read
    assert by_id["3.predict_rule"].message.startswith("`predict(0.2)` returned `True`")


def test_an_unforeseen_failure_is_a_message_not_a_traceback(monkeypatch) -> None:
    from grader import inline

    def explode(*args):
        raise RuntimeError("unforeseen")

    monkeypatch.setattr(inline, "judge", explode)
    report = check(2, namespace={"threshold": 0.6})
    assert not report.passed
    assert repr(report).startswith("Step 2 could not be checked: something in your code "
                                   "stopped the check (RuntimeError).")


def test_a_container_that_breaks_when_read_gets_a_message() -> None:
    code = ("class Sneaky(list):\n    def __iter__(self):\n        raise RuntimeError('boom')\n"
            "customers = Sneaky()\n")
    failure = first_failure(run_step("1", code))
    assert "`customers` is a Sneaky, not a list" in failure.message


def test_check_works_outside_ipython_with_the_callers_globals() -> None:
    exec(CUSTOMERS, globals())
    try:
        report = check(1)
    finally:
        del globals()["customers"]
    assert report.passed
    assert "Step 1 passed" in repr(report)


def test_check_accepts_a_namespace_and_source() -> None:
    namespace: dict = {}
    exec(CUSTOMERS + THRESHOLD + "def predict(feature):\n    return feature > threshold\n"
         + BATCH, namespace)
    report = check(4, namespace=namespace, source="print(batch_results)\nprint(predict(0.7))")
    assert report.passed
    assert [c.passed for c in report.checks] == [True, True]
    assert all(c.points == 1 for c in report.checks)


def test_an_unknown_step_gets_a_plain_message() -> None:
    report = check(9, namespace={})
    assert not report.passed
    assert "There is no step 9" in repr(report)
