"""The harness that asks: inputs drawn afresh per run, each answer read against its question,
sources from the notebook's bytes, and every reply that breaks the protocol the learner's
`error` (issue 15). These run the answers in this process, as a worker would, so each case is
quick; `test_forgeries.py` sends real forgeries through real workers."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import random

import pytest

from grader.batch.harness import ask, judge
from grader.batch.notebook import Plan, plan_notebook
from grader.batch.protocol import CellRun, Reply
from grader.inline import judge as judge_inline
from grader.probe import answer_all, error_text
from grader.questions import Describe, GatherFacts, course_questions, fresh_calls
from grader.sources import Run
from grader.spec import PREDICT_CALLS, PredictCall, step_for

from .forgeries import COURSE_ONLY_PREDICT
from .helpers import RIGHT, WRONG, mutations, notebook_bytes


def _run(plan: Plan) -> tuple[dict, list[CellRun]]:
    """The plan's cells run here, as plain Python, the way a worker runs them: how each ended,
    and what the cells the checks read printed."""
    namespace: dict = {}
    runs = []
    told = {(c.id, c.source) for c in plan.sources}
    for cell in plan.cells:
        printed, error = io.StringIO(), ""
        try:
            with contextlib.redirect_stdout(printed):
                exec(compile(cell.source, "<cell>", "exec"), namespace)
        except Exception as err:
            error = error_text(err)
        runs.append(CellRun(error, printed.getvalue() if (cell.id, cell.source) in told
                            else None))
    return namespace, runs


def _honest_reply(plan: Plan) -> dict:
    namespace, runs = _run(plan)
    return Reply(tuple(runs), tuple(answer_all(plan.questions, namespace))).to_data()


def _planned(step: str, answers: list[str], seed: int = 0) -> Plan:
    return ask(plan_notebook(notebook_bytes(step, answers), step), random.Random(seed))


def _messages(result) -> list[tuple[str, bool, str, str]]:
    return [(c.id, c.passed, c.message, c.hint) for c in result.checks]


# Honest work, right and wrong: the graded verdict (drawn inputs) is the inline one, word for word.
HONEST = [
    ("1", RIGHT["1"]), ("1", WRONG["1"]), ("2", RIGHT["2"]), ("2", WRONG["2"]),
    ("3", RIGHT["3"]), ("3", WRONG["3"]),
    ("3", ["def predict(feature):\n    return feature >= threshold", RIGHT["3"][1]]),
    ("3", ["def predict(feature):\n    return feature > 0.6", RIGHT["3"][1]]),
    ("3", ["def predict(feature):\n    return feature < threshold", RIGHT["3"][1]]),
    ("3", ["def predict(feature):\n    return round(feature, 2) > threshold", RIGHT["3"][1]]),
    ("3", ["def predict(feature):\n    return feature > threshold + 0.001", RIGHT["3"][1]]),
    ("3", ["def predict(feature):\n    return 'yes' if feature > threshold else 'no'",
           RIGHT["3"][1]]),
    ("3", ["def predict(feature):\n    print(feature > threshold)", RIGHT["3"][1]]),
    ("3", ["def predict(customer):\n    return customer[1] > threshold",
           "batch_results = [predict(c) for c in customers]"]),
    ("3", ["def predict(feature):\n    return int(feature > threshold)", RIGHT["3"][1]]),
    ("3", ["predict = lambda feature: feature > threshold", RIGHT["3"][1]]),
    ("3", ["import functools\ndef rule(feature, limit):\n    return feature > limit\n"
           "predict = functools.partial(rule, limit=0.6)", RIGHT["3"][1]]),
    ("4", RIGHT["4"]), ("4", WRONG["4"]),
]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("step, answers", HONEST)
def test_graded_verdicts_are_the_inline_ones_word_for_word(step, answers, seed):
    plan = _planned(step, answers, seed)
    namespace, runs = _run(plan)
    heard = {(c.id, c.source): r for c, r in zip(plan.cells, runs, strict=True)}
    inline = judge_inline(step, dict(namespace), [  # as the kernel's recorder heard them
        Run(c.source, c.id, heard[(c.id, c.source)].error, heard[(c.id, c.source)].printed)
        for c in plan.sources])
    reply = Reply(tuple(runs), tuple(answer_all(plan.questions, namespace))).to_data()
    graded = judge(step_for(step), plan, json.loads(json.dumps(reply)), 0.0)
    assert graded.status == "ok"
    assert _messages(graded.result) == _messages(inline)


def test_each_run_draws_its_own_inputs_after_the_courses_own():
    plan = plan_notebook(notebook_bytes("3", RIGHT["3"]), "3")
    first, second = (ask(plan).questions for _ in range(2))  # the system's randomness
    calls = [q for q in first if isinstance(q, PredictCall)]
    assert tuple(calls[:len(PREDICT_CALLS)]) == PREDICT_CALLS  # `check(3)` asks these
    assert len(calls) > len(PREDICT_CALLS) and first != second  # ... and no run asks as another
    assert {c.purpose for c in calls[len(PREDICT_CALLS):]} == {"rule", "swapped"}


@pytest.mark.parametrize("step", ["5", "6", "7", "8"])
def test_each_run_asks_part_2_on_the_courses_inputs_then_on_its_own(step):
    plan = Plan(step, (), ())
    first, second = ([q for q in ask(plan).questions if isinstance(q, GatherFacts)]
                     for _ in range(2))
    assert [q.inputs for q in first[:1]] == [q.inputs for q in second[:1]] == [None]
    assert len(first) == len(second) == 2 and first[1].inputs != second[1].inputs


@pytest.mark.parametrize("seed", range(200))
def test_drawn_inputs_stay_where_the_courses_own_inputs_judge_alike(seed):
    """Within the range the course's own inputs span, never within 0.03 of the threshold in
    force, and a swapped threshold always on the other side of 0.6 from its answer: a
    `predict` with 0.6 typed in answers some of them wrongly."""
    drawn = fresh_calls(random.Random(seed))
    assert all(abs(c.argument - (c.threshold or 0.6)) >= 0.03 for c in drawn)
    assert all(0.15 <= c.argument <= 0.9 for c in drawn)
    swapped = [c for c in drawn if c.threshold is not None]
    assert any((c.argument > c.threshold) != (c.argument > 0.6) for c in swapped)
    assert {c.argument > (c.threshold or 0.6) for c in drawn} == {True, False}


def test_answers_computed_by_right_code_pass_whoever_sends_them():
    """What a forger must do to pass: compute what right code computes on this run's inputs."""
    plan = _planned("3", RIGHT["3"], seed=7)
    assert judge(step_for("3"), plan, _honest_reply(plan), 0.0).result.passed


@pytest.mark.parametrize("seed", range(5))
def test_code_right_only_on_the_courses_inputs_passes_check_and_fails_the_grade(seed):
    """Code that detects the course's inputs (a table of `check(3)`'s answers): `check(3)`
    passes it; a grade asks on inputs drawn for the run, and says where it is wrong."""
    plan = _planned("3", [COURSE_ONLY_PREDICT, RIGHT["3"][1]], seed)
    namespace, runs = _run(plan)
    inline = judge_inline("3", dict(namespace), [Run(c.source, c.id) for c in plan.sources])
    assert inline.passed, _messages(inline)
    reply = Reply(tuple(runs), tuple(answer_all(plan.questions, namespace))).to_data()
    graded = judge(step_for("3"), plan, reply, 0.0)
    failed = [c for c in graded.result.checks if not c.passed]
    assert graded.status == "ok" and [c.id for c in failed][:1] == ["3.predict_rule"]
    assert "predict(0." in failed[0].message  # named on a drawn input, as check(3) would


def test_answers_copied_from_another_run_are_refused():
    earlier = _planned("3", RIGHT["3"], seed=1)
    now = _planned("3", ["def predict(feature):\n    return feature >= 0.6", RIGHT["3"][1]],
                   seed=2)
    grade = judge(step_for("3"), now, _honest_reply(earlier), 0.0)
    assert grade.status == "ok" and not grade.result.passed  # other inputs: other answers
    namespace, runs = _run(plan_notebook(notebook_bytes("3", RIGHT["3"]), "3"))
    copied = Reply(tuple(runs), tuple(answer_all(course_questions("3"), namespace)))
    grade = judge(step_for("3"), now, copied.to_data(), 0.0)  # what `check(3)` heard
    assert grade.status == "error" and "one answer for each of" in grade.message


def _broken(mutate) -> str:
    plan = _planned("3", RIGHT["3"], seed=3)
    reply = _honest_reply(plan)
    mutate(reply)
    grade = judge(step_for("3"), plan, reply, 0.0)
    assert grade.status == "error" and grade.points == 0 and not grade.result.passed
    assert len(grade.message) < 400
    return grade.message


def _nested(depth: int) -> dict:
    value: dict = {"t": "none"}
    for _ in range(depth):
        value = {"t": "list", "items": [value], "n": 1}
    return value


def _swap_first_two(reply: dict) -> None:
    reply["answers"][0], reply["answers"][1] = reply["answers"][1], reply["answers"][0]


def _call_answers(reply: dict) -> list[dict]:
    return [a for a in reply["answers"] if a["kind"] == "call"]


@pytest.mark.parametrize("mutate, said", [
    (lambda r: r.clear(), "does not tell how each"),
    (lambda r: r["cells"].pop(), "does not tell how each"),
    (lambda r: r["cells"].__setitem__(0, "fine"), "a cell's run is not a record"),
    (lambda r: r["cells"].__setitem__(0, {"error": "x" * 301}), "error is not a string"),
    (lambda r: r["cells"][-1].update(printed=None), "does not tell what a cell"),
    (lambda r: r["cells"][-1].update(printed="x" * 20_001), "what a cell printed"),
    (lambda r: r["answers"].pop(), "one answer for each"),
    (lambda r: r["answers"].append(r["answers"][0]), "one answer for each"),
    (_swap_first_two, "a description of another name"),
    (lambda r: r["answers"][0].update(kind="call"), "does not answer its question"),
    (lambda r: r["answers"][0].update(value=None), "contradicts itself"),
    (lambda r: r["answers"][0].update(value={"t": "str", "v": "x" * 1_000_000}), "string"),
    (lambda r: r["answers"][0].update(value=_nested(500)), "malformed value"),
    (lambda r: r["answers"][0].update(value={"t": "list", "n": 9, "items": [
        {"t": "list", "n": 50, "items": [{"t": "int", "v": "1"}] * 50}] * 50}), "too many"),
    (lambda r: _call_answers(r)[0].update(outcome="raised"), "value does not match"),
    (lambda r: _call_answers(r)[-1].update(outcome="skipped", value=None), "skipped"),
    (lambda r: _call_answers(r)[0].update(outcome="absent", value=None), "some calls"),
    (lambda r: _call_answers(r)[0].update(printed="x" * 20_001), "printed"),
    (lambda r: r.update(output=["not", "text"]), "printed output"),
    (lambda r: r.update(dropped=-1), "printed output"),
    (lambda r: r.update(tampered=[{"x": 1}]), "tampered"),
    (lambda r: r.update(problem="x" * 301), "problem"),
])
def test_a_reply_that_breaks_the_protocol_is_the_learners_error(mutate, said):
    assert said in _broken(mutate)


def test_claiming_every_call_was_skipped_needs_a_predict_that_is_not_a_function():
    """The probe skips a call with `threshold` swapped only for a `predict` it can't swap it
    in: a reply saying so of a plain function is refused, so `threshold` is always tried."""
    plan = _planned("3", RIGHT["3"], seed=4)
    swapped = [i for i, q in enumerate(plan.questions)
               if isinstance(q, PredictCall) and q.threshold is not None]
    reply = _honest_reply(plan)
    for index in swapped:
        reply["answers"][index].update(outcome="skipped", value=None)
    assert judge(step_for("3"), plan, reply, 0.0).status == "error"
    described = next(i for i, q in enumerate(plan.questions) if q == Describe("predict"))
    reply["answers"][described]["value"]["type"] = "partial"
    assert judge(step_for("3"), plan, reply, 0.0).result.passed


def test_sources_come_from_the_notebook_not_the_reply():
    plan = _planned("3", ["def predict(feature):\n    return feature > threshold",
                          "batch_results = []\nfor c in customers:\n"
                          "    batch_results.append(predict(c[1]))"])
    reply = _honest_reply(plan)
    reply["sources"] = [RIGHT["3"][1]]  # a reply has no say in what the code looks like
    grade = judge(step_for("3"), plan, reply, 0.0)
    comprehension = next(c for c in grade.result.checks if c.id == "3.batch_comprehension")
    assert not comprehension.passed and "for-loop and `append`" in comprehension.message


def test_cell_errors_and_notes_are_the_harnesss_own_words():
    plan = _planned("2", ["threshold = 0.6\nraise ValueError('mine')"])
    reply = _honest_reply(plan)
    reply.update(tampered=["grader.probe"], dropped=12, output="x" * 200_000)
    grade = judge(step_for("2"), plan, copy.deepcopy(reply), 0.0)
    assert grade.cell_errors == [{"cell": plan.cells[-1].id, "error": "ValueError: mine"}]
    assert len(grade.output) == 100_000
    assert any("100012 characters of printed output were dropped" in n for n in grade.notes)
    assert any("changed grader.probe" in n for n in grade.notes)


@pytest.mark.parametrize("step, answers", [("3", RIGHT["3"]), ("2", RIGHT["2"]),
                                           ("4", RIGHT["4"]), ("1", WRONG["1"])])
def test_no_reply_makes_the_harness_fail_only_the_learner(step, answers):
    """Hundreds of replies (for step 3), each an honest one with one part replaced: every one
    is judged (`ok` or `error`), none stops the grader."""
    plan = _planned(step, answers, seed=5)
    honest = _honest_reply(plan)
    statuses = []
    for reply in mutations(json.loads(json.dumps(honest)), random.Random(0)):
        grade = judge(step_for(step), plan, reply, 0.0)
        statuses.append(grade.status)
        assert grade.status == "ok" or (grade.points == 0 and grade.message)
    assert set(statuses) == {"ok", "error"} and len(statuses) > 30

