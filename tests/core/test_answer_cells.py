"""How `check(N)` finds the learner's answer cells in a running kernel."""

from types import SimpleNamespace

import pytest

from grader import inline
from grader.sources import is_check_source


@pytest.fixture()
def fresh_record(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inline, "_RUNS", [])


def _ran(source: str, cell_id: str | None = None) -> None:
    info = SimpleNamespace(raw_cell=source, cell_id=cell_id)
    inline._remember_cell(info)
    inline._remember_outcome(SimpleNamespace(info=info, error_before_exec=None,
                                             error_in_exec=None))


def _sources(step: str) -> list[str]:
    return [run.source for run in inline.answer_sources(step, None)]


def test_step4_reads_its_answer_cell_and_the_cells_the_learner_added(fresh_record) -> None:
    _ran("from grader import check\ncustomers = []", "step4-given-02")
    _ran("print(batch_results)", "step4-answer-1")
    _ran("print('an old version')", "scratch-cell")
    _ran("print(predict(0.7))", "scratch-cell")
    _ran("check(4)", "step4-check-06")
    _ran("print(batch_results)\nprint(predict(0.7))", "step4-answer-1")
    _ran("from churn_course.serving_panel import serving_panel\nserving_panel()",
         "step4-given-08")
    # each cell's latest run, in the order the cells first ran; given code and checks aside
    assert _sources("4") == ["print(batch_results)\nprint(predict(0.7))", "print(predict(0.7))"]


def test_without_cell_ids_step4_falls_back_to_the_latest_printing_cell(fresh_record) -> None:
    _ran("from grader import check\nx = 1")
    _ran("print(batch_results)\nprint(predict(0.7))")
    _ran("check(4)")
    _ran("from churn_course.serving_panel import serving_panel\nserving_panel()")
    assert _sources("4") == ["print(batch_results)\nprint(predict(0.7))"]


def test_step3_reads_the_whole_history_without_check_cells(fresh_record) -> None:
    _ran("from grader import check\ncustomers = []", "step3-given-02")
    _ran("def predict(f):\n    return f > threshold", "step3-answer-1")
    _ran("check(3)", "step3-check-08")
    _ran("batch_results = [predict(f) for _, f in customers]", "a-new-cell")
    assert _sources("3") == [
        "from grader import check\ncustomers = []",
        "def predict(f):\n    return f > threshold",
        "batch_results = [predict(f) for _, f in customers]"]


@pytest.mark.parametrize("source, is_check", [
    ("check(3)", True),
    ("# Run me\ncheck('quiz')\n", True),
    ("report = check(4)", True),
    ("check(3)  # run me", True),
    ("import grader\ncheck(1)", True),
    ("from grader import check", True),
    ("from grader import check\ncustomers = []", False),
    ("def predict(f):\n    return f > threshold\ncheck(3)", False),
    ("# YOUR CODE HERE", False),
])
def test_check_cells_hold_nothing_but_checks(source: str, is_check: bool) -> None:
    assert is_check_source(source) is is_check


def test_the_recorder_keeps_each_sources_latest_outcome(fresh_record) -> None:
    def ran(source: str, error: BaseException | None = None, before: bool = False) -> None:
        info = SimpleNamespace(raw_cell=source, cell_id=None)
        inline._remember_outcome(SimpleNamespace(
            info=info, error_before_exec=error if before else None,
            error_in_exec=None if before else error))

    ran("batch_results = [predict(c) for c in customers]",
        TypeError("'>' not supported between instances of 'tuple' and 'float'"))
    ran("batch_results = [", SyntaxError("'[' was never closed"), before=True)
    ran("x = 1")
    assert [r.cell for r in inline.recorded_runs()] == ["", "", ""]
    assert inline.cell_outcomes() == {
        "batch_results = [predict(c) for c in customers]":
            "TypeError: '>' not supported between instances of 'tuple' and 'float'",
        "batch_results = [": "SyntaxError: '[' was never closed",
        "x = 1": ""}
    ran("batch_results = [predict(c) for c in customers]")  # run again, cleanly this time
    assert inline.cell_outcomes()["batch_results = [predict(c) for c in customers]"] == ""
