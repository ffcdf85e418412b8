"""Finding each learner's notebooks in what the instructor collected: a folder or an LMS zip.

`SUBMISSIONS/<learner>/<notebook>.ipynb` is the shape; real downloads are messier (a wrapper
folder, `__MACOSX`, copies named `01_customer_data (1).ipynb`, names in any script, a zip
entry with `../` in it). Nothing is extracted to disk and nothing is executed here: notebooks
are read into memory (sizes capped), everything else is listed as ignored so the instructor
can see it, and an unsafe or ambiguous hand-in becomes a per-notebook problem, never a crash.
"""

from __future__ import annotations

import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..spec import Step
from .layouts import LayoutError, Placed, Unplaced, recognise
from .notebook import MAX_NOTEBOOK_BYTES

JUNK = {"__MACOSX", ".DS_Store", ".ipynb_checkpoints", "Thumbs.db", "desktop.ini"}
MAX_DEPTH = 4


class CollectError(Exception):
    """The submissions can't be read at all; one line for the instructor."""


@dataclass
class HandIn:
    """One course notebook as handed in by one learner."""

    notebook: str  # the course's name for it
    found_as: str  # where it was found, relative to the learner's folder
    data: bytes | None = None
    problem: str = ""  # set when it can't be graded (too large, handed in twice...)
    notes: list[str] = field(default_factory=list)


# Files graded together with a notebook: the quiz widget saves answers beside the notebook.
ATTACHMENTS = {"quiz_answers.json": "05_practice_quiz.ipynb"}
MAX_ATTACHMENT_BYTES = 2_000_000


@dataclass
class LearnerFiles:
    learner: str
    handins: dict[str, HandIn] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    # path in the learner's folder (e.g. "quiz/quiz_answers.json") -> contents
    attachments: dict[str, bytes] = field(default_factory=dict)
    name: str = ""  # as the download wrote it (an LMS's own), when it did
    late: bool | None = None  # None: the download says nothing about lateness
    upload_prefix: str = ""  # how the LMS named this learner's files (to upload feedback back)

    def identify(self, placed: Placed) -> None:
        """What the download's layout told about this learner (see layouts/)."""
        self.name = self.name or placed.name
        self.upload_prefix = self.upload_prefix or placed.prefix
        if placed.late is not None:
            self.late = bool(self.late) or placed.late

    def attached_to(self, handin: HandIn) -> tuple[tuple[str, bytes], ...]:
        """The files that travel with a notebook: those saved in the same folder as it."""
        folder = PurePosixPath(handin.found_as).parent
        return tuple((name, self.attachments[str(folder / name)])
                     for name, notebook in sorted(ATTACHMENTS.items())
                     if notebook == handin.notebook and str(folder / name) in self.attachments)


@dataclass
class Collection:
    source: str
    learners: dict[str, LearnerFiles] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # outside any learner folder
    layout: str = ""  # which shape of download it was recognised as, and why
    unplaced: list[str] = field(default_factory=list)  # files whose learner can't be told


@dataclass
class _Entry:
    parts: tuple[str, ...]
    size: int
    read: object  # () -> bytes, reading at most MAX_NOTEBOOK_BYTES + 1
    is_link: bool = False
    is_dir: bool = False


def _junk(parts: tuple[str, ...]) -> bool:
    return any(p in JUNK or p.startswith("._") for p in parts)


def _folder_entries(root: Path) -> tuple[list[_Entry], list[str]]:
    entries, problems = [], []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        parts = tuple(unicodedata.normalize("NFC", p) for p in relative.parts)
        if len(parts) > MAX_DEPTH + 1 or _junk(parts):
            continue
        if path.is_symlink():
            problems.append(f"{relative}: a symbolic link, not followed")
            continue
        if path.is_dir():
            entries.append(_Entry(parts, 0, None, is_dir=True))
            continue
        if not path.is_file():
            continue

        def read(path: Path = path) -> bytes:
            with path.open("rb") as handle:
                return handle.read(MAX_NOTEBOOK_BYTES + 1)

        entries.append(_Entry(parts, path.stat().st_size, read))
    return entries, problems


def _zip_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:  # no UTF-8 flag: many zippers still wrote UTF-8
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name.replace("\\", "/")


def _zip_entries(archive: zipfile.ZipFile) -> tuple[list[_Entry], list[str]]:
    entries, problems = [], []
    for info in archive.infolist():
        name = _zip_name(info)
        pure = PurePosixPath(name)
        if pure.is_absolute() or ".." in pure.parts or (pure.parts and ":" in pure.parts[0]):
            problems.append(f"{name}: an unsafe path in the zip, ignored")
            continue
        parts = tuple(unicodedata.normalize("NFC", p) for p in pure.parts if p not in ("", "."))
        if not parts or len(parts) > MAX_DEPTH + 1 or _junk(parts):
            continue
        if info.is_dir():
            entries.append(_Entry(parts, 0, None, is_dir=True))
            continue
        is_link = stat.S_ISLNK(info.external_attr >> 16)

        def read(info: zipfile.ZipInfo = info) -> bytes:
            with archive.open(info) as handle:
                return handle.read(MAX_NOTEBOOK_BYTES + 1)

        entries.append(_Entry(parts, info.file_size, read, is_link))
    return entries, problems


def _unwrap(entries: list[_Entry], names: set[str]) -> list[_Entry]:
    """LMS downloads often wrap every learner folder in one more folder: look through it."""
    while True:
        files = [e for e in entries if not e.is_dir]
        tops = {e.parts[0] for e in entries}
        if not files or len(tops) != 1 or any(len(e.parts) < 3 for e in files):
            return entries
        if any(e.parts[1] in names for e in files):  # the single folder is a learner's
            return entries
        entries = [_Entry(e.parts[1:], e.size, e.read, e.is_link, e.is_dir)
                   for e in entries if len(e.parts) > 1]


def _match(name: str, steps: tuple[Step, ...]) -> tuple[Step | None, str]:
    """Which course notebook a file is; also tolerate `01_Customer_Data (1).ipynb`."""
    for step in steps:
        if name == step.notebook:
            return step, ""
    lowered = name.casefold()
    for step in steps:
        if lowered == step.notebook.casefold():
            return step, f"graded {name} as {step.notebook}"
    if lowered.endswith(".ipynb") and "checkpoint" not in lowered:
        prefixed = [s for s in steps if lowered.startswith(s.notebook[:3])]
        if len(prefixed) == 1:
            return prefixed[0], f"graded {name} as {prefixed[0].notebook}"
    return None, ""


def _add(learner: LearnerFiles, step: Step, entry: _Entry, note: str) -> None:
    relative = "/".join(entry.parts[1:])
    if entry.is_link:
        learner.ignored.append(f"{relative}: a symbolic link, not followed")
        return
    if entry.size > MAX_NOTEBOOK_BYTES:
        data, problem = None, f"the file is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB"
    else:
        try:
            data, problem = entry.read(), ""  # type: ignore[operator]
        except (OSError, zipfile.BadZipFile, RuntimeError, ValueError) as err:
            data, problem = None, f"the file could not be read ({err})"
        if data is not None and len(data) > MAX_NOTEBOOK_BYTES:
            data, problem = None, f"the file is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB"
    depth = len(entry.parts)
    current = learner.handins.get(step.notebook)
    exact = not note  # found under its own name, not `01_customer_data-Copy1.ipynb`
    if (current is not None and depth == current.found_as.count("/") + 2
            and exact != (not current.notes)):
        if exact:  # the real one replaces a loose copy found first
            learner.ignored.append(f"{current.found_as}: a copy of {step.notebook}, not graded")
            learner.handins[step.notebook] = HandIn(step.notebook, relative, data, problem)
        else:
            learner.ignored.append(f"{relative}: a copy of {step.notebook}, not graded")
        return
    if current is None or depth < current.found_as.count("/") + 2:
        learner.handins[step.notebook] = HandIn(step.notebook, relative, data, problem,
                                                [note] if note else [])
        if current is not None:
            learner.ignored.append(f"{current.found_as}: a deeper copy of {step.notebook}")
        return
    if depth > current.found_as.count("/") + 2:
        learner.ignored.append(f"{relative}: a deeper copy of {step.notebook}")
        return
    if data is not None and data == current.data and not problem:
        return  # the same file twice (a duplicate zip entry): harmless
    current.data, current.problem = None, (
        f"it was handed in more than once with different contents ({current.found_as} and "
        f"{relative}), so it is not clear which one to grade")


def collect(source: Path, steps: tuple[Step, ...], layout: str | None = None) -> Collection:
    """Read SUBMISSIONS (a folder or a .zip) into learners and their hand-ins; `layout`
    forces a shape of download (see layouts/) instead of recognising it."""
    if not source.exists():
        raise CollectError(f"no such folder or zip file: {source}")
    names = {s.notebook for s in steps}
    if source.is_dir():
        entries, problems = _folder_entries(source)
        return _assemble(str(source), entries, problems, names, steps, layout)
    if not zipfile.is_zipfile(source):
        raise CollectError(f"{source} is neither a folder nor a zip file")
    try:
        with zipfile.ZipFile(source) as archive:
            entries, problems = _zip_entries(archive)
            return _assemble(str(source), entries, problems, names, steps, layout)
    except (zipfile.BadZipFile, OSError) as err:
        raise CollectError(f"can't read the zip file {source}: {err}") from err


def _assemble(label: str, entries: list[_Entry], problems: list[str], names: set[str],
              steps: tuple[Step, ...], forced: str | None = None) -> Collection:
    collection = Collection(label, ignored=list(problems))
    # .git, .ipynb_checkpoints and the like: not a learner
    entries = [e for e in _unwrap(entries, names) if not e.parts[0].startswith(".")]
    try:
        recognition = recognise(((e.parts, e.is_dir) for e in entries), names, forced)
    except LayoutError as err:
        raise CollectError(str(err)) from err
    collection.layout = recognition.describe()
    for entry in entries:
        placed = recognition.layout.place(entry.parts, entry.is_dir)  # type: ignore[attr-defined]
        if placed is None:
            continue
        if isinstance(placed, Unplaced):
            collection.ignored.append(f"{'/'.join(entry.parts)}: {placed.reason}")
            if recognition.name != "folders":
                collection.unplaced.append(f"{'/'.join(entry.parts)}: {placed.reason}")
            continue
        learner_id = placed.learner
        # a learner who handed in nothing still gets a row
        learner = collection.learners.setdefault(learner_id, LearnerFiles(learner_id))
        learner.identify(placed)
        if entry.is_dir:
            continue
        if placed.ignore:
            learner.ignored.append(f"{'/'.join(entry.parts)}: {placed.ignore}")
            continue
        entry = _Entry((learner_id, *placed.parts), entry.size, entry.read, entry.is_link)
        if (entry.parts[-1] in ATTACHMENTS and not entry.is_link
                and entry.size <= MAX_ATTACHMENT_BYTES):
            relative = "/".join(entry.parts[1:])
            try:
                learner.attachments[relative] = entry.read()  # type: ignore[operator]
            except (OSError, zipfile.BadZipFile, RuntimeError, ValueError) as err:
                learner.ignored.append(f"{relative}: could not be read ({err})")
            continue
        step, note = _match(entry.parts[-1], steps)
        if step is None:
            learner.ignored.append("/".join(entry.parts[1:]))
            continue
        _add(learner, step, entry, note)
        if placed.note and step.notebook in learner.handins:
            learner.handins[step.notebook].notes.append(placed.note)
    for learner in collection.learners.values():
        used = {name for handin in learner.handins.values()
                for name in (str(PurePosixPath(handin.found_as).parent / n) for n in ATTACHMENTS)}
        for stray in sorted(set(learner.attachments) - used):
            learner.ignored.append(f"{stray}: not beside {ATTACHMENTS[PurePosixPath(stray).name]}"
                                   ", so not used")
    if not collection.learners:
        raise CollectError(f"no learner folders in {label} (expected one folder per learner, "
                           "each holding that learner's notebooks)")
    return collection
