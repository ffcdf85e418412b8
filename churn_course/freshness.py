"""Replaying a day: the decisions a stored table gives vs live scoring, by refresh interval."""

from __future__ import annotations

from collections.abc import Callable


def replay_day(customers: list[tuple[int, float]], updates: list[tuple[float, int, float]],
               refresh_hours: float, predict: Callable[[float], bool]
               ) -> tuple[list[bool], list[bool]]:
    """(stored, live): per decision, the table's answer and the live model's.

    The table is scored from every customer's features at hour 0 and again every
    `refresh_hours`; each update is a customer asking for a decision with their new feature.
    Live scoring sees that feature; the table answers what it stored at its last refresh.
    """
    features = dict(customers)
    table = {cid: predict(f) for cid, f in features.items()}
    changed: set[int] = set()  # a refresh re-scores what changed since the last one: the same
    next_refresh = refresh_hours  # answers as re-scoring everyone, in a fraction of the time
    stored, live = [], []
    for hour, customer_id, feature in updates:
        while hour >= next_refresh:
            table.update({cid: predict(features[cid]) for cid in changed})
            changed.clear()
            next_refresh += refresh_hours
        features[customer_id] = feature
        changed.add(customer_id)
        stored.append(table[customer_id])
        live.append(predict(feature))
    return stored, live


def staleness_by_interval(customers: list[tuple[int, float]],
                          updates: list[tuple[float, int, float]],
                          intervals: list[float], predict: Callable[[float], bool],
                          share_wrong: Callable[[list[bool], list[bool]], float]
                          ) -> dict[float, float]:
    """{refresh interval in hours: share of decisions the table got wrong}, using the
    learner's own `share_wrong`."""
    return {hours: share_wrong(*replay_day(customers, updates, hours, predict))
            for hours in intervals}
