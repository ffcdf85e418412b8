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


PART1: tuple[Step, ...] = (
    Step(1, "1", "Create customer data list", "01_customer_data.ipynb"),
    Step(2, "2", "Set prediction threshold", "02_prediction_threshold.ipynb"),
    Step(3, "3", "Write prediction function and batch prediction", "03_predict_and_batch.ipynb"),
    Step(4, "4", "Print batch and real-time prediction results", "04_batch_and_realtime.ipynb"),
)
QUIZ = Step(5, "quiz", "Practice quiz", "05_practice_quiz.ipynb")
# Part 2, "Measure it": four steps in one notebook, each with its own check cell.
PART2_NOTEBOOK = "06_measure_it.ipynb"
PART2: tuple[Step, ...] = (
    Step(5, "5", "A batch job that writes a predictions table", PART2_NOTEBOOK),
    Step(6, "6", "A real-time endpoint that looks features up", PART2_NOTEBOOK),
    Step(7, "7", "Latency under load: percentiles and capacity", PART2_NOTEBOOK),
    Step(8, "8", "Freshness, a fallback and the cost per used prediction", PART2_NOTEBOOK),
)
OPTIONAL_NOTEBOOKS = (PART2_NOTEBOOK,)  # graded once anyone in the class hands it in
STEPS: tuple[Step, ...] = (*PART1, *PART2)  # what "Progress: N / 8 steps" counts
ALL_STEPS: tuple[Step, ...] = (*PART1, QUIZ, *PART2)  # in notebook order

EXPECTED_CUSTOMERS = [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)]
EXPECTED_THRESHOLD = 0.6
EXPECTED_BATCH = [False, True, False, True]
REALTIME_CUSTOMER = (105, 0.7)
EXPECTED_REALTIME = True

# Part 2: the model is the same rule (`feature > threshold`) at 0.6; the course's synthetic
# customers are seeded, so every learner (and the grader) gets the same ones.
PART2_THRESHOLD = 0.6
PART2_CUSTOMERS = 100_000
PART2_SEED = 2024
PREDICTIONS_COLUMNS = ("customer_id", "feature", "churn", "model_version", "scored_at")
FALLBACK_TIMEOUT_MAX = 1.0  # seconds: longer than this is not a "short" timeout


def step_for(key: object) -> Step:
    """Accept what a learner would type (`1`, `"1"`, `"step 1"`, `"quiz"`) and name the step."""
    text = str(key).strip().lower().removeprefix("step").strip()
    for step in ALL_STEPS:
        if text == step.key:
            return step
    choices = ", ".join(s.key for s in ALL_STEPS)
    raise ValueError(f"There is no step {key!r}. Choose one of: {choices}.")


def unit(step: Step) -> str:
    """What grading keeps apart for a step: its notebook, or `notebook#key` when the notebook
    holds several steps (Part 2), so each step has its own verdicts and gradebook rows."""
    shared = sum(1 for s in ALL_STEPS if s.notebook == step.notebook) > 1
    return f"{step.notebook}#{step.key}" if shared else step.notebook


def steps_in_notebook(name: str) -> tuple[Step, ...]:
    return tuple(s for s in ALL_STEPS if s.notebook == name)


def step_for_notebook(name: str) -> Step | None:
    """The (first) step a notebook teaches."""
    for step in ALL_STEPS:
        if step.notebook == name:
            return step
    return None
