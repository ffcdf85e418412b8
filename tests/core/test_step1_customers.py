"""Step 1: every accepted and rejected `customers` from COURSE.md, each with its own message."""

import pytest

from .helpers import first_failure, run_step

RIGHT = "customers = [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)]"

MISTAKES = {
    "not defined": ("x = 1", "customers_shape", "not defined yet"),
    "dict": ("customers = {101: 0.2, 102: 0.8, 103: 0.5, 104: 0.9}", "customers_shape",
             "is a dict"),
    "tuple": ("customers = ((101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9))", "customers_shape",
              "is a tuple of customers"),
    "set": ("customers = {(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)}", "customers_shape",
            "is a set"),
    "lists not tuples": ("customers = [[101, 0.2], [102, 0.8], [103, 0.5], [104, 0.9]]",
                         "customers_shape", "Each customer is a list"),
    "ids as strings": ("customers = [('101', 0.2), ('102', 0.8), ('103', 0.5), ('104', 0.9)]",
                       "customers_shape", "IDs are text"),
    "values as strings": ("customers = [(101, '0.2'), (102, '0.8'), (103, '0.5'), (104, '0.9')]",
                          "customers_shape", "feature values are text"),
    "swapped": ("customers = [(0.2, 101), (0.8, 102), (0.5, 103), (0.9, 104)]",
                "customers_shape", "look swapped"),
    "wrong order": ("customers = [(102, 0.8), (101, 0.2), (103, 0.5), (104, 0.9)]",
                    "customers_values", "in a different order"),
    "missing": ("customers = [(101, 0.2), (102, 0.8), (103, 0.5)]", "customers_values",
                "customer 104 is missing"),
    "extra": ("customers = [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9), (105, 0.7)]",
              "customers_values", "`(105, 0.7)` is extra"),
    "changed": ("customers = [(101, 0.2), (102, 0.3), (103, 0.5), (104, 0.9)]",
                "customers_values", "customer 102 has value `0.3`; expected `0.8`"),
    "empty": ("customers = []", "customers_shape", "empty list"),
    "yes/no as ids": ("customers = [(True, 0.2), (False, 0.8), (True, 0.5), (False, 0.9)]",
                      "customers_shape", "Customer number 1 has ID `True` (bool)"),
    "not pairs": ("customers = [(101, 0.2, 'x'), (102, 0.8), (103, 0.5), (104, 0.9)]",
                  "customers_shape", "should be a pair"),
}


def test_the_exact_list_passes() -> None:
    result = run_step("1", RIGHT)
    assert result.passed and result.points == result.max_points == 2
    assert result.status == "passed"


@pytest.mark.parametrize("name", MISTAKES)
def test_each_mistake_is_named(name: str) -> None:
    code, check_id, words = MISTAKES[name]
    failure = first_failure(run_step("1", code))
    assert failure.id == f"1.{check_id}"
    assert words in failure.message
    assert failure.hint, "every rejection comes with a hint"


def test_mistakes_get_distinct_messages() -> None:
    messages = [first_failure(run_step("1", code)).message for code, _, _ in MISTAKES.values()]
    assert len(set(messages)) == len(messages)


def test_not_defined_reads_as_not_started() -> None:
    result = run_step("1", "# YOUR CODE HERE")
    assert result.status == "not started"
    assert result.checks[1].ran is False
