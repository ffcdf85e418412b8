"""The stale-pass family in a real kernel, driven as JupyterLab drives it (cell ids in the
request metadata): what `check(3)` says after a cell raises, is fixed, or raises late."""

from __future__ import annotations

import pytest

from .lab_kernel import LabKernel


GIVEN = ("from grader import check\n"
         "customers = [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)]\nthreshold = 0.6")
PREDICT = "def predict(feature):\n    return feature > threshold"
LOOP = ("batch_results = []\nfor customer_id, feature in customers:\n"
        "    batch_results.append(predict(feature))")
RIGHT = "batch_results = [predict(feature) for customer_id, feature in customers]"
TUPLES = "batch_results = [predict(c) for c in customers]"


@pytest.fixture
def lab(tmp_path):
    kernel = LabKernel(tmp_path)
    kernel.run("step3-given-02", GIVEN)
    kernel.run("step3-answer-1", PREDICT)
    yield kernel
    kernel.close()


def _check(lab: LabKernel) -> str:
    return lab.run("step3-check-08", "check(3)")["text"]


def test_a_cell_that_raises_after_an_earlier_success(lab) -> None:
    lab.run("step3-answer-2", LOOP)
    assert "for-loop and `append`" in _check(lab)  # the old value, judged on its own code
    assert lab.run("step3-answer-2", TUPLES)["error"] == "TypeError"
    verdict = _check(lab)
    assert not verdict.startswith("Step 3 passed")
    assert ("The cell that builds `batch_results` raised `TypeError` (`>` between a tuple and "
            "a float): each customer is a tuple `(ID, feature)`") in verdict
    assert "may hold an older value" in verdict


def test_a_cell_fixed_and_re_run(lab) -> None:
    lab.run("step3-answer-2", TUPLES)
    assert "was not created" in _check(lab)
    lab.run("step3-answer-2", RIGHT)
    assert _check(lab).startswith("Step 3 passed")


def test_a_cell_defining_the_variable_then_raising_on_a_later_line(lab) -> None:
    out = lab.run("step3-answer-2", RIGHT + "\nprint(batch_results[4])")
    assert out["error"] == "IndexError"
    verdict = _check(lab)
    assert "The cell that builds `batch_results` raised `IndexError`" in verdict
    assert not verdict.startswith("Step 3 passed")
