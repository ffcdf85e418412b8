"""Every LMS the grader knows, both directions, behind one registry.

A download is not always one folder per learner: Canvas gives one flat zip whose file names
carry the learner, Moodle names each folder after the learner's full name and participant id,
GitHub Classroom clones each learner's repository as `<assignment>-<username>`. Going back, each
LMS imports grades from its own gradebook file and takes feedback files named its own way.

One module per LMS knows both directions (`canvas.py`, `moodle.py`, `github.py`, and
`folders.py` for a plain folder per learner), each with the same parts:

- `NAME`, `TITLE`: as given to `--layout` / `export`, and as shown to the instructor;
- `Layout(paths, names, around)`: reads a download's paths: `fit()` says how well the download
  fits (a share of its course files, and why), `place(path, is_dir)` says whose each path is,
  and `refusal()` why the download can't be graded per learner at all ('' when it can);
- `fill(results, path, options)`, or None: the LMS's own gradebook file with the scores in;
- `feedback_name(graded, stem)`: a learner's feedback file named as the LMS's bulk upload
  matches it to the learner.

`--layout`, recognising a download and `export` all ask here (`by_name`, `NAMES`, `recognise`),
so a new LMS is one new module in `NAMES`. Nothing between collecting and exporting knows
which LMS a download came from. A path whose learner can't be told with certainty is listed
(`Unplaced`), never guessed.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType

Path = tuple[str, ...]  # a file's path in the download, as parts

NAMES = ("canvas", "moodle", "github", "folders")  # recognised in this order; folders last
FALLBACK = NAMES[-1]  # plain folders: what a download no LMS claims is read as
MAJORITY = 0.5


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
    layout: object  # the module's placer: .place(path, is_dir) -> Placed | Unplaced | None

    def describe(self) -> str:
        return f"{self.title} ({self.why})"

    @property
    def from_lms(self) -> bool:
        """Whether an LMS's shape was seen (not just a folder per learner)."""
        return self.name != FALLBACK


class LayoutError(Exception):
    """The download's shape can't be decided: one line saying what to pass."""


def by_name(name: str) -> ModuleType:
    """The module of one LMS (or of plain folders)."""
    if name not in NAMES:
        raise LayoutError(f"unknown layout {name!r}; choose one of: {', '.join(NAMES)}")
    return importlib.import_module(f"{__name__}.{name}")


def with_gradebook() -> tuple[str, ...]:
    """The LMSs whose own gradebook file `export` fills in."""
    return tuple(n for n in NAMES if getattr(by_name(n), "fill", None) is not None)


def recognise(paths: Iterable[tuple[Path, bool]], names: set[str], forced: str | None = None,
              around: tuple[str, ...] = ()) -> Recognition:
    """Decide the download's shape from its paths ((parts, is_dir) pairs), or use `forced`.
    `names`: the course's file names (notebooks and the files graded with them).
    `around`: the names of the folders the download sat in (the folder given, and any wrapper
    folders looked through), outermost first; GitHub Classroom names the assignment there."""
    paths = list(paths)
    if forced:
        module = by_name(forced)
        return _accepted(Recognition(module.NAME, module.TITLE, "as asked with --layout",
                                     module.Layout(paths, names, around, forced=True)))
    fitting = []
    for name in NAMES:  # the LMS shapes; plain folders are the fallback
        if name == FALLBACK:
            continue
        module = by_name(name)
        layout = module.Layout(paths, names, around)
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
        return _accepted(Recognition(module.NAME, module.TITLE, why, layout))
    module = by_name(FALLBACK)
    layout = module.Layout(paths, names, around)
    return Recognition(module.NAME, module.TITLE, layout.fit()[1], layout)


def _accepted(recognition: Recognition) -> Recognition:
    refusal = getattr(recognition.layout, "refusal", lambda: "")()
    if refusal:
        raise LayoutError(refusal)
    return recognition


def course_files(paths: Iterable[tuple[Path, bool]], names: set[str]) -> list[Path]:
    """The files a layout judges the shape by: notebooks, and the course's other files (the
    quiz answers) among `names`."""
    return [p for p, is_dir in paths
            if not is_dir and (p[-1].casefold().endswith(".ipynb") or p[-1] in names)]


def is_container(folder: str) -> bool:
    """Whether `folder` is one an LMS's tool makes to hold a whole class (GitHub Classroom's
    `<assignment>-submissions`): looking through wrapper folders stops below it."""
    return any(getattr(by_name(name), "is_container", lambda _folder: False)(folder)
               for name in NAMES)
