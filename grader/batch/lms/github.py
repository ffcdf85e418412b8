"""GitHub Classroom: the learners' repositories as `gh classroom clone student-repos` clones them.

That command (github/gh-classroom, cmd/gh-classroom/clone/student-repos/student-repos.go)
clones every accepted assignment's repository into `<assignment slug>-submissions/`, each under
its repository's name, which GitHub Classroom makes `<assignment slug>-<username>` (or
`<slug>-<team>` for a group assignment). So the slug is read from that folder's name, and the
learner's GitHub username is exactly what follows `<slug>-` (usernames may hold hyphens
themselves: `ana-lopez`), for a class of one repository as for a hundred. Without that folder
the slug can't be told for certain (`week1-ana-lopez` and `week1-ana-smith` may be users
`lopez` and `smith` of `week1-ana`), so the download is not taken as GitHub Classroom's: pass
the `-submissions` folder itself, or a zip of it. A repository's `.git` folder is history, not a
hand-in, and is never read. No gradebook file to fill: `export plain` writes one row per learner.
"""

from __future__ import annotations

import re

from . import LayoutError, Path, Placed, Unplaced, course_files
from .grades import Graded

NAME = "github"
TITLE = "GitHub Classroom repositories"
SUBMISSIONS = re.compile(r"^(?P<slug>.+)-submissions$")
fill = None  # no gradebook file of its own


def is_container(folder: str) -> bool:
    """Whether `folder` is the one gh classroom makes to hold a class's repositories."""
    return bool(SUBMISSIONS.match(folder))


class Layout:
    def __init__(self, paths: list[tuple[Path, bool]], names: set[str],
                 around: tuple[str, ...] = (), forced: bool = False) -> None:
        self.files = course_files(paths, names)
        found = [m["slug"] for m in map(SUBMISSIONS.match, around) if m]
        self.slug = found[-1] if found else ""
        if forced and not self.slug:
            raise LayoutError("--layout github needs the folder gh classroom clone "
                              "student-repos made (<assignment>-submissions), whose name gives "
                              "the assignment: pass that folder, or a zip of it")

    def _user(self, folder: str) -> str:
        prefix = f"{self.slug}-"
        return folder[len(prefix):] if folder.startswith(prefix) else ""

    def fit(self) -> tuple[float, str]:
        if not self.slug:
            return 0.0, "no <assignment>-submissions folder around it"
        inside = sum(len(p) >= 2 and bool(self._user(p[0])) for p in self.files)
        share = inside / len(self.files) if self.files else 0.0
        return share, (f"repositories named '{self.slug}-<username>' in "
                       f"{self.slug}-submissions")

    def place(self, path: Path, is_dir: bool) -> Placed | Unplaced | None:
        if ".git" in path[1:]:
            return None
        user = self._user(path[0])
        if is_dir:
            return Placed(user, (), prefix=path[0]) if len(path) == 1 and user else None
        if len(path) < 2:
            return Unplaced("not inside a learner's repository folder")
        if not user:
            return Unplaced(f"a folder not named '{self.slug}-<username>'")
        return Placed(user, path[1:], prefix=path[0])


def feedback_name(graded: Graded, stem: str) -> str:
    return f"{stem}.html"
