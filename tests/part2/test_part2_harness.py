"""Part 2 through the grading harness: its facts asked on the course's inputs and again on
inputs drawn for the run, each answer judged against the inputs asked (whatever it echoes),
and the verdict in the words of the learner's own `check(N)` (issue 15)."""

from __future__ import annotations

import copy
import json
import random

import pytest

from grader.batch.harness import judge
from grader.batch.notebook import Plan
from grader.batch.protocol import Reply
from grader.probe import answer_all
from grader.questions import GatherFacts, draw
from grader.spec import step_for
from tests.grading.helpers import mutations  # the same forger's replacements

from .solution import failures, namespace_for, run_part2
from .test_part2_grading import MISTAKEN, OTHERS, STEP_OF


def _asked(step: str, seed: int) -> Plan:
    return Plan(step, (), (), questions=draw(step, random.Random(seed)))


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
    graded = _graded(step, plan, _answers(plan, namespace_for(step, **replaced)))
    assert _words(graded) == _words(run_part2(step, **replaced))


@pytest.mark.parametrize("step", ["5", "6", "7", "8"])
def test_facts_copied_from_the_courses_inputs_fail_on_the_drawn_ones(step):
    """What `check(N)` heard, given again as the answer on this run's inputs (echoing the
    course's inputs, which the harness writes back over with those it asked)."""
    plan = _asked(step, seed=12)
    answers = _answers(plan, namespace_for(step))
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
    result = _graded("7", plan, _answers(plan, namespace_for("7", percentile=CANNED)))
    assert [c.id for c in failures(result)][:1] == ["7.nearest_rank"]


def _p99(measured: tuple) -> float:
    ordered = sorted(measured)
    return ordered[max(1, -(-99 * len(ordered) // 100)) - 1]


def _agreements(questions) -> list[bool]:
    live = dict(questions.live)
    return [bool(churn) == live.get(customer) for customer, _, churn in questions.stored]


@pytest.mark.parametrize("seed", range(30))
def test_drawn_inputs_keep_what_tells_the_mistakes_apart(seed):
    """Drawn measurements and fallback questions mean what the course's mean: each list keeps
    its order of values, each measurement which client counts are within the budget, each
    customer whether its stored answer agrees with its live one, and the unknown customer
    stays unknown."""
    from grader.part2.questions import DEFAULT
    from grader.part2.questions import draw as draw_part2

    drawn, base = draw_part2(seed), DEFAULT
    for (values, p), (old, old_p) in zip(drawn.measure.percentile_calls,
                                         base.measure.percentile_calls, strict=True):
        assert p == old_p and sorted(range(len(values)), key=values.__getitem__) == \
            sorted(range(len(old)), key=old.__getitem__) and len(set(values)) == len(set(old))
    for (levels, budget), (old, old_budget) in zip(drawn.measure.capacity_calls,
                                                   base.measure.capacity_calls, strict=True):
        assert [_p99(m) <= budget for _, m in levels] == \
            [_p99(m) <= old_budget for _, m in old]
        assert [c for c, _ in levels] != [c for c, _ in old]  # renamed
    assert _agreements(drawn.fallback) == _agreements(base.fallback)
    known = {c for c, *_ in drawn.fallback.stored} | {c for c, _ in drawn.fallback.live}
    assert [c in known for _, c in drawn.fallback.scenarios] == \
        [c in {c for c, *_ in base.fallback.stored} for _, c in base.fallback.scenarios]
    assert [call[3] for call in drawn.fallback.cost_calls] != \
        [call[3] for call in base.fallback.cost_calls]


@pytest.mark.parametrize("step", ["5", "6", "7", "8"])
def test_no_reply_makes_the_harness_fail_only_the_learner(step):
    """Hundreds of replies, each an honest one with one part of its facts (or of the reply)
    replaced by something a forger might send: every one is judged (`ok` or `error`), none
    stops the grader, and none earns more than the honest one."""
    plan = _asked(step, seed=14)
    honest = Reply((), tuple(_answers(plan, namespace_for(step)))).to_data()
    full = judge(step_for(step), plan, honest, 0.0).points
    statuses = []
    for reply in mutations(json.loads(json.dumps(honest)), random.Random(int(step))):
        grade = judge(step_for(step), plan, reply, 0.0)
        statuses.append(grade.status)
        assert grade.points <= full and (grade.status == "ok" or grade.message)
    assert set(statuses) == {"ok", "error"} and len(statuses) > 300
