"""The quiz's item analysis, as Moodle's quiz statistics report defines it.

For S attempts (here: learners whose quiz was graded) and each question i, with x the marks on
question i and X the marks on the *rest of the quiz* (the attempt's quiz total minus x):

    facility index            F = 100 · mean(x) / max mark
    standard deviation       SD = 100 · sd(x) / max mark               (sample sd, S - 1)
    discrimination index      D = 100 · cov(x, X) / √(var(x) · var(X))  (S - 1 throughout)
    discriminative efficiency E = 100 · cov(x, X) / cov_max(x, X)

where cov_max pairs the sorted x with the sorted X (the largest covariance those marks could
have). Each is None where Moodle shows nothing: fewer than two attempts, or no spread to
correlate. These are question/classes/statistics/questions/calculator.php's formulas; the
guidance in the README (35-64 % "about right", D of 30 or more "adequate") is Moodle's too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ItemStats:
    attempts: int
    facility: float | None  # %
    sd: float | None  # % of the question's max mark
    discrimination: float | None  # %, -100..100
    efficiency: float | None  # %


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _covariance(a: Sequence[float], b: Sequence[float]) -> float:
    mean_a, mean_b = _mean(a), _mean(b)
    return sum((x - mean_a) * (y - mean_b) for x, y in zip(a, b, strict=True)) / (len(a) - 1)


def item_stats(marks: Sequence[Sequence[float]], max_marks: Sequence[float]) -> list[ItemStats]:
    """Moodle's statistics for every question: `marks[s][i]` is attempt s's mark on question
    i (0 for a question left unanswered), `max_marks[i]` the question's maximum."""
    count = len(marks)
    totals = [sum(row) for row in marks]
    stats = []
    for i, max_mark in enumerate(max_marks):
        x = [row[i] for row in marks]
        rest = [total - mark for total, mark in zip(totals, x, strict=True)]
        if count == 0 or max_mark <= 0:
            stats.append(ItemStats(count, None, None, None, None))
            continue
        facility = 100 * _mean(x) / max_mark
        if count < 2:
            stats.append(ItemStats(count, facility, None, None, None))
            continue
        var_x, var_rest = _covariance(x, x), _covariance(rest, rest)
        cov = _covariance(x, rest)
        cov_max = _covariance(sorted(x), sorted(rest))
        stats.append(ItemStats(
            count, facility, 100 * math.sqrt(var_x) / max_mark,
            100 * cov / math.sqrt(var_x * var_rest) if var_x * var_rest > 0 else None,
            100 * cov / cov_max if cov_max > 0 else None))
    return stats


# Moodle's reading of the two figures instructors look at first (MoodleDocs, "Quiz statistics
# report"): (lowest value, words), highest band first.
FACILITY_BANDS = ((95, "extremely easy"), (90, "very easy"), (81, "easy"), (66, "fairly easy"),
                  (35, "about right"), (20, "moderately difficult"), (11, "difficult"),
                  (6, "very difficult"), (-math.inf, "extremely difficult, or something wrong"))
DISCRIMINATION_BANDS = ((50, "very good"), (30, "adequate"), (20, "weak"), (0, "very weak"),
                        (-math.inf, "negative: probably invalid"))


def reading(value: float | None, bands: tuple[tuple[float, str], ...]) -> str:
    """Moodle's words for a figure ("" when there is none)."""
    if value is None:
        return ""
    return next(words for lowest, words in bands if value >= lowest)
