"""Moodle "Download all submissions": a folder per learner, named with their full name and id.

Moodle names each learner's folder `<full name>_<participant id>_assignsubmission_file_` (with
"Download submissions in folders", its default), or puts that same prefix before every file
name (without it). Moodle replaces underscores in names with spaces, so the participant id is
the number after the last name part; it is the number its grading worksheet carries as
"Participant <id>", so it is the learner's id here. Moodle marks no lateness in file names.
"""

from __future__ import annotations

import re

from . import Path, Placed, Unplaced, course_files

NAME = "moodle"
TITLE = "Moodle 'Download all submissions'"
PREFIX = re.compile(r"^(?P<name>[^_]*)_(?P<id>\d+)_(?P<plugin>assign(?:submission|feedback)_"
                    r"[a-z0-9]+)_(?P<rest>.*)$")


class Layout:
    def __init__(self, paths: list[tuple[Path, bool]], names: set[str]) -> None:
        self.files = course_files(paths, names)

    def fit(self) -> tuple[float, str]:
        named = sum(bool(PREFIX.match(p[0])) for p in self.files)
        share = named / len(self.files) if self.files else 0.0
        return share, (f"{named} file(s) under a name of the form "
                       "'Full Name_id_assignsubmission_file_'")

    def place(self, path: Path, is_dir: bool) -> Placed | Unplaced | None:
        match = PREFIX.match(path[0])
        if is_dir:
            if len(path) == 1 and match and not match["rest"]:
                return Placed(match["id"], (), name=match["name"], prefix=path[0])
            return None
        if not match:
            return Unplaced("Moodle names each learner's folder 'Full Name_id_"
                            "assignsubmission_file_'; the learner can't be told from this one")
        folder = f"{match['name']}_{match['id']}_{match['plugin']}_"
        if len(path) == 1:  # downloaded without folders: the prefix is on the file's name
            if not match["rest"]:
                return Unplaced("a Moodle file name with nothing after the learner's prefix")
            return Placed(match["id"], (match["rest"],), name=match["name"], prefix=folder)
        if match["rest"]:
            return Unplaced("not inside a Moodle learner folder")
        return Placed(match["id"], path[1:], name=match["name"], prefix=folder)
