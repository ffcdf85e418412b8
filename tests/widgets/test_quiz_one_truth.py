"""One quiz truth: a re-run or restarted quiz shows the answers already given, and the widget,
`answer()` and `check("quiz")` show one and the same score."""

from __future__ import annotations

import pytest
from widget_text import visible_text

from churn_course import quiz_record
from churn_course.quiz import answer, load_bank, quiz
from grader import check

BANK = load_bank()


def pick(q, number: int, letter: str):
    view = q.view(number)
    view.options.value = letter
    view.check_button.click()
    return view


def _restart_kernel() -> None:
    """What a kernel restart forgets: everything in memory; the answers file stays."""
    quiz_record._SESSION.clear()
    quiz_record._SESSION_TRIES.clear()


@pytest.mark.parametrize("restart", [False, True], ids=["re-run", "kernel restart"])
def test_a_rebuilt_quiz_shows_every_question_as_it_was_left(restart: bool) -> None:
    first = quiz()
    pick(first, 1, "C")  # right
    pick(first, 2, "B")  # wrong once: a second try is waiting
    pick(first, 3, "A")
    pick(first, 3, "C")  # wrong twice: the worked solution
    if restart:
        _restart_kernel()
    again = quiz()
    assert [again.view(n).options.value for n in (1, 2, 3, 4)] == ["C", "B", "C", None]
    assert visible_text(again.view(1).feedback.value).startswith("✓ Right! C.")
    assert visible_text(again.view(2).feedback.value).startswith("✗ Not yet. You picked B.")
    assert again.view(2).solution_button.layout.display == ""
    third = visible_text(again.view(3).feedback.value)
    assert third.startswith("✗ Not quite. You picked C.") and "Worked solution" in third
    assert again.view(4).feedback.value == ""
    assert again.score.value == first.score.value == "Score: 1 / 10 answered right"
    pick(again, 2, "A")  # the second try, in the rebuilt widget, counts
    assert again.score.value == "Score: 2 / 10 answered right"


def test_one_score_in_the_widget_in_answer_and_in_check(capsys: pytest.CaptureFixture) -> None:
    q = quiz()
    pick(q, 1, "C")
    pick(q, 2, "A")
    pick(q, 4, "B")
    answer(5, "D")  # typed in code while the widget is on screen
    printed = capsys.readouterr().out.splitlines()
    assert "Score: 3 / 10 answered right" in printed
    assert q.score.value == "Score: 3 / 10 answered right"  # the widget heard it
    assert q.view(5).options.value == "D"
    report = check("quiz", namespace={})
    assert report.points == 3
    assert "quiz 3 / 10" in report.progress_line
    _restart_kernel()
    assert quiz().score.value == "Score: 3 / 10 answered right"
    assert check("quiz", namespace={}).points == 3


def test_the_score_leads_the_quiz_and_sits_beside_every_question() -> None:
    q = quiz()
    children = [c for c in q.widget.children if "quiz-style" not in c._dom_classes]
    assert children[0] is q.score
    pick(q, 4, "A")
    assert {view.score.value for view in q.views} == {q.score.value} == {
        "Score: 1 / 10 answered right"}
