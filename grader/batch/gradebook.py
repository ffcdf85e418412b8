"""The gradebook: every graded notebook, keyed by its content, in one SQLite file.

Keying by the SHA-256 of the notebook's bytes (and a fingerprint of the grader and its limits)
is what makes re-runs cheap and safe: an unchanged notebook is never run again, a changed one
is, and the old verdict stays as history. Verdicts are committed as they stream in (in batches,
at least every half second, and whatever was received when a run is interrupted), so the next
run simply carries on. It also remembers each hand-in file's hash by the file's `stat` identity
(`file_hashes`), so an unchanged class is not even read again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .verdicts import NotebookGrade

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started TEXT NOT NULL, finished TEXT, source TEXT NOT NULL, fingerprint TEXT NOT NULL,
    outcome TEXT NOT NULL DEFAULT 'running', graded INTEGER DEFAULT 0, reused INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS submissions (
    learner TEXT NOT NULL, notebook TEXT NOT NULL, sha256 TEXT NOT NULL,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, first_run INTEGER, last_run INTEGER,
    PRIMARY KEY (learner, notebook, sha256));
CREATE TABLE IF NOT EXISTS grades (
    notebook TEXT NOT NULL, sha256 TEXT NOT NULL, fingerprint TEXT NOT NULL,
    status TEXT NOT NULL, points REAL NOT NULL, max_points REAL NOT NULL, runtime REAL NOT NULL,
    graded_at TEXT NOT NULL, run_id INTEGER, data TEXT NOT NULL,
    PRIMARY KEY (notebook, sha256, fingerprint));
CREATE TABLE IF NOT EXISTS file_hashes (
    identity TEXT PRIMARY KEY, sha256 TEXT NOT NULL, seen_run INTEGER NOT NULL);
"""
# A file's hash is forgotten once this many runs have passed without seeing it.
HASHES_KEPT_RUNS = 20


@dataclass(frozen=True, slots=True)
class Stored:
    """What the coordinator keeps of a stored verdict: enough for grades.csv and the summary;
    the whole verdict stays in the gradebook until a report needs it."""

    status: str
    points: float
    max_points: float
    seconds: float
    run: int


def number(value: float) -> int | float:
    """Points as the checks give them: a whole number stays an int (SQLite hands back every
    REAL as a float), so a verdict from the gradebook reads exactly as a fresh one."""
    value = float(value)
    return int(value) if value.is_integer() else value


class GradebookError(RuntimeError):
    """The gradebook file can't be opened or written (the instructor's problem to fix)."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


PROJECT = Path(__file__).resolve().parents[2]


def grader_fingerprint(extra: dict | None = None, project: Path | None = None) -> str:
    """Changes whenever the grader's code, the course package (the quiz's answer key is there)
    or the limits change, so old verdicts are not reused by a grader that would judge
    differently. `project`: the folder holding both packages (this one's unless given)."""
    project = project or PROJECT
    digest = hashlib.sha256()
    for package in ("grader", "churn_course"):
        for path in sorted((project / package).rglob("*")):
            if path.suffix in (".py", ".json"):
                digest.update(str(path.relative_to(project)).encode())
                digest.update(path.read_bytes())
    digest.update(json.dumps(extra or {}, sort_keys=True).encode())
    return digest.hexdigest()[:16]


class Gradebook:
    """A thin layer over sqlite3; one connection, used from the grading process only."""

    def __init__(self, path: Path | str) -> None:
        """`path` ":memory:" keeps it in memory, for a run that keeps no gradebook."""
        self.in_memory = str(path) == ":memory:"
        self.path = Path(path)
        try:
            if self.in_memory:
                self._db = sqlite3.connect(":memory:")
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(str(self.path))
            if not self.in_memory and self.path.stat().st_uid == os.geteuid():
                os.chmod(self.path, 0o600)  # every learner's grades: the instructor's only
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except (sqlite3.Error, OSError) as err:
            raise GradebookError(f"can't open the gradebook {self.path}: {err}") from err

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start_run(self, source: str, fingerprint: str) -> int:
        with self._db:
            cursor = self._db.execute(
                "INSERT INTO runs (started, source, fingerprint) VALUES (?, ?, ?)",
                (_now(), source, fingerprint))
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, outcome: str, graded: int, reused: int) -> None:
        with self._db:
            self._db.execute("UPDATE runs SET finished=?, outcome=?, graded=?, reused=? "
                             "WHERE id=?", (_now(), outcome, graded, reused, run_id))

    def load(self, notebook: str, sha256: str, fingerprint: str) -> NotebookGrade | None:
        """One whole verdict, as stored (None if it isn't, or can't be read)."""
        row = self._db.execute(
            "SELECT data FROM grades WHERE notebook=? AND sha256=? AND fingerprint=?",
            (notebook, sha256, fingerprint)).fetchone()
        if row is None:
            return None
        try:
            return NotebookGrade.from_dict(json.loads(row[0]))
        except (ValueError, KeyError, TypeError):
            return None

    def verdicts(self, fingerprint: str) -> Iterator[tuple[str, str, str]]:
        """(notebook, sha256, whole verdict JSON) of every verdict this grader stored, in one
        query: how the class report reads a whole class."""
        yield from self._db.execute(
            "SELECT notebook, sha256, data FROM grades WHERE fingerprint=?", (fingerprint,))

    def stored(self, fingerprint: str) -> dict[tuple[str, str], Stored]:
        """(notebook, sha256) -> what is stored of each verdict of this grader, in one query."""
        rows = self._db.execute("SELECT notebook, sha256, status, points, max_points, runtime, "
                                "run_id FROM grades WHERE fingerprint=?", (fingerprint,))
        return {(notebook, sha): Stored(status, number(points), number(max_points),
                                        float(runtime), run or 0)
                for notebook, sha, status, points, max_points, runtime, run in rows}

    def store_many(self, rows: Iterable[tuple[str, str, dict, str]], fingerprint: str,
                   run_id: int) -> None:
        """Verdicts as the grading lanes wrote them: (notebook, sha256, header, verdict JSON),
        committed together (one commit per batch of verdicts, not per verdict)."""
        now = _now()
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO grades VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(notebook, sha, fingerprint, head["status"], head["points"],
                  head["max_points"], head["seconds"], now, run_id, data)
                 for notebook, sha, head, data in rows])

    def known_hashes(self) -> dict[str, str]:
        """File identity (see readers.py) -> the sha256 of its bytes, from earlier runs."""
        return dict(self._db.execute("SELECT identity, sha256 FROM file_hashes"))

    def remember_hashes(self, hashes: dict[str, str], seen: Iterable[str], run_id: int) -> None:
        """Keep the hashes of the files this run saw (`hashes`: those newly read), and forget
        those no run has seen for a while."""
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO file_hashes VALUES (?, ?, ?)",
                                 [(identity, sha, run_id) for identity, sha in hashes.items()])
            self._db.executemany("UPDATE file_hashes SET seen_run=? WHERE identity=?",
                                 [(run_id, identity) for identity in seen
                                  if identity not in hashes])
            self._db.execute("DELETE FROM file_hashes WHERE seen_run < ?",
                             (run_id - HASHES_KEPT_RUNS,))

    def reader(self) -> Gradebook:
        """A gradebook to load verdicts from later, even after this one is closed: its own
        connection to the same file (this very one, in memory)."""
        return self if self.in_memory else Gradebook(self.path)

    def record_submissions(self, rows: list[tuple[str, str, str]], run_id: int) -> None:
        """(learner, notebook, sha256) as handed in this run: re-submissions become history."""
        now = _now()
        with self._db:
            self._db.executemany(
                "INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (learner, notebook, sha256) DO UPDATE SET last_seen=excluded"
                ".last_seen, last_run=excluded.last_run",
                [(learner, notebook, sha, now, now, run_id, run_id)
                 for learner, notebook, sha in rows])

    def history(self, learner: str) -> list[dict]:
        """Every distinct version a learner handed in, oldest first, with its latest verdict."""
        rows = self._db.execute(
            "SELECT s.notebook, s.sha256, s.first_seen, s.last_seen, s.first_run, s.last_run, "
            "(SELECT g.status FROM grades g WHERE g.notebook=s.notebook AND g.sha256=s.sha256 "
            " ORDER BY g.graded_at DESC LIMIT 1), "
            "(SELECT g.points FROM grades g WHERE g.notebook=s.notebook AND g.sha256=s.sha256 "
            " ORDER BY g.graded_at DESC LIMIT 1) "
            "FROM submissions s WHERE s.learner=? ORDER BY s.first_run, s.notebook", (learner,))
        keys = ("notebook", "sha256", "first_seen", "last_seen", "first_run", "last_run",
                "status", "points")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def runs(self) -> list[dict]:
        keys = ("id", "started", "finished", "source", "fingerprint", "outcome", "graded",
                "reused")
        return [dict(zip(keys, row, strict=True))
                for row in self._db.execute(f"SELECT {', '.join(keys)} FROM runs ORDER BY id")]

    def graded_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM grades").fetchone()[0])

    def iter_grades(self) -> Iterator[tuple[str, str, str]]:
        yield from self._db.execute("SELECT notebook, sha256, status FROM grades")
