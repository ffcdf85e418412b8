"""The time limit on learner code picks its means by capability: a signal timer where one can
fire (a desktop kernel's main thread), a trace budget where none can (the browser's Pyodide
kernel has no `signal.setitimer`; a thread can't take signals either). Threads stand in for
the browser here: the checks must give the same verdict either way."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest

from grader import check
from grader.deadline import TimeUp, guard_for_here, time_limit

LOOPING = "def predict(feature):\n    while True:\n        pass\n"
STUBBORN = ("def predict(feature):\n    while True:\n        try:\n            while True: pass\n"
            "        except Exception:\n            pass\n")


def in_thread(work: Callable[[], Any]) -> Any:
    """Run `work` in a thread (no signals there) and return what it returned."""
    box: dict[str, Any] = {}

    def run() -> None:
        box["guard"] = guard_for_here()
        box["value"] = work()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the time limit did not stop the loop"
    assert box["guard"] == "trace"
    return box["value"]


def _step3(source: str) -> Any:
    namespace: dict[str, Any] = {"customers": [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)],
                                 "threshold": 0.6}
    exec(source, namespace)
    return check(3, namespace=namespace, source=source, record=False)


def test_desktop_main_thread_uses_a_signal_timer() -> None:
    assert guard_for_here() == "signal"


@pytest.mark.parametrize("source", [LOOPING, STUBBORN], ids=["while-true", "catches-Exception"])
def test_a_looping_predict_gets_the_same_verdict_without_signals(source: str) -> None:
    desktop = _step3(source)
    browser_like = in_thread(lambda: _step3(source))
    assert [(c.passed, c.message) for c in browser_like.checks] == \
           [(c.passed, c.message) for c in desktop.checks]
    assert "did not finish within a second" in repr(browser_like)
    assert sys.gettrace() is None


def test_a_right_predict_passes_under_the_trace_budget() -> None:
    source = "def predict(feature):\n    return feature > threshold\n" \
             "batch_results = [predict(f) for _, f in customers]\n"
    assert in_thread(lambda: _step3(source)).passed


def test_the_trace_budget_leaves_no_hook_behind() -> None:
    def loop() -> str:
        try:
            with time_limit(0.05):
                while True:
                    (lambda: None)()
        except TimeUp:
            return "stopped" if sys.gettrace() is None else "hook left"
        return "returned"

    assert in_thread(loop) == "stopped"


def test_a_debuggers_trace_hook_is_left_alone() -> None:
    def with_debugger() -> tuple[str, Any]:
        def debugger(frame: Any, event: str, arg: Any) -> Any:
            return None

        sys.settrace(debugger)
        try:
            guard = guard_for_here()
            with time_limit(0.05):
                pass
            return guard, sys.gettrace() is debugger
        finally:
            sys.settrace(None)

    box: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: box.update(r=with_debugger()))
    thread.start()
    thread.join(10)
    assert box["r"] == ("none", True)
