"""What each way costs per *used* prediction, from the learner's own measured throughputs and a
stated price per machine-hour, priced with the learner's `cost_per_used`.

Only notebook 06's demonstrations use this; grading never runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DAY_SECONDS = 24 * 3600


def _seconds(value: float) -> str:
    if value >= 3600:
        return f"{value / 3600:.0f} h"
    if value >= 60:
        return f"{value / 60:.1f} min"
    return f"{value:.2f} s"


def _dollars(value: float) -> str:
    return f"${value:.2g}" if value < 0.01 else f"${value:,.2f}"


def cost_table(cost_per_used: Callable[[float, float, float, float], float], scored: int,
               used: int, batch_per_second: float, server_per_second: float,
               price_per_hour: float) -> Any:
    """The table of the three ways (and the hybrid), then what it says, in words computed
    from it."""
    from IPython.display import display

    from .figures import Table

    ways = [
        ("nightly batch: score everyone", scored, batch_per_second),
        ("on demand, paying only for busy seconds", used, server_per_second),
        ("on demand, a server ready all day", server_per_second * DAY_SECONDS,
         server_per_second),
    ]
    rows, per_used = [], {}
    for name, made, rate in ways:
        machine = made / rate
        each = cost_per_used(made, rate, used, price_per_hour)
        per_used[name] = each
        shown = f"{made:,.0f}" if made == scored or made == used else f"up to {made:,.0f}"
        rows.append((name, shown, _seconds(machine),
                     _dollars(machine / 3600 * price_per_hour), _dollars(each)))
    batch, ready = per_used["nightly batch: score everyone"], \
        per_used["on demand, a server ready all day"]
    rows.append(("hybrid: the nightly batch and a server all day", "both",
                 _seconds(scored / batch_per_second + DAY_SECONDS),
                 _dollars((scored / batch_per_second + DAY_SECONDS) / 3600 * price_per_hour),
                 _dollars(batch + ready)))
    display(Table(("way", "predictions a day", "machine time a day", "cost a day",
                   "cost per used prediction"), rows))
    print(f"{used:,} of the {scored:,} nightly predictions are used ({used / scored:.0%}). "
          f"Even so, per used prediction the batch costs {_dollars(batch)}: its machine runs "
          f"{_seconds(scored / batch_per_second)} a night. A server ready all day costs "
          f"{ready / batch:,.0f}× {'more' if ready >= batch else 'less'} per used "
          "prediction: it is paid for while it waits; paying only for busy seconds is what "
          "serverless platforms sell, with a cold start on the first request. The price buys "
          "what batch can't give: answers for "
          "inputs that only exist when the request comes (new customers, today's features) "
          "and no stale answers. (Your batch job ran the plain model and the endpoint a "
          "model with 3 ms per call; with a real model both rates fall, but the nightly "
          "machine still runs minutes and the ready server still runs all day.)")
