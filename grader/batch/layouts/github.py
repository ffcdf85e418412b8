"""GitHub Classroom: a folder per learner repository, named `<assignment>-<username>`.

Every repository of one assignment starts with the assignment's name, so the learner's GitHub
username is what follows the prefix all the folders share (up to its last hyphen). It takes at
least two learners to see that prefix; with one, pass `--layout folders`. A repository's `.git`
folder is history, not a hand-in, and is passed over.
"""

from __future__ import annotations

import os

from . import Path, Placed, Unplaced, course_files

NAME = "github"
TITLE = "GitHub Classroom repositories"


def _shared_prefix(folders: list[str]) -> str:
    if len(folders) < 2:
        return ""
    common = os.path.commonprefix(folders)
    prefix = common[:common.rfind("-") + 1]
    return prefix if all(len(f) > len(prefix) for f in folders) else ""


class Layout:
    def __init__(self, paths: list[tuple[Path, bool]], names: set[str]) -> None:
        self.files = course_files(paths, names)
        folders = sorted({p[0] for p in self.files if len(p) >= 2})
        self.prefix = _shared_prefix(folders)

    def fit(self) -> tuple[float, str]:
        if not self.prefix:
            return 0.0, "no assignment prefix shared by every learner folder"
        inside = sum(len(p) >= 2 and p[0].startswith(self.prefix) for p in self.files)
        return inside / len(self.files), f"every folder starts with '{self.prefix}'"

    def place(self, path: Path, is_dir: bool) -> Placed | Unplaced | None:
        if ".git" in path[1:]:
            return None
        if is_dir:
            if len(path) == 1 and self.prefix and path[0].startswith(self.prefix):
                return Placed(path[0][len(self.prefix):], (), prefix=path[0])
            return None
        if len(path) < 2:
            return Unplaced("not inside a learner's repository folder")
        if not self.prefix or not path[0].startswith(self.prefix) or path[0] == self.prefix:
            return Unplaced(f"a folder not named '{self.prefix or '<assignment>-'}<username>'")
        return Placed(path[0][len(self.prefix):], path[1:], prefix=path[0])
