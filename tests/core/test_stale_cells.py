"""A cell whose latest run failed never leaves a stale pass behind, and its error is in words."""

import pytest

from grader.inline import judge

from .helpers import BATCH, CUSTOMERS, PREDICT, THRESHOLD, run_cell

TUPLE_BATCH = "batch_results = [predict(c) for c in customers]"


def _notebook(*cells: str) -> tuple[dict, list[str], dict[str, str]]:
    """Run cells in order as a kernel would, keeping each source's latest outcome."""
    namespace: dict = {}
    outcomes: dict[str, str] = {}
    for cell in (CUSTOMERS, THRESHOLD, *cells):
        outcomes[cell] = run_cell(cell, namespace)
    return namespace, [CUSTOMERS, THRESHOLD, *cells], outcomes


def _verdict(step: str, *cells: str):
    namespace, sources, outcomes = _notebook(*cells)
    return judge(step, namespace, sources, outcomes)


def test_a_cell_that_raises_after_an_earlier_success_is_not_a_stale_pass() -> None:
    result = _verdict("3", PREDICT, BATCH.replace("batch_results = [", "batch_results = list(["
                                                  ).replace("]\n", "])\n"), TUPLE_BATCH)
    assert not result.passed
    failed = next(c for c in result.checks if not c.passed and c.ran)
    assert failed.id == "3.batch_values"
    assert failed.message.startswith(
        "The cell that builds `batch_results` raised `TypeError` (`>` between a tuple and a "
        "float): each customer is a tuple `(ID, feature)`; unpack it and compare the feature.")
    assert "may hold an older value" in failed.message
    assert "for customer_id, feature in customers" in failed.hint
    assert [c.passed for c in result.checks[:4]] == [True] * 4  # predict itself is fine


def test_the_same_error_in_a_fresh_kernel_says_the_cell_raised_not_that_it_never_ran() -> None:
    result = _verdict("3", PREDICT, TUPLE_BATCH)
    failed = result.checks[4]
    assert "raised `TypeError`" in failed.message and "was not created" in failed.message
    assert "not defined yet" not in failed.message
    assert result.checks[5].ran is False


def test_a_cell_fixed_and_re_run_passes() -> None:
    assert _verdict("3", PREDICT, TUPLE_BATCH, BATCH).passed


def test_a_cell_that_defines_the_variable_then_raises_on_a_later_line_fails() -> None:
    cell = BATCH + "print(batch_results[4])\n"
    result = _verdict("3", PREDICT, cell)
    assert not result.passed
    assert "The cell that builds `batch_results` raised `IndexError`" in result.checks[4].message


def test_a_syntax_error_in_the_newest_cell_is_not_covered_by_an_older_good_value() -> None:
    broken = "batch_results = [predict(f) for _, f in customers"
    result = _verdict("3", PREDICT, BATCH, broken)
    assert "raised `SyntaxError`" in result.checks[4].message
    assert "Python couldn't read the cell" in result.checks[4].message


def test_a_broken_predict_cell_names_predict_and_spares_batch_checks_from_repeating_it() -> None:
    cell = PREDICT + "predict(customers[0])\n"
    result = _verdict("3", cell, BATCH)
    assert result.checks[0].message.startswith("The cell that defines `predict` raised "
                                                "`TypeError`")


@pytest.mark.parametrize("step, cell, words", [
    ("1", "customers = [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)]\ncustomers.sort(0)",
     "The cell that builds `customers` raised `TypeError`"),
    ("2", "threshold = 0.6\nprint(treshold)",
     "raised `NameError` (`treshold` is not defined): `treshold` did not exist"),
])
def test_every_step_that_reads_a_name_knows_its_cell_failed(step, cell, words) -> None:
    namespace: dict = {}
    outcomes = {cell: run_cell(cell, namespace)}
    result = judge(step, namespace, [cell], outcomes)
    assert not result.passed and words in result.checks[0].message


def test_a_clean_later_cell_that_rebuilds_the_name_is_what_counts() -> None:
    result = _verdict("3", PREDICT, TUPLE_BATCH, "x = 1", BATCH)
    assert result.passed


def test_a_pathologically_nested_cell_is_read_without_crashing_the_check() -> None:
    deep = "if True:\n" + "".join("    " * i + "if True:\n" for i in range(1, 60)) + \
        "    " * 60 + "batch_results = 1\n" + "print(missing_name)\n"
    result = judge("3", {}, [deep], {deep: "NameError: name 'missing_name' is not defined"})
    assert result.checks[4].message.startswith("The cell that builds `batch_results` raised "
                                               "`NameError`")


def _lab(*runs: tuple[str, str]):
    """Cells run as JupyterLab runs them (each with its cell id), then judged as `check(N)`."""
    from grader.sources import Run, choose_sources

    namespace: dict = {}
    history = [Run(source, cell, run_cell(source, namespace), "") for cell, source in runs]
    return lambda step: judge(step, namespace, choose_sources(step, history, []))


def test_the_newest_cell_that_makes_a_name_is_judged_not_the_oldest() -> None:
    verdict = _lab(("step2-answer-1", "threshold = 0.6"), ("my-cell", "threshold = 0.6"),
                   ("step2-answer-1", "Threshold = 0.6"))
    assert verdict("2").passed  # `my-cell` still makes it
    verdict = _lab(("my-cell", "threshold = 0.6"), ("step2-answer-1", "threshold = 0.6"),
                   ("step2-answer-1", "Threshold = 0.6"))
    assert verdict("2").checks[0].message.startswith("Your cell makes `Threshold`")


def test_a_cell_run_again_and_failing_no_longer_vouches_for_its_old_value() -> None:
    verdict = _lab(("step2-answer-1", "threshold = 0.6"),
                   ("step2-answer-1", "Threshold = 0.6\nprint(treshold)"))
    message = verdict("2").checks[0].message
    assert message.startswith("The cell that builds `threshold` raised `NameError`"), message
    assert "may hold an older value" in message


def test_without_cell_ids_a_value_is_trusted_as_before() -> None:
    """Front-ends that send no ids can't say which cell ran again: nothing is called stale."""
    namespace: dict = {}
    cells = [CUSTOMERS, "threshold = 0.6", "Threshold = 0.6"]
    outcomes = {cell: run_cell(cell, namespace) for cell in cells}
    assert judge("2", namespace, cells, outcomes).passed


def test_only_a_cells_latest_run_speaks_for_it() -> None:
    """`Threshold = 0.6` once, then the same cell emptied: the name is not defined, and no
    word about the capital letter that is no longer there."""
    verdict = _lab(("step2-answer-1", "Threshold = 0.6"), ("step2-answer-1", "# later"))
    assert verdict("2").checks[0].message.startswith("`threshold` is not defined yet")
