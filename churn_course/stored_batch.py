"""The panel's batch job output: a real SQLite table beside the notebook.

"Run batch" writes every customer's prediction here, with the threshold it used and when it
ran, in one transaction that replaces the previous run. A real-time request in "stored" mode
reads it back: the answer as of that run, however the model has changed since. What changes
with how predictions are stored lives here, and nothing else does.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

DEFAULT_FILE = "step4_predictions.sqlite"
SCHEMA = ("CREATE TABLE IF NOT EXISTS predictions (customer_id PRIMARY KEY, feature REAL, "
          "churn INTEGER, threshold REAL, scored_at TEXT)")


@dataclass(frozen=True)
class StoredAnswer:
    customer_id: Any
    feature: float
    churn: bool
    threshold: float | None
    scored_at: str  # local time of the run, HH:MM:SS


class BatchStore:
    """One SQLite file; a fresh connection per operation, so nothing is left open."""

    def __init__(self, path: str | Path = DEFAULT_FILE) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=2.0)
        conn.execute(SCHEMA)
        return conn

    def write(self, rows: list[tuple[Any, float, bool]], threshold: float | None) -> str:
        """Replace the table with this run's rows, in one transaction; return its time."""
        scored_at = datetime.now().strftime("%H:%M:%S")
        with closing(self._connect()) as conn, conn:
            conn.execute("DELETE FROM predictions")
            conn.executemany(
                "INSERT INTO predictions VALUES (?, ?, ?, ?, ?)",
                [(_key(cid), feature, int(churn), threshold, scored_at)
                 for cid, feature, churn in rows])
        return scored_at

    def answers(self) -> list[StoredAnswer]:
        """Every stored answer, in the order the job wrote them."""
        if not self.path.exists():
            return []
        with closing(self._connect()) as conn:
            found = conn.execute("SELECT customer_id, feature, churn, threshold, scored_at "
                                 "FROM predictions ORDER BY rowid").fetchall()
        return [StoredAnswer(r[0], r[1], bool(r[2]), r[3], r[4]) for r in found]

    def lookup(self, customer_id: Any) -> StoredAnswer | None:
        """The stored answer for one customer, or None if the last run did not score them."""
        if not self.path.exists():
            return None
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT customer_id, feature, churn, threshold, scored_at FROM "
                               "predictions WHERE customer_id = ?", (_key(customer_id),)
                               ).fetchone()
        return None if row is None else StoredAnswer(row[0], row[1], bool(row[2]), row[3],
                                                     row[4])


def _key(customer_id: Any) -> Any:
    """IDs as SQLite can store them: numbers and text as they are, anything else as text."""
    if isinstance(customer_id, (int, float, str)) and not isinstance(customer_id, bool):
        return customer_id
    return repr(customer_id)
