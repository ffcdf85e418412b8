"""Training-serving skew, shown: how many customers the endpoint's serving path would answer
differently from tonight's table, on the same features, with one example.

Only notebook 06's demonstrations use this; grading never runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def skew_words(skew_share: Callable[..., float], customers: list[tuple[int, float]],
               serving_feature: Callable[[int], Any], predict: Callable[[Any], Any]) -> str:
    """The learner's own measure on every customer, and an example, in words."""
    share = skew_share(customers, serving_feature)
    count = round(share * len(customers))
    if count == 0:
        return (f"Skew: {share:.1%}. The endpoint and tonight's table give every one of the "
                f"{len(customers):,} customers the same answer on the same features.")
    example = next(((cid, f) for cid, f in customers
                    if predict(f) != predict(serving_feature(cid))), None)
    words = (f"Skew: {share:.1%}. {count:,} of {len(customers):,} customers would get a "
             "different answer from the endpoint than from tonight's table, on the same "
             "features.")
    if example is not None:
        cid, feature = example
        served = serving_feature(cid)
        words += (f" For example customer {cid}: stored feature {feature}, so the table says "
                  f"churn {predict(feature)}; the endpoint is served {served} and says "
                  f"{predict(served)}.")
    return words
