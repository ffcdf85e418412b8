"""The time limit on learner code picks its means by capability: a signal timer where one can
fire (a desktop kernel's main thread), a trace budget where the platform has none (the
browser's Pyodide kernel has no `signal.setitimer`). Here a Python without `setitimer` stands
in for the browser: the checks must give the same verdict either way."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

import pytest

from grader import check
from grader.deadline import TimeUp, guard_for_here, time_limit

LOOPING = "def predict(feature):\n    while True:\n        pass\n"
STUBBORN = ("def predict(feature):\n    while True:\n        try:\n            while True: pass\n"
            "        except Exception:\n            pass\n")


@pytest.fixture
def like_pyodide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Python without signal timers, as in the browser."""
    monkeypatch.delattr(signal, "setitimer")
    assert guard_for_here() == "trace"


def _step3(source: str) -> Any:
    namespace: dict[str, Any] = {"customers": [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)],
                                 "threshold": 0.6}
    exec(source, namespace)
    return check(3, namespace=namespace, source=source, record=False)


def test_desktop_main_thread_uses_a_signal_timer() -> None:
    assert guard_for_here() == "signal"


@pytest.mark.parametrize("source", [LOOPING, STUBBORN], ids=["while-true", "catches-Exception"])
def test_a_looping_predict_gets_the_same_verdict_without_signals(
        source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    desktop = _step3(source)
    monkeypatch.delattr(signal, "setitimer")  # as in the browser
    assert guard_for_here() == "trace"
    browser_like = _step3(source)
    monkeypatch.undo()
    assert [(c.passed, c.message) for c in browser_like.checks] == \
           [(c.passed, c.message) for c in desktop.checks]
    assert "did not finish within a second" in repr(browser_like)
    assert sys.gettrace() is None


def test_a_right_predict_passes_under_the_trace_budget(like_pyodide: None) -> None:
    source = "def predict(feature):\n    return feature > threshold\n" \
             "batch_results = [predict(f) for _, f in customers]\n"
    assert _step3(source).passed


def test_the_trace_budget_leaves_no_hook_behind(like_pyodide: None) -> None:
    def loop() -> None:
        while True:
            (lambda: None)()

    with pytest.raises(TimeUp):
        with time_limit(0.05):
            loop()
    assert sys.gettrace() is None


def test_where_signals_exist_but_cant_fire_code_runs_untraced() -> None:
    """A thread (or a timer already running, as in a grading worker): no signal, and no trace
    either, which would slow heavy learner code many times over."""
    box: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: box.update(guard=guard_for_here()))
    thread.start()
    thread.join(10)
    assert box["guard"] == "none"


def test_a_debuggers_trace_hook_is_left_alone(like_pyodide: None) -> None:
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

    assert with_debugger() == ("none", True)
