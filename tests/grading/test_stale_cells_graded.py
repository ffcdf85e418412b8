"""Batch grading gives the very verdict a learner's own `check(3)` gives when an answer cell's
latest run failed: the grading worker passes each cell's outcome into the same snapshot."""

from __future__ import annotations

import pytest

from grader.batch.api import grade_notebook
from grader.inline import judge
from tests.core.helpers import CUSTOMERS, THRESHOLD, run_cell

from .helpers import notebook_bytes

PREDICT = "def predict(feature):\n    return feature > threshold"
LOOP = ("batch_results = []\nfor customer_id, feature in customers:\n"
        "    batch_results.append(predict(feature))")
RIGHT = "batch_results = [predict(feature) for customer_id, feature in customers]"
CASES = {
    "raises after an earlier success": ([LOOP], [PREDICT, "batch_results = [predict(c) for c "
                                                          "in customers]"]),
    "raises in a fresh run": ([], [PREDICT, "batch_results = [predict(c) for c in customers]"]),
    "defines, then raises on a later line": ([], [PREDICT, RIGHT + "\nbatch_results[4]"]),
    "a syntax error": ([], [PREDICT, RIGHT[:-1]]),
    "predict's cell raises": ([], [PREDICT + "\npredict()", RIGHT]),
    "fixed and re-run (a later clean cell)": ([], [PREDICT, "batch_results = [predict(c) for "
                                                            "c in customers]\n" + RIGHT]),
}


def _inline(earlier: list[str], answers: list[str]):
    """The learner's kernel: the given code, any earlier cell, then the answer cells."""
    namespace: dict = {}
    cells = [CUSTOMERS + THRESHOLD, *earlier, *answers]
    outcomes = {cell: run_cell(cell, namespace) for cell in cells}
    return judge("3", namespace, cells, outcomes)


@pytest.mark.parametrize("case", CASES)
def test_grade_and_inline_check_agree(case: str) -> None:
    earlier, answers = CASES[case]
    graded = grade_notebook(notebook_bytes("3", answers, extra_cells=earlier), step="3")
    inline = _inline(earlier, answers)
    assert graded.status == "ok"
    assert [(c.id, c.passed, c.message) for c in graded.result.checks] == \
        [(c.id, c.passed, c.message) for c in inline.checks]
    if "fixed" not in case:
        assert not graded.result.passed
        assert any("The cell that " in c.message and " raised `" in c.message
                   for c in graded.result.checks)
