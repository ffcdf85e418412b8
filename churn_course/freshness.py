"""Replaying a day: the decisions a stored table gives vs live scoring, by refresh interval.

Each update is a customer acting (their feature moves) and then asking for a decision. The
online feature table is updated as the events arrive, so live scoring sees the new feature; the
table answers what it stored at its last refresh. Only notebook 06's demonstrations use this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Day:
    """What one replayed day with one refresh interval gave."""

    hours: float
    decisions: int  # decisions asked for during the day
    differ: int  # of them, where the stored answer differed from live scoring
    customers: int  # customers who acted (and asked)
    stale_at_end: int  # customers (of all) whose stored answer is wrong by the day's end

    @property
    def share(self) -> float:
        return self.differ / self.decisions if self.decisions else 0.0


def replay_day(customers: list[tuple[int, float]], updates: list[tuple[float, int, float]],
               refresh_hours: float, predict: Callable[[float], bool],
               online: dict[int, float] | None = None) -> Day:
    """Replay `updates` ((hour, customer_id, new feature), in time order) against a table
    scored at hour 0 and refreshed every `refresh_hours`; `online` (default: a fresh copy) is
    the online feature table the events update."""
    online = dict(customers) if online is None else online
    online.update(customers)
    table = {cid: predict(f) for cid, f in customers}
    changed: set[int] = set()  # a refresh re-scores what changed since the last one: the same
    next_refresh = refresh_hours  # answers as re-scoring everyone, in a fraction of the time
    differ = 0
    for hour, customer_id, feature in updates:
        while hour >= next_refresh:
            table.update({cid: predict(online[cid]) for cid in changed})
            changed.clear()
            next_refresh += refresh_hours
        online[customer_id] = feature
        changed.add(customer_id)
        differ += table[customer_id] != predict(feature)
    stale = sum(table[cid] != predict(online[cid]) for cid in changed)
    return Day(refresh_hours, len(updates), differ, len({u[1] for u in updates}), stale)


def staleness_by_interval(customers: list[tuple[int, float]],
                          updates: list[tuple[float, int, float]],
                          intervals: list[float], predict: Callable[[float], bool],
                          online: dict[int, float] | None = None) -> dict[float, Day]:
    """{refresh interval in hours: the replayed day}. The last replay leaves `online` as the
    day ends (every customer's feature as of the last event)."""
    days = {hours: replay_day(customers, updates, hours, predict) for hours in intervals[:-1]}
    days[intervals[-1]] = replay_day(customers, updates, intervals[-1], predict, online)
    return days


def staleness_words(days: dict[float, Day], total: int) -> str:
    """What the replay measured, from its own figures."""
    nightly, hours = days[max(days)], sorted(days)
    freshest = days[hours[0]]
    return (f"A table scored once a night disagrees with live scoring on {nightly.share:.1%} of "
            f"today's {nightly.decisions:,} decisions; refreshed every {hours[0]:g} h, on "
            f"{freshest.share:.1%}. What this measures: the {nightly.customers:,} customers who "
            f"acted today asked {nightly.decisions:,} times, each time right after their "
            f"feature changed, the hardest case for a stored answer. The other "
            f"{total - nightly.customers:,} customers didn't change, and the table answers "
            f"them exactly as live scoring would. By tonight {nightly.stale_at_end:,} stored "
            f"answers ({nightly.stale_at_end / total:.1%} of all customers) are out of date.")
