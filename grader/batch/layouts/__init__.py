"""Recognising how a download is shaped, and telling whose each file is.

An LMS download is not always one folder per learner: Canvas gives one flat zip whose file
names carry the learner, Moodle names each folder after the learner's full name and id, GitHub
Classroom prefixes each learner's repository with the assignment's name. One small recogniser
per shape lives beside this file (`canvas.py`, `moodle.py`, `github.py`, `folders.py`). Each
says how well a download fits it and places every path: which learner, where inside that
learner's folder, and a late mark when the LMS wrote one. `collect` asks here once and then
builds learner folders exactly as for today's layout, so nothing after it knows which LMS a
download came from. A file whose learner can't be told is listed, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

Path = tuple[str, ...]  # a file's path in the download, as parts


@dataclass(frozen=True)
class Placed:
    """Where one path of the download belongs."""

    learner: str  # the learner's id, as the LMS knows them (what its gradebook matches on)
    parts: Path  # the path inside that learner's folder; () for the learner's folder itself
    name: str = ""  # the learner's name, when the download carries it
    late: bool | None = None  # None: this download says nothing about lateness
    prefix: str = ""  # how the LMS named this learner's files, for uploading feedback back
    note: str = ""  # for the instructor, e.g. how a re-upload was renamed
    ignore: str = ""  # set: not used, and this is why (an earlier upload, say)


@dataclass(frozen=True)
class Unplaced:
    """A path whose learner can't be told: listed for the instructor, never silently dropped."""

    reason: str


@dataclass(frozen=True)
class Recognition:
    name: str  # as given to --layout
    title: str  # as shown to the instructor
    why: str  # one clause saying what gave it away
    layout: object  # the recogniser's placer: .place(path, is_dir) -> Placed | Unplaced | None

    def describe(self) -> str:
        return f"{self.title} ({self.why})"


class LayoutError(Exception):
    """The download's shape can't be decided: one line saying what to pass."""


def _recognisers() -> tuple:
    from . import canvas, folders, github, moodle

    return (canvas, moodle, github, folders)


NAMES = ("canvas", "moodle", "github", "folders")
MAJORITY = 0.5


def recognise(paths: Iterable[tuple[Path, bool]], names: set[str],
              forced: str | None = None) -> Recognition:
    """Decide the download's shape from its paths ((parts, is_dir) pairs), or use `forced`."""
    paths = list(paths)
    by_name = {module.NAME: module for module in _recognisers()}
    if forced:
        if forced not in by_name:
            raise LayoutError(f"unknown layout {forced!r}; choose one of: {', '.join(NAMES)}")
        module = by_name[forced]
        return Recognition(module.NAME, module.TITLE, "as asked with --layout",
                           module.Layout(paths, names))
    fitting = []
    for module in _recognisers()[:-1]:  # the LMS shapes; plain folders are the fallback
        layout = module.Layout(paths, names)
        share, why = layout.fit()
        if share >= MAJORITY:
            fitting.append((module, layout, why))
    if len(fitting) > 1:
        raise LayoutError(
            "this download looks like more than one LMS's ("
            + "; ".join(f"{m.TITLE}: {why}" for m, _layout, why in fitting)
            + "); say which with --layout " + " or --layout ".join(m.NAME for m, *_ in fitting))
    if fitting:
        module, layout, why = fitting[0]
        return Recognition(module.NAME, module.TITLE, why, layout)
    from . import folders

    layout = folders.Layout(paths, names)
    return Recognition(folders.NAME, folders.TITLE, layout.fit()[1], layout)


def course_files(paths: Iterable[tuple[Path, bool]], names: set[str]) -> list[Path]:
    """The files a recogniser judges the shape by: notebooks and the quiz answers."""
    return [p for p, is_dir in paths
            if not is_dir and (p[-1].casefold().endswith(".ipynb")
                               or p[-1] == "quiz_answers.json")]
