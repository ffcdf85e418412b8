"""The panel's batch job output: a real SQLite table beside the notebook.

"Run batch" writes every customer's prediction here, with the threshold it used and when it
ran, in one transaction that replaces the previous run. A real-time request in "stored" mode
reads it back: the answer as of that run, however the model has changed since. What changes
with how predictions are stored lives here, and nothing else does.

SQLite works on a file in place through locks and partial writes, which the browser's storage
doesn't give: in JupyterLite the notebook's folder (``/drive``) is kept in IndexedDB, and a
database written there in place comes out corrupt ("database disk image is malformed"). There
the table is built in memory and saved as one whole, valid SQLite file, written atomically
where the learner sees it; reading loads that file back into memory. The same file either way.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from grader.files import write_atomic

DEFAULT_FILE = "step4_predictions.sqlite"
#: Whether SQLite can work on the file itself: not in the browser (Pyodide is Emscripten).
IN_PLACE = sys.platform != "emscripten"
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
    """One SQLite file; a fresh connection per operation, so nothing is left open.

    ``in_place=False`` keeps the database in memory and saves it as a whole file (the browser's
    way, see above; it needs Python 3.11's ``serialize``); the default is what this Python
    can do.
    """

    def __init__(self, path: str | Path = DEFAULT_FILE, *, in_place: bool | None = None) -> None:
        self.path = Path(path)
        self.in_place = IN_PLACE if in_place is None else in_place

    @contextmanager
    def _connect(self, *, replacing: bool = False) -> Iterator[sqlite3.Connection]:
        """The table: the file itself, or (not in place) an in-memory copy of it; an empty
        one when the caller replaces the file whole (a run replaces the last)."""
        if self.in_place:
            conn = sqlite3.connect(self.path, timeout=2.0)
        else:
            conn = sqlite3.connect(":memory:")
            if not replacing and self.path.exists():
                conn.deserialize(self.path.read_bytes())
        with closing(conn):
            conn.execute(SCHEMA)
            yield conn

    def write(self, rows: list[tuple[Any, float, bool]], threshold: float | None) -> str:
        """Replace the table with this run's rows, in one transaction; return its time."""
        scored_at = datetime.now().strftime("%H:%M:%S")
        with self._connect(replacing=True) as conn:
            with conn:
                conn.execute("DELETE FROM predictions")
                conn.executemany(
                    "INSERT INTO predictions VALUES (?, ?, ?, ?, ?)",
                    [(_key(cid), feature, int(churn), threshold, scored_at)
                     for cid, feature, churn in rows])
            if not self.in_place:  # the whole database, in one atomic write
                write_atomic(self.path, conn.serialize())
        return scored_at

    def answers(self) -> list[StoredAnswer]:
        """Every stored answer, in the order the job wrote them."""
        if not self.path.exists():
            return []
        with self._connect() as conn:
            found = conn.execute("SELECT customer_id, feature, churn, threshold, scored_at "
                                 "FROM predictions ORDER BY rowid").fetchall()
        return [StoredAnswer(r[0], r[1], bool(r[2]), r[3], r[4]) for r in found]

    def lookup(self, customer_id: Any) -> StoredAnswer | None:
        """The stored answer for one customer, or None if the last run did not score them."""
        if not self.path.exists():
            return None
        with self._connect() as conn:
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
