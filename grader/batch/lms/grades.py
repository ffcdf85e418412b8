"""What `export` hands an LMS module, and what the module gives back.

A grading run leaves `results.json`; `export` reads each learner's total from it (`Graded`) and
asks the LMS's module to fill its own gradebook file (`fill(results, path, options)`), which
answers with the file's new text and who was and wasn't matched (`Filled`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ExportError(Exception):
    """Something the instructor must fix; one line."""


@dataclass
class Graded:
    learner: str
    name: str
    total: float
    max_total: float
    late: bool | None
    upload_prefix: str

    def scaled(self, maximum: float | None) -> float:
        """The score on the gradebook column's own scale (its points possible, its maximum
        grade), or the raw points where the file states no maximum."""
        if maximum is None or self.max_total <= 0:
            return self.total
        return self.total / self.max_total * maximum


@dataclass(frozen=True)
class Options:
    """The instructor's names for the file's columns, when the defaults don't find them."""

    column: str | None = None  # Canvas: part of the assignment's column; Moodle: the grade's
    id_column: str | None = None  # the column holding the ids the hand-ins carried
    max_column: str | None = None  # Moodle: the maximum grade's column


@dataclass
class Filled:
    text: str  # the file to write
    filled: int = 0
    unmatched_rows: list[str] = field(default_factory=list)  # in the file, not graded
    missing: list[str] = field(default_factory=list)  # graded, not in the file
    refused: list[str] = field(default_factory=list)  # matched, but not filled: why
    column: str = ""
