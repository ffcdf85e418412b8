"""The course's shape: one `Step` record per step, and the exact expected values.

A step's record is the one place that knows it: its notebook, the learner names its probe
describes and the calls it makes, which of the learner's cells its checks read, its checks
module, its gradebook column and how progress counts it. Everything else (the probe, the
checks, the builder, the batch grader, progress and feedback) dispatches on the record, so
adding a step is one record here plus its checks module in `grader/checks/`.

This module is plain data: it imports nothing of the grader, so any layer may read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

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


@dataclass(frozen=True)
class PredictCall:
    """One call the probe makes of the learner's `predict`, and what it is for. Checks look
    calls up by `purpose`, never by their inputs, so the inputs are data the asker may draw
    afresh (a grading harness does, per run; the inline check uses the course's own)."""

    purpose: str  # "rule", "at_threshold", "swapped", "whole_customer"
    argument: Any  # what `predict` is called with
    threshold: float | None = None  # `threshold` is set to this for the call, then restored


@dataclass(frozen=True)
class Probe:
    """What a step's checks need to know of the learner's kernel, as questions to ask it:
    which names to describe, which calls to make, which facts to gather."""

    names: tuple[str, ...] = ()  # learner names whose values are described
    calls: tuple[PredictCall, ...] = ()  # calls of the learner's `predict`
    printing: bool = False  # what the step's cells printed when they ran
    facts: str = ""  # a gatherer of Part 2 facts (`grader.part2.probe.FACTS`), "" for none
    quiz_answers: bool = False  # the quiz answers recorded in the kernel and beside it
    endpoint: bool = False  # the facts call learner code against an endpoint on 127.0.0.1


# Which of the learner's cells the checks read (see `grader.sources.choose_sources`):
#   history     every cell that ran, newest last (the last 20)
#   each_once   the same, each source once at its newest run (a long notebook re-run often)
#   printing_cells  the latest run of the answer cells and cells the learner added, in order
#               (without cell ids: the answer cell, else the latest cell that prints)
#   none        no code at all (the quiz reads recorded answers)
SourceRule = Literal["history", "each_once", "printing_cells", "none"]


@dataclass(frozen=True)
class Step:
    key: str  # what `check(...)` calls it: "1".."8", "mode" or "quiz"
    title: str
    notebook: str  # file name in solutions/ and notebooks/
    checks: str  # its module in grader/checks/
    probe: Probe = Probe()
    sources: SourceRule = "history"
    name: str = ""  # in a verdict's headline: "Step 3" (default) or "The quiz"
    label: str = ""  # in a list of steps: "Step 3" (default) or "Quiz"
    item: str = "check"  # what a learner calls one of its checks: "check", "question"
    passed_as: str = "passed"  # what a passed one is: "3 of 10 questions right"
    start: str = "write your answer above, run it, then this check"  # after "not started yet: "
    counted: bool = True  # one of the "Progress: N / M steps" (else its points are shown)
    optional: bool = False  # its notebook is graded once anyone in the class hands it in
    answer_cells: bool = True  # its notebook has cells the learner writes (the quiz: a widget)
    attachments: tuple[str, ...] = ()  # files graded with its notebook, found beside it

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", f"Step {self.key}")
        if not self.label:
            object.__setattr__(self, "label", self.name)

    @property
    def column(self) -> str:
        """Its column in grades.csv: `step_3`, or the key itself when it is not a number."""
        return f"step_{self.key}" if self.key.isdigit() else self.key


# Step 3's calls, in the order they are made (after a timeout the rest are skipped): the rule
# on both sides of the threshold, exactly at it (`>` against `>=`), with `threshold` changed
# (a 0.6 typed into `predict`), and with a whole customer tuple (a `predict` that takes one).
PREDICT_CALLS: tuple[PredictCall, ...] = (
    *(PredictCall("rule", feature) for feature in (0.2, 0.8, 0.5, 0.9, 0.7)),
    PredictCall("at_threshold", EXPECTED_THRESHOLD),
    PredictCall("rule", 0.59), PredictCall("rule", 0.61),
    PredictCall("swapped", 0.5, 0.3), PredictCall("swapped", 0.8, 0.85),
    PredictCall("whole_customer", REALTIME_CUSTOMER),
)

PART1: tuple[Step, ...] = (
    Step("1", "Create customer data list", "01_customer_data.ipynb", "step1",
         Probe(names=("customers",))),
    Step("2", "Set prediction threshold", "02_prediction_threshold.ipynb", "step2",
         Probe(names=("threshold",))),
    Step("3", "Write prediction function and batch prediction", "03_predict_and_batch.ipynb",
         "step3", Probe(names=("threshold", "predict", "batch_results"), calls=PREDICT_CALLS)),
    Step("4", "Print batch and real-time prediction results", "04_batch_and_realtime.ipynb",
         "step4", Probe(printing=True), sources="printing_cells"),
)
# Between step 4 and the quiz: six cases, and for each when its inputs are known, whether it
# can be listed ahead, how stale an answer may be, who waits, and batch, real time or hybrid.
# Counted in progress; graded (with its grades.csv column) once anyone in the class hands it
# in, so a class that graded the page's four steps before it existed keeps its totals.
MODE = Step("mode", "Choose the mode: batch, real time or both", "04b_choose_the_mode.ipynb",
            "mode_choice", Probe(names=("mode_choices",)), name="Choose the mode",
            start="replace each `...` in `mode_choices` above with one of the words from the "
            "table, run that cell, then this check", optional=True)
QUIZ = Step("quiz", "Practice quiz", "05_practice_quiz.ipynb", "quiz_answers",
            Probe(quiz_answers=True), sources="none", name="The quiz", label="Quiz",
            item="question", passed_as="right",
            start='answer the questions above (in the quiz, or with `answer(1, "C")`), then run '
            'this check', counted=False, answer_cells=False, attachments=("quiz_answers.json",))
# Part 2, "Measure it": four steps in one notebook, each with its own check cell.
PART2_NOTEBOOK = "06_measure_it.ipynb"
PART2: tuple[Step, ...] = tuple(
    Step(key, title, PART2_NOTEBOOK, f"step{key}",
         Probe(facts=facts, endpoint=facts == "fallback"), sources="each_once", optional=True)
    for key, title, facts in (
        ("5", "A batch job that writes a predictions table", "batch_job"),
        ("6", "A real-time endpoint that looks features up", "serving"),
        ("7", "Latency under load: percentiles and capacity", "measure"),
        ("8", "Freshness, a fallback and the cost per used prediction", "fallback"),
    ))
ALL_STEPS: tuple[Step, ...] = (*PART1, MODE, QUIZ, *PART2)  # in notebook order
STEPS: tuple[Step, ...] = tuple(s for s in ALL_STEPS if s.counted)  # "Progress: N / 9 steps"
OPTIONAL_NOTEBOOKS = tuple(dict.fromkeys(s.notebook for s in ALL_STEPS if s.optional))


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
