"""Step 3: `predict` and `batch_results`, every right variant and every COURSE.md mistake."""

import pytest

from .helpers import BATCH, PREDICT, first_failure, run_step

RIGHT_PREDICTS = {
    "comparison": PREDICT,
    "bool()": "def predict(feature):\n    return bool(feature > threshold)\n",
    "if/else": ("def predict(feature):\n    if feature > threshold:\n        return True\n"
                "    else:\n        return False\n"),
    "lambda": "predict = lambda feature: feature > threshold\n",
}
RIGHT_BATCHES = {
    "unpacking": BATCH,
    "indexing": "batch_results = [predict(c[1]) for c in customers]\n",
}


@pytest.mark.parametrize("predict", RIGHT_PREDICTS)
@pytest.mark.parametrize("batch", RIGHT_BATCHES)
def test_right_answers_pass(predict: str, batch: str) -> None:
    result = run_step("3", RIGHT_PREDICTS[predict], RIGHT_BATCHES[batch])
    assert result.passed, result.to_dict()
    assert result.points == result.max_points == 6


PREDICT_MISTAKES = {
    "not defined": ("x = 1", "predict_defined", "`predict` is not defined yet"),
    "not callable": ("predict = 0.7", "predict_defined", "is a float, not a function"),
    "no input": ("def predict():\n    return True", "predict_defined", "takes no input"),
    "two inputs": ("def predict(customer_id, feature):\n    return feature > threshold",
                   "predict_defined", "needs 2 inputs"),
    "forgets return": ("def predict(feature):\n    feature > threshold", "predict_returns",
                       "a `return` statement is missing"),
    "prints": ("def predict(feature):\n    print(feature > threshold)", "predict_returns",
               "prints its answer instead of returning it"),
    "returns 1/0": ("def predict(feature):\n    return int(feature > threshold)",
                    "predict_returns", "returns numbers like"),
    "returns strings": ("def predict(feature):\n    return str(feature > threshold)",
                        "predict_returns", "returns the text"),
    "None on one path": ("def predict(feature):\n    if feature > threshold:\n        return True",
                         "predict_returns", "`None` for some values"),
    "expects a tuple": ("def predict(customer):\n    return customer[1] > threshold",
                        "predict_returns", "expects a whole customer tuple"),
    "raises": ("def predict(feature):\n    return feature / 0 > threshold", "predict_returns",
               "raised `ZeroDivisionError: float division by zero`"),
    "greater or equal": ("def predict(feature):\n    return feature >= threshold",
                         "predict_rule", "Use `>` rather than `>=`"),
    "wrong way round": ("def predict(feature):\n    return feature < threshold", "predict_rule",
                        "wrong way round"),
    "wrong rule": ("def predict(feature):\n    return feature > 0.75", "predict_rule",
                   "`predict(0.7)` returned `False`; expected `True`"),
    "hard-coded 0.6": ("def predict(feature):\n    return feature > 0.6",
                       "predict_uses_threshold", "number looks typed into the function"),
}


@pytest.mark.parametrize("name", PREDICT_MISTAKES)
def test_each_predict_mistake_is_named(name: str) -> None:
    code, check_id, words = PREDICT_MISTAKES[name]
    failure = first_failure(run_step("3", code, BATCH))
    assert failure.id == f"3.{check_id}"
    assert words in failure.message
    assert failure.hint


BATCH_MISTAKES = {
    "not defined": ("x = 1", "batch_values", "`batch_results` is not defined yet"),
    "generator": ("batch_results = (predict(f) for _, f in customers)", "batch_values",
                  "is a generator"),
    "map": ("batch_results = map(predict, [f for _, f in customers])", "batch_values",
            "is a map object"),
    "tuple": ("batch_results = tuple(predict(f) for _, f in customers)", "batch_values",
              "is a tuple"),
    "pairs": ("batch_results = [(i, predict(f)) for i, f in customers]", "batch_values",
              "holds (ID, prediction) pairs"),
    "wrong values": ("batch_results = [predict(i) for i, f in customers]", "batch_values",
                     "`batch_results` is `[True, True, True, True]`"),
    "too few": ("batch_results = [predict(f) for _, f in customers[:3]]", "batch_values",
                "has 3 results"),
    "for loop": ("batch_results = []\nfor i, f in customers:\n    batch_results.append(predict(f))",
                 "batch_comprehension", "with a for-loop and `append`"),
    "list(map)": ("batch_results = list(map(predict, [f for _, f in customers]))",
                  "batch_comprehension", "built with `list(...)`"),
    "typed in": ("batch_results = [False, True, False, True]", "batch_comprehension",
                 "typed in by hand"),
    "no predict": ("batch_results = [f > threshold for _, f in customers]", "batch_comprehension",
                   "call `predict` inside it"),
    "not over customers": ("batch_results = [predict(f) for f in (0.2, 0.8, 0.5, 0.9)]",
                           "batch_comprehension", "doesn't go over `customers`"),
}


@pytest.mark.parametrize("name", BATCH_MISTAKES)
def test_each_batch_mistake_is_named(name: str) -> None:
    code, check_id, words = BATCH_MISTAKES[name]
    failure = first_failure(run_step("3", PREDICT, code))
    assert failure.id == f"3.{check_id}"
    assert words in failure.message
    assert failure.hint


def test_none_results_point_back_to_predict() -> None:
    failure = first_failure(run_step("3", "def predict(feature):\n    feature > threshold", BATCH))
    assert "a `return` statement is missing" in failure.message
    batch = next(c for c in run_step("3", "def predict(f):\n    f > threshold", BATCH).checks
                 if c.id == "3.batch_values")
    assert "full of `None`" in batch.message


def test_all_mistakes_get_distinct_messages() -> None:
    messages = [first_failure(run_step("3", code, BATCH)).message
                for code, _, _ in PREDICT_MISTAKES.values()]
    messages += [first_failure(run_step("3", PREDICT, code)).message
                 for code, _, _ in BATCH_MISTAKES.values()]
    assert len(set(messages)) == len(messages)
