"""A small class with known mistakes, graded once per test session for the class report's tests
(tests/grading/test_class_report.py, and the page in Chromium in tests/browser)."""

from __future__ import annotations

from pathlib import Path

from tests.grading.helpers import QUIZ_KEY, RIGHT, WRONG, hand_in


def quiz(**answers: str) -> list[str]:
    return ["\n".join(f'answer("{q}", "{letter}")' for q, letter in answers.items())]


LIST_OF_LISTS = ["customers = [[101, 0.2], [102, 0.8], [103, 0.5], [104, 0.9]]"]
# learner -> what they handed in (a step missing here was not handed in)
CLASS: dict[str, dict[str, list[str]]] = {
    "ana": {**RIGHT},                                   # everything right: 21 / 21
    "ben": {"1": WRONG["1"], "2": WRONG["2"], "3": RIGHT["3"], "4": RIGHT["4"],
            "quiz": quiz(q1="C", q2="B")},                # quiz 1 / 10
    "cy": {"1": RIGHT["1"], "2": ["threshold = 0.7"], "3": RIGHT["3"],
           "quiz": quiz(**{**QUIZ_KEY, "q3": "A"})},     # no step 4; quiz 9 / 10
    "dee": {"1": RIGHT["1"], "2": ["threshold = 0.9"]},  # steps 1-2 only
    "eve": {"1": WRONG["1"], "2": WRONG["2"], "3": WRONG["3"], "4": WRONG["4"],
            "quiz": quiz(q1="B", q2="B", q3="A")},        # quiz 0 / 10
    "fay": {"1": LIST_OF_LISTS, "2": RIGHT["2"], "3": []},  # step 3 handed in untouched
}


def make(root: Path) -> Path:
    for learner, notebooks in CLASS.items():
        hand_in(root, learner, notebooks)
    return root
