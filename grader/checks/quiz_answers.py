"""The practice quiz: one check per question of the bank, a point for each right answer.

The answer key stays here, on the trusted side; the learner's snapshot only carries letters.
Messages don't give the right letter away: the quiz widget shows the worked solution. Each
finding's kind is the letter picked (`NO_ANSWER` when none), which is what the class report's
item analysis counts.
"""

from __future__ import annotations

from churn_course.quiz_bank import Question, load_bank

from ..snapshot import Snapshot
from . import Finding, check, fail, not_started, ok

NO_ANSWER = "no answer"


def _judge(question: Question):  # noqa: ANN202 - a check function, typed by `check`
    def judge(snap: Snapshot) -> Finding:
        given = snap.quiz_answers.get(question.id)
        if given is None:
            return not_started(f"Question {question.number} is not answered yet.",
                               kind=NO_ANSWER)
        if given == question.answer:
            return ok(f"Question {question.number}: {given} is right.", kind=given)
        if question.id in snap.quiz_seen:
            return fail(f"Question {question.number}: {given} is not right. You have seen the "
                        "worked solution in the quiz: pick the option it arrives at to score "
                        "this question.", question.hint, kind=given)
        return fail(f"Question {question.number}: {given} is not right yet. Pick again in the "
                    "quiz: a word on your option and a second try come before the worked "
                    "solution.", question.hint, kind=given)

    return judge


for _question in load_bank():
    check("quiz", _question.id, f"Question {_question.number} ({_question.difficulty})")(
        _judge(_question))
