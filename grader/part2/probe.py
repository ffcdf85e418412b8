"""Part 2's probe: what the learner's batch job, serving path, endpoint, measures and fallback
*do*, asked with the inputs of `questions.py`.

Runs beside learner code, like `grader/probe.py` (which calls `part2_facts` for steps 5-8): in
the learner's kernel for `check(N)`, in the grading worker for a grade. Each step's probe takes
its question record (inputs as data) and answers plain JSON-able facts that echo those inputs;
the checks judge the facts; nothing here judges.
"""

from __future__ import annotations

from .batch import batch_facts
from .fallback import fallback_facts
from .measure import measure_facts
from .questions import DEFAULT, Questions
from .serving import serving_facts


def part2_facts(step: str, namespace: dict, questions: Questions = DEFAULT) -> dict:
    """Everything the checks of Part 2's `step` may look at."""
    if step == "5":
        return batch_facts(namespace, questions.batch)
    if step == "6":
        return serving_facts(namespace, questions.serving)
    if step == "7":
        return measure_facts(namespace, questions.measure)
    return fallback_facts(namespace, questions.fallback)
