"""The quiz's side of the probe: which answer the learner gave to each question.

Runs beside learner code like `probe.take_snapshot`, and likewise returns plain JSON-able data.
Answers given in this kernel (widget clicks, `answer(1, "C")` calls) count over those read from
the answers file beside the notebook, so the latest answer is the one judged; which worked
solutions the learner has seen comes along, so a check never promises a try before it.
"""

from __future__ import annotations

from typing import Any

from .probe import SNAPSHOT_VERSION


def quiz_snapshot(namespace: dict | None = None) -> dict[str, Any]:
    from churn_course.quiz_record import current_answers, solutions_seen

    answers = current_answers()  # the one score the widget and answer() show too
    return {"version": SNAPSHOT_VERSION, "step": "quiz", "names": {}, "sources": [],
            "calls": [], "printing": None, "quiz_answers": answers,
            "quiz_seen": sorted(solutions_seen())}
