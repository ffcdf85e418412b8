"""Parity: the fast isolated worker and a real Jupyter kernel (nbclient) give the same verdicts.

The worker runs cells with IPython's InteractiveShell in a forked process; nbgrader and otter
run them in a kernel. Same plan, same probe, same checks: every check's verdict, points and
message must be identical.
"""

from __future__ import annotations

import pytest
from kernels import PrivateKernelManager

from grader.batch.grading import grade_class
from grader.batch.harness import ask, judge
from grader.batch.notebook import plan_notebook
from grader.batch.reference import run_in_kernel
from grader.batch.sandbox import Limits
from grader.spec import step_for

from .helpers import MODE_RIGHT, MODE_WRONG, RIGHT, WRONG, notebook_bytes

SUBMISSIONS = [
    ("1", RIGHT["1"]), ("1", WRONG["1"]),
    ("1", ["customers = [(101, '0.2'), (102, '0.8'), (103, '0.5'), (104, '0.9')]"]),
    ("2", RIGHT["2"]), ("2", WRONG["2"]), ("2", ["threshold = 60"]),
    ("3", RIGHT["3"]), ("3", WRONG["3"]),
    ("3", ["def predict(feature):\n    return feature > 0.6",
           "batch_results = (predict(f) for _, f in customers)"]),
    ("3", ["def predict(feature):\n    print(feature > threshold)",
           "batch_results = [predict(c) for c in customers]"]),
    ("4", RIGHT["4"]), ("4", WRONG["4"]), ("4", ["print(customers)\nprint(predict(105))"]),
    ("4", ["%time x = 1\nprint(batch_results)\nprint(predict(0.7))"]),
    ("mode", MODE_RIGHT), ("mode", MODE_WRONG),
]


def test_worker_and_kernel_agree_on_every_check():
    from grader.batch.collect import Collection, HandIn, LearnerFiles

    collection = Collection("parity")
    kernel_results = {}
    for index, (step_key, answers) in enumerate(SUBMISSIONS):
        step = step_for(step_key)
        data = notebook_bytes(step_key, answers)
        learner = f"learner{index:02d}"
        collection.learners[learner] = LearnerFiles(
            learner, {step.notebook: HandIn(step.notebook, step.notebook, data)})
        plan = ask(plan_notebook(data, step_key))
        kernel_results[learner] = judge(step, plan, run_in_kernel(plan, timeout=30), 0.0).result
    graded = grade_class(collection, jobs=2, limits=Limits(), steps=tuple(
        step_for(k) for k in ("1", "2", "3", "4", "mode")))
    verdicts = set()
    for index, (step_key, _) in enumerate(SUBMISSIONS):
        learner = f"learner{index:02d}"
        worker = graded.learners[learner].notebooks[step_for(step_key).notebook]
        assert worker.status == "ok"
        assert [c.to_dict() for c in worker.result.checks] == \
            [c.to_dict() for c in kernel_results[learner].checks], (step_key, learner)
        verdicts.add(worker.result.passed)
    assert verdicts == {True, False}  # both kinds of verdict were compared


@pytest.mark.parametrize("step_key, answers", [SUBMISSIONS[i] for i in (1, 4, 7, 8, 10, 12, 15)])
def test_grade_equals_the_learners_own_check_cell(tmp_path, step_key, answers):
    """Run the learner's notebook as handed in, check cell and all, in a real kernel: the
    verdict their `check(N)` showed them is the verdict the grader gives."""
    import os

    import nbformat
    from nbclient import NotebookClient

    from grader import feedback
    from grader.batch.api import grade_notebook
    from grader.batch.reference import ROOT

    data = notebook_bytes(step_key, answers)
    nb = nbformat.reads(data.decode(), as_version=4)
    last_check = max(i for i, c in enumerate(nb.cells) if "check" in c.metadata.get("tags", []))
    nb.cells = nb.cells[:last_check + 1]  # what follows (the live panel) is not graded
    env = dict(os.environ, PYTHONPATH=str(ROOT),
               COURSE_PROGRESS_FILE=str(tmp_path / "progress.json"))
    NotebookClient(nb, timeout=30, kernel_name="python3", allow_errors=True,
                   kernel_manager_class=PrivateKernelManager,
                   resources={"metadata": {"path": str(tmp_path)}}).execute(env=env)
    shown = next(o for o in nb.cells[last_check].outputs if o.output_type == "execute_result")
    inline_lines = shown.data["text/plain"].splitlines()[:-1]  # minus the progress line
    graded = grade_notebook(data, step=step_key)
    assert feedback.as_text(graded.result).splitlines() == inline_lines
