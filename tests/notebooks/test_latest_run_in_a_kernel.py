"""Checks judge what ran, in a real kernel driven as JupyterLab drives one (cell ids in the
request metadata), and the notebook as it was then saved, graded, gets the same words.

Each case types answers into the learner notebook's own cells (by their ids) and into new
cells, runs them in order, and reads `check(N)`'s verdict; the saved notebook (each cell's
latest source, new cells where the learner put them) is then graded by the grading workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from grader import feedback
from grader.batch.api import grade_notebook
from grader.spec import step_for

from .lab_kernel import LabKernel

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Lab:
    """One learner notebook open in a kernel: run cells by id, read verdicts, hand it in."""

    step: str
    kernel: LabKernel
    notebook: nbformat.NotebookNode = field(init=False)
    sources: dict[str, str] = field(default_factory=dict)  # cell id -> latest source

    def __post_init__(self) -> None:
        self.notebook = nbformat.read(ROOT / "notebooks" / step_for(self.step).notebook, 4)

    def cell(self, role: str, number: int = 1) -> str:
        """The id of the notebook's `number`th cell of `role` ("given", "answer", "check")."""
        ids = [c.id for c in self.notebook.cells if c.cell_type == "code"
               and f"-{role}-" in c.id]
        return ids[number - 1]

    def run(self, cell_id: str, source: str | None = None, below: str | None = None) -> dict:
        """Run a cell (its notebook source unless `source`); a new id makes a new cell, put
        just below `below` (an id) in the saved notebook."""
        known = {c.id: c for c in self.notebook.cells}
        if cell_id not in known:
            at = [c.id for c in self.notebook.cells].index(below) + 1
            self.notebook.cells.insert(at, nbformat.v4.new_code_cell(source, id=cell_id))
        elif source is not None:
            known[cell_id].source = source
        code = source if source is not None else known[cell_id].source
        return self.kernel.run(cell_id, code)

    def given(self) -> None:
        for cell in self.notebook.cells:
            if cell.cell_type == "code" and "-given-" in cell.id and \
                    "serving_panel" not in cell.source:
                self.run(cell.id)
                return

    def check(self) -> list:
        """Run the check cell as the learner does; the verdict `check(N)` gives."""
        out = self.run(self.cell("check"))
        assert not out["error"], out
        return self.kernel.verdict(self.step)

    def graded(self) -> list:
        grade = grade_notebook(nbformat.writes(self.notebook).encode(), step=self.step)
        assert grade.status == "ok", grade.to_dict()
        return [[c.id, c.passed, c.message, c.hint, c.started] for c in grade.result.checks] + \
            [feedback.headline(grade.result)]


@pytest.fixture
def kernel(tmp_path):
    lab = LabKernel(tmp_path)
    yield lab
    lab.close()


def _message(verdict: list) -> str:
    return next(item[2] for item in verdict[:-1] if not item[1])


CASE_SENSITIVE = ("Your cell makes `Threshold`, but names are case-sensitive: the step asks for "
                  "`threshold`.")
STEP2_AFTER_A_PASS = {
    "a capital letter": ("Threshold = 0.6", CASE_SENSITIVE),
    "compared instead of set": (
        "threshold == 0.6", "Your cell compares `threshold == 0.6` instead of setting "
        "`threshold`: `==` asks whether two values are equal; one `=` sets a name."),
    "renamed": ("thresh = 0.5", "Your cell makes `thresh` but not `threshold`, the name the "
                "step asks for: the checks find your work by its name."),
}


@pytest.mark.parametrize("case", STEP2_AFTER_A_PASS)
def test_step2_changed_after_a_pass_is_judged_as_it_is_now(kernel, case) -> None:
    lab = Lab("2", kernel)
    lab.given()
    lab.run(lab.cell("answer"), "threshold = 0.6")
    assert lab.check()[-1] == "Step 2 passed. Well done!"
    source, words = STEP2_AFTER_A_PASS[case]
    lab.run(lab.cell("answer"), source)
    inline = lab.check()
    assert _message(inline) == words
    assert inline[-1] == "Step 2: 0 of 1 checks passed. Start with the first ✘ below."
    assert inline == lab.graded()


def test_a_capital_letter_in_a_fresh_kernel_is_not_called_not_started(kernel) -> None:
    lab = Lab("2", kernel)
    lab.given()
    lab.run(lab.cell("answer"), "Threshold = 0.6")
    inline = lab.check()
    assert _message(inline) == CASE_SENSITIVE and "not started" not in inline[-1]
    assert inline == lab.graded()


def test_an_emptied_answer_cell_is_not_judged_by_its_old_value(kernel) -> None:
    lab = Lab("2", kernel)
    lab.given()
    lab.run(lab.cell("answer"), "threshold = 0.6")
    lab.run(lab.cell("answer"), "# Set the threshold here.\n")
    inline = lab.check()
    assert inline[-1].startswith("Step 2 is not started yet")
    assert inline == lab.graded()


def test_def_predict_with_a_capital_after_a_pass(kernel) -> None:
    lab = Lab("3", kernel)
    lab.given()
    lab.run(lab.cell("answer", 1), "def predict(feature):\n    return feature > threshold")
    lab.run(lab.cell("answer", 2),
            "batch_results = [predict(feature) for customer_id, feature in customers]")
    assert lab.check()[-1] == "Step 3 passed. Well done!"
    lab.run(lab.cell("answer", 1), "def Predict(feature):\n    return feature > threshold")
    inline = lab.check()
    assert _message(inline) == ("Your cell defines `Predict`, but names are case-sensitive: the "
                                "step asks for `predict`.")
    # The same first ✘ with the same words; below it the kernel still holds the
    # `batch_results` its cell built before (that cell did not run again), while the saved
    # notebook, run from the top, finds no `predict` for it.
    graded = lab.graded()
    assert inline[0] == graded[0]
    assert inline[-1].startswith("Step 3: ") and graded[-1].startswith("Step 3: ")


def test_the_newest_cell_that_builds_a_name_is_the_one_judged(kernel) -> None:
    """An older cell renamed its name, but a newer cell builds it: the newer one is judged."""
    lab = Lab("3", kernel)
    lab.given()
    lab.run(lab.cell("answer", 1), "def predict(feature):\n    return feature > threshold")
    lab.run(lab.cell("answer", 2), "batch_results = [predict(f) for _, f in customers]")
    lab.run("my-own-cell", "batch_results = [predict(feature) for customer_id, feature in "
            "customers]", below=lab.cell("answer", 2))
    lab.run(lab.cell("answer", 2), "results = [predict(f) for _, f in customers]")
    inline = lab.check()
    assert inline[-1] == "Step 3 passed. Well done!"
    assert inline == lab.graded()


def test_step4_keeps_what_its_cell_printed_when_threshold_changes_later(kernel) -> None:
    lab = Lab("4", kernel)
    lab.given()
    lab.run(lab.cell("answer"), "print(batch_results)\nprint(predict(0.7))")
    assert lab.check()[-1] == "Step 4 passed. Well done!"
    panel = lab.cell("given", 2)
    lab.run("learner-threshold", "threshold = 0.85", below=panel)  # as the panel invites
    inline = lab.check()
    assert inline[-1] == "Step 4 passed. Well done!"
    assert inline == lab.graded()


def test_step4_prints_spread_over_the_answer_cell_and_a_cell_below_it(kernel) -> None:
    lab = Lab("4", kernel)
    lab.given()
    lab.run(lab.cell("answer"), "print(batch_results)")
    lab.run("learner-realtime", "print(predict(0.7))", below=lab.cell("answer"))
    inline = lab.check()
    assert inline[-1] == "Step 4 passed. Well done!"
    assert inline == lab.graded()


def test_step4_judges_the_answer_cells_latest_run(kernel) -> None:
    lab = Lab("4", kernel)
    lab.given()
    lab.run(lab.cell("answer"), "print(customers)\nprint(predict(0.7))")
    assert _message(lab.check()) == "You printed the customers, not the predictions."
    lab.run(lab.cell("answer"), "print(batch_results)\nprint(predict(0.7))")
    inline = lab.check()
    assert inline[-1] == "Step 4 passed. Well done!"
    assert inline == lab.graded()


def test_step4_a_printing_cell_emptied_prints_nothing_any_more(kernel) -> None:
    """IPython tells the end of a blank cell's run, not its start: it printed nothing."""
    lab = Lab("4", kernel)
    lab.given()
    lab.run(lab.cell("answer"), "print(batch_results)")
    lab.run("learner-realtime", "print(predict(0.7))", below=lab.cell("answer"))
    assert lab.check()[-1] == "Step 4 passed. Well done!"
    lab.run("learner-threshold", "threshold = 0.85", below="learner-realtime")
    lab.run("learner-realtime", "")
    inline = lab.check()
    assert _message(inline) == "The real-time prediction wasn't printed after the batch results."
    assert inline == lab.graded()


def test_part2_a_renamed_batch_job_after_a_pass(kernel) -> None:
    from tests.part2.solution import PARTS, RIGHT

    lab = Lab("5", kernel)
    lab.given()
    for number, part in enumerate(PARTS["5"], start=1):
        lab.run(lab.cell("answer", number), RIGHT[part].strip() + "\n")
    assert lab.check()[-1] == "Step 5 passed. Well done!"
    lab.run(lab.cell("answer", 1), RIGHT["job"].strip().replace("def run_batch_job(",
                                                                "def run_job("))
    inline = lab.check()
    assert _message(inline) == ("Your cell defines `run_job` but not `run_batch_job`, the name "
                                "the step asks for: the checks find your work by its name.")
    assert inline == lab.graded()


def test_a_cell_printing_a_flood_is_heard_up_to_a_cap(kernel) -> None:
    lab = Lab("4", kernel)
    lab.given()
    lab.run(lab.cell("answer"), "for i in range(200_000):\n    print(i)\n"
            "print(batch_results)\nprint(predict(0.7))")
    out = kernel.run("", "from grader.inline import recorded_runs\n"
                     "print(len(recorded_runs()[-1].printed))", silent=True)
    assert int(out["text"]) == 20_000
