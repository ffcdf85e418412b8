"""Run learner code the way a notebook would, then judge it with the real checks."""

from __future__ import annotations

import textwrap

from grader.inline import judge
from grader.probe import error_text
from grader.results import CheckResult, StepResult

CUSTOMERS = "customers = [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)]\n"
THRESHOLD = "threshold = 0.6\n"
PREDICT = "def predict(feature):\n    return feature > threshold\n"
BATCH = "batch_results = [predict(feature) for customer_id, feature in customers]\n"
GIVEN = {"1": "", "2": CUSTOMERS, "3": CUSTOMERS + THRESHOLD,
         "4": CUSTOMERS + THRESHOLD + PREDICT + BATCH, "mode": ""}


def run_step(step: str, *answer_cells: str) -> StepResult:
    """Execute the step's given code and the learner's answer cells, then judge the step."""
    namespace: dict = {}
    cells = [textwrap.dedent(c) for c in answer_cells]
    exec(GIVEN[step], namespace)
    outcomes: dict[str, str] = {}
    for cell in cells:
        if step != "4":  # step 4's answer is run by the probe itself, to hear what it prints
            outcomes[cell] = run_cell(cell, namespace)
    return judge(step, namespace, cells, outcomes)


def run_cell(cell: str, namespace: dict) -> str:
    """Run one cell like a notebook: a failing cell leaves what it had defined; return the
    error as the kernel's recorder would name it ("" when the cell ran cleanly)."""
    try:
        exec(compile(cell, "<cell>", "exec"), namespace)
    except Exception as err:
        return error_text(err)
    return ""


def first_failure(result: StepResult) -> CheckResult:
    failures = [c for c in result.checks if c.ran and not c.passed]
    assert failures, f"expected a failing check, all passed: {result.to_dict()}"
    return failures[0]
