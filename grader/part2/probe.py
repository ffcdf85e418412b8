"""Part 2's probe: what the learner's batch job, serving path, endpoint, measures and fallback
*do*, asked with the inputs of `questions.py`.

Runs beside learner code, like `grader/probe.py` (which calls `gather_facts` for steps 5-8, as
each step's `Probe.facts` in `grader/spec.py` names its gatherer): in the learner's kernel for
`check(N)`, in the grading worker for a grade. Each gatherer takes its question record (inputs
as data) and answers plain JSON-able facts that echo those inputs; the checks judge the facts;
nothing here judges.
"""

from __future__ import annotations

from collections.abc import Callable

from ..spec import step_for
from .batch import batch_facts
from .fallback import fallback_facts
from .measure import measure_facts
from .questions import DEFAULT, Questions
from .serving import serving_facts

# What each Part 2 step's `Probe.facts` names (see `grader/spec.py`), and its gatherer.
FACTS: dict[str, Callable[[dict, Questions], dict]] = {
    "batch_job": lambda namespace, questions: batch_facts(namespace, questions.batch),
    "serving": lambda namespace, questions: serving_facts(namespace, questions.serving),
    "measure": lambda namespace, questions: measure_facts(namespace, questions.measure),
    "fallback": lambda namespace, questions: fallback_facts(namespace, questions.fallback),
}


def gather_facts(name: str, namespace: dict, questions: Questions = DEFAULT) -> dict:
    """Every fact the gatherer `name` collects for its step's checks, asked with `questions`."""
    return FACTS[name](namespace, questions)


def part2_facts(step: str, namespace: dict, questions: Questions = DEFAULT) -> dict:
    """The facts of Part 2's `step` ("5".."8")."""
    return gather_facts(step_for(step).probe.facts, namespace, questions)
