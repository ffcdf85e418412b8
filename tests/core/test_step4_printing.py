"""Step 4: the two printed lines, and every way of not quite printing them."""

import pytest

from .helpers import GIVEN, first_failure, run_step

RIGHT = {
    "plain": "print(batch_results)\nprint(predict(0.7))",
    "labelled": ("print('Batch predictions:', batch_results)\n"
                 "print('Real-time prediction for customer 105:', predict(0.7))"),
    "f-strings": ("print(f'Batch: {batch_results}')\n"
                  "print(f'Real time (customer 105) = {predict(0.7)}')"),
    "via a variable": "print(batch_results)\nreal_time = predict(0.7)\nprint(real_time)",
}


@pytest.mark.parametrize("name", RIGHT)
def test_right_answers_pass(name: str) -> None:
    result = run_step("4", RIGHT[name])
    assert result.passed, result.to_dict()
    assert result.points == result.max_points == 2


MISTAKES = {
    "nothing printed": ("x = predict(0.7)", "prints_batch", "ran but printed nothing"),
    "bare expressions": ("batch_results\npredict(0.7)", "prints_batch",
                         "bare expressions"),
    "id not feature": ("print(batch_results)\nprint(predict(105))", "prints_realtime",
                       "You called `predict(105)`"),
    "tuple to predict": ("print(batch_results)\nprint(predict((105, 0.7)))", "prints_realtime",
                         "whole `(ID, value)` tuple"),
    "customers printed": ("print(customers)\nprint(predict(0.7))", "prints_batch",
                          "printed the customers, not the predictions"),
    "typed-in True": ("print(batch_results)\nprint(True)", "prints_realtime",
                      "You printed `True` typed in by hand"),
    "typed-in 'True'": ("print(batch_results)\nprint('True')", "prints_realtime",
                        "You printed `True` typed in by hand"),
    "typed-in batch list": ("print([False, True, False, True])\nprint(predict(0.7))",
                            "prints_batch", "printed the list `[False, True, False, True]` "
                            "typed in by hand"),
    "typed-in batch text": ("print('[False, True, False, True]')\nprint(predict(0.7))",
                            "prints_batch", "printed the list `[False, True, False, True]` "
                            "typed in by hand"),
    "wrong feature": ("print(batch_results)\nprint(predict(0.5))", "prints_realtime",
                      "printed `False`"),
    "realtime missing": ("print(batch_results)", "prints_realtime",
                         "wasn't printed after the batch"),
    "one line": ("print(batch_results, predict(0.7))", "prints_realtime",
                 "Both results are on one line"),
    "reversed order": ("print(predict(0.7))\nprint(batch_results)", "prints_realtime",
                       "batch results should come first"),
    "error": ("print(batch_result)", "prints_batch", "stopped with `NameError"),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_each_mistake_is_named(name: str) -> None:
    code, check_id, words = MISTAKES[name]
    failure = first_failure(run_step("4", code)) if check_id == "prints_batch" else next(
        c for c in run_step("4", code).checks if c.id == f"4.{check_id}")
    assert failure.id == f"4.{check_id}"
    assert not failure.passed
    assert words in failure.message
    assert failure.hint


def test_mistakes_get_distinct_messages() -> None:
    messages = []
    for name, (code, check_id, _) in MISTAKES.items():
        if name in ("typed-in 'True'", "typed-in batch text"):
            continue  # another spelling of the mistake above it: the same message
        result = run_step("4", code)
        messages.append(next(c.message for c in result.checks if c.id == f"4.{check_id}"))
    assert len(set(messages)) == len(messages)


def test_placeholder_is_not_started() -> None:
    result = run_step("4", "# Print the batch results...\n# YOUR CODE HERE")
    assert result.status == "not started"
    assert "Nothing printed yet" in result.checks[0].message


def test_cells_whose_prints_were_not_recorded_run_again_in_a_copy_of_the_namespace() -> None:
    """`check(4, source=...)` from outside a notebook: the cell is run again, never where the
    learner's own variables live."""
    from grader.inline import judge

    namespace: dict = {}
    exec(GIVEN["4"], namespace)
    cell = "threshold = 0.9\nprint(batch_results)\nprint(predict(0.95))"
    assert judge("4", namespace, [cell]).passed
    assert namespace["threshold"] == 0.6
