"""Part 2 through the grading harness: its facts asked on the course's inputs and again on
inputs drawn for the run, each answer judged against the inputs asked (whatever it echoes),
and the verdict in the words of the learner's own `check(N)` (issue 15)."""

from __future__ import annotations

import copy
import random
import textwrap

import pytest

from grader.batch.harness import judge
from grader.batch.notebook import Plan
from grader.batch.protocol import Reply
from grader.probe import answer_all
from grader.questions import GatherFacts, draw
from grader.spec import step_for

from .solution import GIVEN, PARTS, RIGHT, failures, run_part2
from .test_part2_grading import MISTAKEN, OTHERS, STEP_OF


def _namespace(step: str, **replaced: str) -> dict:
    namespace: dict = {}
    exec(GIVEN, namespace)
    for part in PARTS[step]:
        exec(textwrap.dedent(replaced.get(part, RIGHT[part])), namespace)
    return namespace


def _asked(step: str, seed: int) -> Plan:
    return Plan(step, (), (), questions=draw(step, [], random.Random(seed)))


def _answers(plan: Plan, namespace: dict) -> list[dict]:
    return answer_all(plan.questions, namespace)


def _graded(step: str, plan: Plan, answers: list) -> object:
    grade = judge(step_for(step), plan, Reply((), tuple(answers)).to_data(), 0.0)
    assert grade.status == "ok", grade.message
    return grade.result


def _words(result) -> list[tuple[str, bool, str]]:
    return [(c.id, c.passed, c.message) for c in result.checks]


CASES = [(step, {}) for step in ("5", "6", "7", "8")] + [
    (step, {part: MISTAKEN[index]}) for step, (part, index) in STEP_OF.items()] + [
    (step, {part: code}) for step, (part, code) in OTHERS.items()]


@pytest.mark.parametrize("step, replaced", CASES,
                         ids=[f"{s}-{'-'.join(r) or 'right'}" for s, r in CASES])
def test_graded_on_drawn_inputs_in_the_words_of_check(step, replaced):
    plan = _asked(step, seed=11)
    assert sum(isinstance(q, GatherFacts) for q in plan.questions) == 2
    graded = _graded(step, plan, _answers(plan, _namespace(step, **replaced)))
    assert _words(graded) == _words(run_part2(step, **replaced))


@pytest.mark.parametrize("step", ["5", "6", "7", "8"])
def test_facts_copied_from_the_courses_inputs_fail_on_the_drawn_ones(step):
    """What `check(N)` heard, given again as the answer on this run's inputs (echoing the
    course's inputs, which the harness writes back over with those it asked)."""
    plan = _asked(step, seed=12)
    answers = _answers(plan, _namespace(step))
    course, drawn = (i for i, q in enumerate(plan.questions) if isinstance(q, GatherFacts))
    assert _words(_graded(step, plan, answers)) == _words(run_part2(step))
    answers[drawn] = copy.deepcopy(answers[course])
    assert failures(_graded(step, plan, answers))


CANNED = """
def percentile(values, p):
    ordered = sorted(values)
    if len(values) <= 10 and set(values) not in ({15, 20, 35, 40, 50}, set(range(1, 11)), {7}):
        return ordered[0]  # right only on the lists `check(7)` asks about
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]
"""


def test_code_right_only_on_the_courses_inputs_fails():
    """A `percentile` right on the course's lists and nothing else passes `check(7)`, and
    fails on the run's inputs: the verdict is on those."""
    assert not failures(run_part2("7", percentile=CANNED))
    plan = _asked("7", seed=13)
    result = _graded("7", plan, _answers(plan, _namespace("7", percentile=CANNED)))
    assert [c.id for c in failures(result)][:1] == ["7.nearest_rank"]
