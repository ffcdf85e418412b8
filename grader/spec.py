"""The course's shape: which steps exist, which notebook teaches each, the exact expected values.

Everything else (checks, builder, batch grader) reads from here so a renamed notebook or a changed
value is one edit, not a hunt.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    number: int
    key: str  # "1".."4" or "quiz": what `check(...)` and the gradebook call it
    title: str
    notebook: str  # file name in solutions/ and notebooks/


STEPS: tuple[Step, ...] = (
    Step(1, "1", "Create customer data list", "01_customer_data.ipynb"),
    Step(2, "2", "Set prediction threshold", "02_prediction_threshold.ipynb"),
    Step(3, "3", "Write prediction function and batch prediction", "03_predict_and_batch.ipynb"),
    Step(4, "4", "Print batch and real-time prediction results", "04_batch_and_realtime.ipynb"),
)
QUIZ = Step(5, "quiz", "Practice quiz", "05_practice_quiz.ipynb")
ALL_STEPS: tuple[Step, ...] = (*STEPS, QUIZ)

EXPECTED_CUSTOMERS = [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)]
EXPECTED_THRESHOLD = 0.6
EXPECTED_BATCH = [False, True, False, True]
REALTIME_CUSTOMER = (105, 0.7)
EXPECTED_REALTIME = True


def step_for(key: object) -> Step:
    """Accept what a learner would type (`1`, `"1"`, `"step 1"`, `"quiz"`) and name the step."""
    text = str(key).strip().lower().removeprefix("step").strip()
    for step in ALL_STEPS:
        if text == step.key:
            return step
    choices = ", ".join(s.key for s in ALL_STEPS)
    raise ValueError(f"There is no step {key!r}. Choose one of: {choices}.")


def step_for_notebook(name: str) -> Step | None:
    for step in ALL_STEPS:
        if step.notebook == name:
            return step
    return None
