"""Moodle's item analysis, checked against figures worked out by hand, and the words that name
a kind of mistake."""

from __future__ import annotations

import pytest

from grader.batch.class_figures import common_words
from grader.batch.item_analysis import (
    DISCRIMINATION_BANDS,
    FACILITY_BANDS,
    ItemStats,
    item_stats,
    reading,
)

# Five attempts at a three-question quiz, one mark per question.
MARKS = [[1, 1, 1],   # total 3
         [1, 1, 0],   # 2
         [1, 0, 0],   # 1
         [0, 1, 0],   # 1
         [0, 0, 0]]   # 0


def test_question_1_by_hand() -> None:
    """x = (1, 1, 1, 0, 0), rest of the quiz X = (2, 1, 0, 1, 0). Means .6 and .8.
    Deviations dx = (.4, .4, .4, -.6, -.6), dX = (1.2, .2, -.8, .2, -.8).
    Σ dx·dX = .48 + .08 - .32 - .12 + .48 = .6, so cov = .6/4 = .15;
    var x = 1.2/4 = .3; var X = 2.8/4 = .7.
    Facility 60 %; SD √.3 = 54.77 %; discrimination 100 · .15 / √(.3 · .7) = 32.73 %.
    Sorted: x (0, 0, 1, 1, 1) against X (0, 0, 1, 1, 2): Σ = .48 + .48 + .08 + .08 + .48 = 1.6,
    cov_max = .4, efficiency 100 · .15 / .4 = 37.5 %."""
    first = item_stats(MARKS, [1, 1, 1])[0]
    assert first.attempts == 5
    assert first.facility == pytest.approx(60.0)
    assert first.sd == pytest.approx(54.772, abs=1e-3)
    assert first.discrimination == pytest.approx(32.733, abs=1e-3)
    assert first.efficiency == pytest.approx(37.5)


def test_question_3_by_hand() -> None:
    """x = (1, 0, 0, 0, 0), X = (2, 2, 1, 1, 0). Means .2 and 1.2.
    dx = (.8, -.2, -.2, -.2, -.2), dX = (.8, .8, -.2, -.2, -1.2): Σ = .64 - .16 + .04 + .04
    + .24 = .8, cov .2; var x = .8/4 = .2; var X = 2.8/4 = .7.
    Facility 20 %; discrimination 100 · .2 / √.14 = 53.45 %; sorted x (0, 0, 0, 0, 1) against
    X (0, 1, 1, 2, 2): Σ = .24 + .04 + .04 - .16 + .64 = .8: efficiency 100 %."""
    third = item_stats(MARKS, [1, 1, 1])[2]
    assert third.facility == pytest.approx(20.0)
    assert third.discrimination == pytest.approx(53.452, abs=1e-3)
    assert third.efficiency == pytest.approx(100.0)


def test_a_question_that_favours_the_weaker_learners_is_negative() -> None:
    marks = [[0, 1, 1], [0, 1, 1], [1, 0, 0], [1, 0, 0]]
    assert item_stats(marks, [1, 1, 1])[0].discrimination == pytest.approx(-100.0)
    assert reading(-100.0, DISCRIMINATION_BANDS) == "negative: probably invalid"


def test_no_spread_or_too_few_attempts_gives_no_figure() -> None:
    everyone_right = [[1, 1], [1, 0], [1, 1]]
    stats = item_stats(everyone_right, [1, 1])[0]
    assert (stats.facility, stats.sd, stats.discrimination, stats.efficiency) == \
        (100.0, 0.0, None, None)
    assert item_stats([[1, 0]], [1, 1]) == [ItemStats(1, 100.0, None, None, None),
                                            ItemStats(1, 0.0, None, None, None)]
    assert item_stats([], [1]) == [ItemStats(0, None, None, None, None)]


def test_two_attempts_are_enough() -> None:
    """x = (1, 0), rest X = (2, 1): means .5 and 1.5; dx = (.5, -.5), dX = (.5, -.5); with
    S - 1 = 1: var x = .5, var X = .5, cov = .5. SD 100 · √.5 = 70.71 %; discrimination
    100 · .5 / √(.5 · .5) = 100 %; sorted pairs the same: efficiency 100 %."""
    stats = item_stats([[1, 1, 1], [0, 1, 0]], [1, 1, 1])[0]
    assert stats.attempts == 2 and stats.facility == pytest.approx(50.0)
    assert stats.sd == pytest.approx(70.711, abs=1e-3)
    assert stats.discrimination == pytest.approx(100.0)
    assert stats.efficiency == pytest.approx(100.0)


def test_marks_out_of_more_than_one() -> None:
    stats = item_stats([[2, 1], [0, 1], [1, 0]], [2, 1])[0]
    assert stats.facility == pytest.approx(50.0)  # mean 1 of 2
    assert stats.sd == pytest.approx(50.0)  # sd 1, of 2


@pytest.mark.parametrize("value, words", [(96, "extremely easy"), (70, "fairly easy"),
                                          (50, "about right"), (25, "moderately difficult"),
                                          (3, "extremely difficult, or something wrong"),
                                          (None, ""),
                                          # Moodle's bands include their lower end
                                          (35, "about right"), (34.9, "moderately difficult"),
                                          (95, "extremely easy"), (94.9, "very easy")])
def test_moodle_words_for_the_facility_index(value, words) -> None:
    assert reading(value, FACILITY_BANDS) == words


@pytest.mark.parametrize("value, words", [(50, "very good"), (49.9, "adequate"),
                                          (30, "adequate"), (29.9, "weak"), (20, "weak"),
                                          (0, "very weak"), (-0.1, "negative: probably invalid")])
def test_moodle_words_for_the_discrimination_index(value, words) -> None:
    assert reading(value, DISCRIMINATION_BANDS) == words


def test_a_kind_of_mistake_is_named_by_what_its_messages_share() -> None:
    assert common_words(["`threshold` is 0.7; the step asks for 0.6.",
                         "`threshold` is 0.9; the step asks for 0.6."]) == \
        "`threshold` is …; the step asks for 0.6."
    assert common_words(["Customer 3 is `[1]`; it should be a pair.",
                         "Customer 12 is `(1, 2, 3)`; it should be a pair."]) == \
        "Customer … is …; it should be a pair."
    assert common_words(["`customers` is not quite right: customer 101 is missing.",
                         "`customers` is not quite right: customer 102 has value `0.3`; "
                         "expected `0.8`."]) == "`customers` is not quite right: customer …."
    assert common_words(["The same words."] * 3) == "The same words."
    assert common_words(["Nothing alike", "at all here"]) == "Nothing alike"
