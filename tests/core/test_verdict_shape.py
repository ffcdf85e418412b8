"""What a verdict looks like: short when nothing is written, one line for what passed, the first
failure first, and a nudge before the answer line (which waits behind "Show me the line")."""

import pytest

from grader import check, feedback

from .helpers import BATCH, PREDICT, run_step

LINES = ("customers = [(101, 0.2)", "threshold = 0.6", "return feature > threshold",
         "for customer_id, feature in customers", "print(batch_results)")


@pytest.mark.parametrize("step", ["1", "2", "3", "4"])
def test_a_step_not_started_is_one_short_line_with_no_answers(step: str) -> None:
    result = run_step(step, "# YOUR CODE HERE")
    assert result.status == "not started"
    text, html = feedback.as_text(result), feedback.as_html(result)
    assert text == f"Step {step} is not started yet: write your answer above, run it, then " \
        "this check."
    assert not any(line in text or line in html for line in LINES)
    assert "Hint" not in html and "Show me the line" not in html


def test_a_passed_step_is_two_lines() -> None:
    text = feedback.as_text(run_step("3", PREDICT, BATCH))
    assert text.splitlines() == ["Step 3 passed. Well done!", "  ✔ 6 checks passed"]


def test_the_first_failing_check_leads_and_waiting_checks_fold() -> None:
    result = run_step("3", "def predict(feature):\n    return feature > 0.6",
                      "batch_results = []\nfor c in customers:\n"
                      "    batch_results.append(predict(c[1]))")
    lines = feedback.as_text(result).splitlines()
    assert lines[0] == "Step 3: 4 of 6 checks passed. Start with the first ✘ below."
    assert lines[1] == "  ✘ `predict` reads `threshold` instead of a fixed 0.6"
    failures = [line for line in lines if line.startswith("  ✘")]
    assert failures == ["  ✘ `predict` reads `threshold` instead of a fixed 0.6",
                        "  ✘ `batch_results` is built by a list comprehension that calls "
                        "`predict`"]
    assert lines[-1] == "  ✔ 4 checks passed"


def test_a_part_not_written_yet_folds_below_the_first_failure() -> None:
    result = run_step("3", "def predict(feature):\n    return feature >= threshold")
    text = feedback.as_text(result)
    assert "  ✘ `predict` says churn exactly when feature > threshold" in text
    assert "  · 1 more part not started yet: `batch_results` is [False, True, False, True]" \
        in text
    assert "  · 2 more checks will run once the first ✘ is fixed" in text


def test_hints_are_nudges_and_the_answer_line_shows_after_three_failures() -> None:
    namespace = {"threshold": "0.6"}
    first = check(2, namespace=namespace)
    assert "Hint: Remove the quotes around the number." in repr(first)
    assert "The line:" not in repr(first) and "<details class='course-line' style" in \
        first._repr_html_()
    check(2, namespace=namespace)
    third = check(2, namespace=namespace)
    assert "The line:\n          threshold = 0.6" in repr(third)
    assert "<details class='course-line' open" in third._repr_html_()
    assert "shown because this check failed a few times" in third._repr_html_()
    check(2, namespace={"threshold": 0.6})  # a pass starts the count again
    assert "The line:" not in repr(check(2, namespace=namespace))


@pytest.mark.parametrize("step, cells", [
    ("1", ["customers = {101: 0.2}"]), ("1", ["customers = [(101, '0.2')]"]),
    ("2", ["threshold = 60"]), ("3", ["def predict(feature):\n    feature > threshold", BATCH]),
    ("3", [PREDICT, "batch_results = list(map(predict, [0.2, 0.8, 0.5, 0.9]))"]),
    ("4", ["print([False, True, False, True])\nprint(predict(0.7))"]),
])
def test_no_hint_gives_the_answer_line_away(step: str, cells: list[str]) -> None:
    failed = [c for c in run_step(step, *cells).checks if c.ran and not c.passed]
    assert failed and all(c.line and c.line not in c.hint for c in failed)
    assert not any(line in c.hint for c in failed for line in LINES)



def test_the_same_failure_is_said_once() -> None:
    result = run_step("4", "print(batch_result)\nprint(predict(0.7))")
    text = feedback.as_text(result)
    assert text.count("Your answer cell stopped with `NameError") == 1
    assert "  · 1 more check will run once the first ✘ is fixed" in text


def test_type_names_take_the_article_they_are_said_with() -> None:
    from grader.values import with_article

    assert [with_article(n) for n in ("int", "dict", "ndarray", "NoneType", "str")] == [
        "an int", "a dict", "an ndarray", "a NoneType", "a str"]


def test_a_predict_returning_an_array_is_named_an_ndarray() -> None:
    from .helpers import first_failure, run_step

    failure = first_failure(run_step(
        "3", "import numpy as np\ndef predict(feature):\n"
        "    return np.array([feature > threshold])",
        "batch_results = [predict(feature) for customer_id, feature in customers]"))
    assert "an ndarray" in failure.message, failure.message
