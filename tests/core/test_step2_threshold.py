"""Step 2: `threshold` must be the number 0.6."""

import pytest

from .helpers import first_failure, run_step


@pytest.mark.parametrize("code", ["threshold = 0.6", "threshold = 3/5", "threshold = 0.60",
                                  "import numpy as np\nthreshold = np.float64(0.6)",
                                  "import numpy as np\nthreshold = np.mean([0.5, 0.7])"])
def test_the_number_passes(code: str) -> None:
    assert run_step("2", code).passed


MISTAKES = {
    "not defined": ("# YOUR CODE HERE", "not defined yet"),
    "text": ("threshold = '0.6'", "is the text `'0.6'`"),
    "percentage": ("threshold = 60", "looks like a percentage"),
    "no decimal point": ("threshold = 6", "decimal point is missing"),
    "ten times too small": ("threshold = 0.06", "ten times too small"),
    "bool": ("threshold = True", "a yes/no value"),
    "other number": ("threshold = 0.5", "`threshold` is 0.5; the step asks for 0.6"),
    "list": ("threshold = [0.6]", "is a list"),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_each_mistake_is_named(name: str) -> None:
    code, words = MISTAKES[name]
    failure = first_failure(run_step("2", code))
    assert words in failure.message
    assert failure.hint


def test_mistakes_get_distinct_messages() -> None:
    messages = [first_failure(run_step("2", code)).message for code, _ in MISTAKES.values()]
    assert len(set(messages)) == len(messages)
