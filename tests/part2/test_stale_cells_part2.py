"""Part 2 never passes a step on a stale value: when the latest run of the cell that defines
`run_batch_job`, `app`, `percentile` or `predict_with_fallback` failed, the check says so in
words, the same in the learner's `check(N)` and in a grading worker; a fixed re-run passes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest

from grader.batch.api import grade_notebook
from grader.inline import judge
from grader.sources import as_runs, choose_sources
from grader.spec import PART2_NOTEBOOK
from tests.core.helpers import run_cell

from .solution import GIVEN, ORDER, PARTS, RIGHT

ROOT = Path(__file__).resolve().parents[2]

# (step, the answer part, its broken latest version, the check that must fail, words it says).
# Each broken cell either raises while defining (the old function stays) or defines the name
# and then raises on a later line.
CASES = {
    "5: run_batch_job raises on definition": (
        "5", "job", RIGHT["job"].replace("model_version):", "model_version=VERSION):"),
        "5.job_runs", "The cell that defines `run_batch_job` raised `NameError` "
        "(`VERSION` is not defined)"),
    "6: app defined, then a later line raises": (
        "6", "app", RIGHT["app"] + "print(app.routes[10])\n", "6.app",
        "The cell that builds `app` raised `IndexError`"),
    "7: percentile defined, then a later line raises": (
        "7", "percentile", RIGHT["percentile"] + "print(percentile([], 50))\n",
        "7.percentile_runs", "The cell that defines `percentile` raised `IndexError`"),
    "8: predict_with_fallback defined, then a later line raises": (
        "8", "fallback", RIGHT["fallback"] + "print(predict_with_fallback.timeout)\n",
        "8.live_when_up", "The cell that defines `predict_with_fallback` raised "
        "`AttributeError`"),
    "8: cost_per_used defined, then a later line raises": (
        "8", "cost", RIGHT["cost"] + "print(cost_per_used(1, 1, 0, 1))\n", "8.cost_per_used",
        "The cell that defines `cost_per_used` raised `ZeroDivisionError`"),
    "6: serving_feature defined, then a later line raises": (
        "6", "serving", RIGHT["serving"] + "print(serving_feature(1))\n", "6.serving_fixed",
        "The cell that defines `serving_feature` raised `KeyError`"),
    "7: capacity raises on definition": (
        "7", "capacity", RIGHT["capacity"].replace("budget_ms):", "budget_ms=BUDGET):"),
        "7.capacity", "The cell that defines `capacity` raised `NameError`"),
}


def _code(part: str) -> str:
    return textwrap.dedent(RIGHT[part]).strip() + "\n"


def _inline(step: str, part: str, latest: list[str]):
    """The learner's kernel: the given code, the step's answers, the right `part` run once,
    then its `latest` versions."""
    namespace: dict = {}
    cells = [GIVEN, *(_code(p) for p in PARTS[step]), *latest]
    outcomes = {cell: run_cell(cell, namespace) for cell in cells}
    return judge(step, namespace, cells, outcomes)


def _hand_in(part: str, latest: list[str]) -> bytes:
    """Notebook 06 with every answer right, the right `part` in its answer cell, then new
    cells right below it holding its `latest` versions."""
    nb = nbformat.read(ROOT / "notebooks" / PART2_NOTEBOOK, as_version=4)
    answers = [c for c in nb.cells if "answer" in c.metadata.get("tags", [])]
    assert len(answers) == len(ORDER)
    for cell, name in zip(answers, ORDER, strict=True):
        cell.source = _code(name)
    at = nb.cells.index(answers[ORDER.index(part)]) + 1
    nb.cells[at:at] = [nbformat.v4.new_code_cell(code) for code in latest]
    return nbformat.writes(nb).encode()


def _verdicts(result) -> list[tuple[str, bool, str]]:
    return [(c.id, c.passed, c.message) for c in result.checks]


@pytest.mark.parametrize("case", CASES)
def test_inline_check_names_the_failed_cell_instead_of_passing_the_old_value(case) -> None:
    step, part, broken, check_id, words = CASES[case]
    result = _inline(step, part, [broken])
    assert not result.passed
    failed = next(c for c in result.checks if c.id == check_id)
    assert failed.ran and not failed.passed
    assert failed.message.startswith(words), failed.message
    assert "fix the cell and run it again" in failed.message
    assert "older value" in failed.message  # the right one ran before: it may be stale
    after = [c for c in result.checks if c.id != check_id and not c.passed]
    assert all(not c.ran for c in after), after  # the rest wait for that cell, once


@pytest.mark.parametrize("case", CASES)
def test_a_fixed_re_run_passes(case) -> None:
    step, part, broken, _, _ = CASES[case]
    assert _inline(step, part, [broken, _code(part)]).passed


@pytest.mark.parametrize("case", CASES)
def test_grading_gives_the_same_verdict_as_the_learners_check(case) -> None:
    step, part, broken, check_id, words = CASES[case]
    graded = grade_notebook(_hand_in(part, [broken]), step=step)
    assert graded.status == "ok", graded.to_dict()
    assert _verdicts(graded.result) == _verdicts(_inline(step, part, [broken]))
    assert not graded.result.passed
    assert next(c for c in graded.result.checks if c.id == check_id).message.startswith(words)


def test_grading_a_broken_cell_fixed_below_it_gives_full_marks() -> None:
    step, part, broken, _, _ = CASES["8: predict_with_fallback defined, then a later line raises"]
    graded = grade_notebook(_hand_in(part, [broken, _code(part)]), step=step)
    assert graded.status == "ok" and graded.points == graded.max_points > 0, graded.to_dict()


def test_a_definition_that_raises_in_a_fresh_kernel_says_it_was_not_created() -> None:
    namespace: dict = {}
    broken = CASES["5: run_batch_job raises on definition"][2]
    cells = [GIVEN, broken, _code("vectorised")]
    outcomes = {cell: run_cell(cell, namespace) for cell in cells}
    failed = judge("5", namespace, cells, outcomes).checks[0]
    assert failed.message.startswith("The cell that defines `run_batch_job` raised `NameError`")
    assert "`run_batch_job` was not created" in failed.message
    assert "not defined yet" not in failed.message


def test_demonstrations_run_again_and_again_do_not_hide_the_failed_answer_cell() -> None:
    """The kernel's history keeps every run; the step still sees its answer cell's last run."""
    namespace: dict = {}
    demo = "# Demonstration: tonight's run\nrows = len(customers)\n"
    broken = CASES["5: run_batch_job raises on definition"][2]
    history = [GIVEN, "customers = [(1, 0.5)]\n", _code("job"), broken, _code("vectorised"),
               *[demo] * 25]
    outcomes = {cell: run_cell(cell, namespace) for cell in history}
    result = judge("5", namespace, choose_sources("5", as_runs(history, outcomes), []))
    assert result.checks[0].message.startswith("The cell that defines `run_batch_job` raised")


def test_a_broken_run_of_the_given_lookup_is_named_by_the_fallback_check() -> None:
    """`lookup` is given code; if the learner edits its cell and that run fails, the fallback's
    check says so instead of judging the fallback with an older `lookup`."""
    namespace: dict = {}
    lookup = GIVEN[GIVEN.index("def lookup("):]
    broken = lookup + "print(lookup(conn, 105))\n"
    cells = [GIVEN, *(_code(p) for p in PARTS["8"]), broken]
    outcomes = {cell: run_cell(cell, namespace) for cell in cells}
    result = judge("8", namespace, cells, outcomes)
    failed = next(c for c in result.checks if c.id == "8.batch_when_down")
    assert failed.message.startswith("The cell that defines `lookup` raised `NameError` "
                                     "(`conn` is not defined)"), failed.message
