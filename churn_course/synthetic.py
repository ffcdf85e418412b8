"""Part 2's data: 100,000 synthetic customers and a day of feature updates, both seeded, so
every learner (and every test) sees the same ones."""

from __future__ import annotations

from grader.spec import PART2_CUSTOMERS, PART2_SEED

FIRST_ID = 200_001


def synthetic_customers(count: int = PART2_CUSTOMERS, seed: int = PART2_SEED
                        ) -> list[tuple[int, float]]:
    """[(customer_id, feature), ...]: IDs from 200001 up, features in [0, 1), three decimals."""
    import numpy as np

    rng = np.random.default_rng(seed)
    features = np.round(rng.beta(2.0, 2.5, size=count), 3)
    return [(FIRST_ID + i, float(f)) for i, f in enumerate(features)]


def feature_updates(customers: list[tuple[int, float]], events: int = 50_000,
                    active: int = 5_000, seed: int = PART2_SEED + 1
                    ) -> list[tuple[float, int, float]]:
    """A day of customers acting: [(hour, customer_id, new feature), ...], in time order.

    `active` customers (chosen at random) act about ten times each; every event moves that
    customer's feature a little, and the customer then asks for a decision with the new
    feature, which live scoring sees and a table scored earlier does not.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(customers), size=active, replace=False)
    hours = np.sort(rng.uniform(0.0, 24.0, size=events))
    who = chosen[rng.integers(0, active, size=events)]
    steps = rng.normal(0.0, 0.05, size=events)
    current = {int(i): customers[int(i)][1] for i in chosen}
    updates = []
    for hour, index, step in zip(hours.tolist(), who.tolist(), steps.tolist(), strict=True):
        current[index] = min(1.0, max(0.0, current[index] + step))
        updates.append((hour, customers[index][0], round(current[index], 3)))
    return updates
