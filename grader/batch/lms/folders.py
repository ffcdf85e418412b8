"""One folder per learner, named with the learner's id: any download no LMS module claims."""

from __future__ import annotations

from . import Path, Placed, Unplaced, course_files
from .grades import Graded

NAME = "folders"
TITLE = "one folder per learner"
fill = None  # no gradebook file of its own: `export plain`


class Layout:
    def __init__(self, paths: list[tuple[Path, bool]], names: set[str],
                 around: tuple[str, ...] = (), forced: bool = False) -> None:
        self.files = course_files(paths, names)

    def fit(self) -> tuple[float, str]:
        inside = sum(len(p) >= 2 for p in self.files)
        share = inside / len(self.files) if self.files else 0.0
        return share, "each folder's name is the learner's id"

    def place(self, path: Path, is_dir: bool) -> Placed | Unplaced | None:
        if is_dir:
            return Placed(path[0], ()) if len(path) == 1 else None
        if len(path) < 2:
            return Unplaced("not inside a learner's folder")
        return Placed(path[0], path[1:])


def feedback_name(graded: Graded, stem: str) -> str:
    return f"{stem}.html"
