"""Canvas "Download Submissions": one flat zip, the learner in each file's name.

Canvas names every file `<name>_<user id>_<file id>_<file name as uploaded>`, with `LATE_`
(`late_` in some versions) before the user id when the hand-in was late, e.g.
`lopezana_LATE_123456_7890123_01_customer_data.ipynb` (`ContentZipper#get_filename` and
`#add_upload_submission`, lib/content_zipper.rb in instructure/canvas-lms; the second number is
the uploaded file's id, which "Re-Upload Submissions" checks belongs to that submission). The
name is Canvas's sortable name run together, lower-cased, with anything but letters, digits and
`_` dropped; the user id is what Canvas's gradebook export calls "ID", so it is the learner's
id here. A file uploaded again under a name the learner had used is renamed by Canvas with
`-1`, `-2`... before the extension (`01_customer_data-1.ipynb`): the highest number is the
latest.

For a group assignment graded as a group, the name is the group's (Canvas hands one member per
group to the download, renamed after the group; see batch/groups.py), and a group's name may
end in `_<digits>` (`team_7_123456_7890123_...`; Canvas removes `_<digits>_` from names, not a
trailing one). Of the ways a name splits, the one leaving a course file's name is taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import Path, Placed, Unplaced, course_files

NAME = "canvas"
TITLE = "Canvas 'Download Submissions' zip"
FILE = re.compile(r"^(?P<name>.+?)_(?:(?P<late>late)_)?(?P<user>\d+)_(?P<submission>\d+)_"
                  r"(?P<file>.+)$", re.IGNORECASE)
TAIL = re.compile(r"_(?:(?P<late>late)_)?(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$",
                  re.IGNORECASE)
RENAMED = re.compile(r"^(?P<stem>.+)-(?P<copy>\d+)(?P<ext>\.[^.]+)$")


def _original(file: str, names: set[str]) -> tuple[str, int]:
    """The course's name for a file Canvas renamed on re-upload, and which upload it was."""
    renamed = RENAMED.match(file)
    if renamed and renamed["stem"] + renamed["ext"] in names:
        return renamed["stem"] + renamed["ext"], int(renamed["copy"])
    return file, 0


@dataclass(frozen=True)
class Split:
    name: str
    late: bool
    user: str
    submission: str
    file: str


def split(file_name: str, names: set[str]) -> Split | None:
    """How Canvas built this name: the first split (shortest name) whose file part is one of
    the course's files (as uploaded or as Canvas renamed a re-upload), else the first."""
    found = []
    for at in (i for i, c in enumerate(file_name) if c == "_" and i > 0):
        tail = TAIL.match(file_name, at)
        if tail:
            found.append(Split(file_name[:at], bool(tail["late"]), tail["user"],
                               tail["submission"], tail["file"]))
    for candidate in found:
        if _original(candidate.file, names)[0] in names:
            return candidate
    return found[0] if found else None


class Layout:
    def __init__(self, paths: list[tuple[Path, bool]], names: set[str]) -> None:
        self.names = names | {"quiz_answers.json"}
        self.files = course_files(paths, names)
        # (learner, original name) -> the highest re-upload number seen
        self.latest: dict[tuple[str, str], int] = {}
        for path, is_dir in paths:
            match = split(path[0], self.names) if len(path) == 1 and not is_dir else None
            if match:
                original, copy = _original(match.file, self.names)
                key = (match.user, original)
                self.latest[key] = max(self.latest.get(key, 0), copy)

    def fit(self) -> tuple[float, str]:
        flat = [p for p in self.files if len(p) == 1]
        named = sum(bool(FILE.match(p[0])) for p in flat)
        share = named / len(self.files) if self.files else 0.0
        return share, (f"{named} file name(s) of the form name_userid_fileid_file, "
                       "at the top of the zip")

    def place(self, path: Path, is_dir: bool) -> Placed | Unplaced | None:
        if is_dir:
            return None
        match = split(path[-1], self.names)
        if len(path) != 1 or not match:
            return Unplaced("Canvas names each file name_userid_fileid_file; the learner "
                            "can't be told from this one")
        original, copy = _original(match.file, self.names)
        prefix = f"{match.name}_{'LATE_' if match.late else ''}{match.user}_{match.submission}_"
        common = dict(name=match.name, late=match.late, prefix=prefix)
        if copy < self.latest[match.user, original]:
            return Placed(match.user, (match.file,), **common,
                          ignore=f"an earlier upload of {original}, replaced by a later one")
        note = f"Canvas renamed this re-upload {match.file}; graded as {original}" if copy else ""
        return Placed(match.user, (original,), **common, note=note)
