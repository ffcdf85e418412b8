"""Finding each learner's notebooks in what the instructor collected: a folder or an LMS zip.

`SUBMISSIONS/<learner>/<notebook>.ipynb` is the shape; real downloads are messier (a wrapper
folder, `__MACOSX`, copies named `01_customer_data (1).ipynb`, names in any script, a zip
entry with `../` in it). Nothing is extracted to disk and nothing is executed here: hand-ins
are only *found* here and read later, one at a time, when graded (sizes capped; a zip stays open
until the collection is closed), everything else is listed as ignored so the instructor can see
it, and an unsafe or ambiguous hand-in becomes a per-notebook problem, never a crash.
"""

from __future__ import annotations

import os
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..spec import ALL_STEPS, Step
from .layouts import LayoutError, Placed, Unplaced, recognise
from .notebook import MAX_NOTEBOOK_BYTES
from .readers import FileRef, ZipRef, stat_identity

JUNK = {"__MACOSX", ".DS_Store", ".ipynb_checkpoints", "Thumbs.db", "desktop.ini"}
MAX_DEPTH = 4
MAX_ENTRIES = 200_000  # files and folders in SUBMISSIONS: beyond that, not a class download


class CollectError(Exception):
    """The submissions can't be read at all; one line for the instructor."""


@dataclass(slots=True)
class HandIn:
    """One course notebook as handed in by one learner."""

    notebook: str  # the course's name for it
    found_as: str  # where it was found, relative to the learner's folder
    data: bytes | None = None  # given in memory (the API), else read on demand by `opener`
    problem: str = ""  # set when it can't be graded (too large, handed in twice...)
    notes: list[str] = field(default_factory=list)
    opener: FileRef | ZipRef | None = None

    @property
    def usable(self) -> bool:
        return not self.problem and (self.data is not None or self.opener is not None)

    def load(self) -> bytes:
        """The hand-in's bytes (at most MAX_NOTEBOOK_BYTES + 1): read now, not kept."""
        if self.data is not None:
            return self.data
        if self.opener is None:
            raise OSError("nothing to read")
        return self.opener()


# Files graded together with a notebook (`Step.attachments`): the quiz widget saves answers
# beside the notebook.
ATTACHMENTS = {name: step.notebook for step in ALL_STEPS for name in step.attachments}
MAX_ATTACHMENT_BYTES = 2_000_000


@dataclass(slots=True)
class LearnerFiles:
    learner: str
    handins: dict[str, HandIn] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    # path in the learner's folder (e.g. "quiz/quiz_answers.json") -> contents, or a reader
    attachments: dict[str, bytes | FileRef | ZipRef] = field(default_factory=dict)
    name: str = ""  # as the download wrote it (an LMS's own), when it did
    late: bool | None = None  # None: the download says nothing about lateness
    upload_prefix: str = ""  # how the LMS named this learner's files (to upload feedback back)

    def identify(self, placed: Placed) -> None:
        """What the download's layout told about this learner (see layouts/)."""
        self.name = self.name or placed.name
        self.upload_prefix = self.upload_prefix or placed.prefix
        if placed.late is not None:
            self.late = bool(self.late) or placed.late

    def attachment_refs(self, handin: HandIn) -> list[tuple[str, str, object]]:
        """The files that travel with a notebook (those saved in the same folder as it):
        (name, path in the learner's folder, its bytes or a reader for them)."""
        folder = PurePosixPath(handin.found_as).parent
        found = []
        for name, notebook in sorted(ATTACHMENTS.items()):
            path = str(folder / name)
            content = self.attachments.get(path)
            if notebook == handin.notebook and content is not None:
                found.append((name, path, content))
        return found

    def note_ignored(self, text: str) -> None:
        if text not in self.ignored:
            self.ignored.append(text)


@dataclass
class Collection:
    source: str
    learners: dict[str, LearnerFiles] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # outside any learner folder
    layout: str = ""  # which shape of download it was recognised as, and why
    unplaced: list[str] = field(default_factory=list)  # files whose learner can't be told
    archive: zipfile.ZipFile | None = None  # open while hand-ins are read from it

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()
            self.archive = None

    def __enter__(self) -> Collection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(slots=True)
class _Entry:
    parts: tuple[str, ...]
    size: int
    read: FileRef | ZipRef | None  # reads at most MAX_NOTEBOOK_BYTES + 1 bytes when called
    is_link: bool = False
    is_dir: bool = False


def _junk(parts: tuple[str, ...]) -> bool:
    return any(p in JUNK or p.startswith("._") for p in parts)


def _too_many() -> CollectError:
    return CollectError(f"more than {MAX_ENTRIES:,} files and folders: not a class of hand-ins")


def _as_text(name: str) -> str:
    """A file name as text: bytes that aren't UTF-8 (an old zipper, another system's disk) are
    shown escaped (`ana\\xff`), so the id, the reports and the gradebook can hold them; the file
    itself is still read by its real name."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    return name


def _folder_entries(root: Path, exclude: tuple[Path, ...] = ()) -> tuple[list[_Entry], list[str]]:
    """Every file and folder below `root` (links not followed, junk and too-deep paths left
    out), one `lstat` each: a class of thousands is listed in milliseconds."""
    entries, problems = [], []
    excluded = {p.resolve() for p in exclude}
    base = root.resolve()  # no link is followed below root, so base/relative is each real path

    def walk(folder: str, parts: tuple[str, ...], real: Path) -> None:
        with os.scandir(folder) as listing:
            found = sorted(listing, key=lambda entry: entry.name)
        for item in found:
            if len(entries) > MAX_ENTRIES:
                raise _too_many()
            here = (*parts, _as_text(item.name))
            if len(here) > MAX_DEPTH + 1 or _junk(here):
                continue
            if excluded:
                if real / item.name in excluded:
                    problems.append(f"{'/'.join(here)}: the grader's own output, not a hand-in")
                    continue
            try:
                if item.is_symlink():
                    problems.append(f"{'/'.join(here)}: a symbolic link, not followed")
                    continue
                if item.is_dir(follow_symlinks=False):
                    entries.append(_Entry(here, 0, None, is_dir=True))
                    walk(item.path, here, real / item.name)
                    continue
                if not item.is_file(follow_symlinks=False):
                    continue
                state = item.stat(follow_symlinks=False)
            except OSError as err:
                problems.append(f"{'/'.join(here)}: could not be read ({err.strerror or err})")
                continue
            entries.append(_Entry(here, state.st_size,
                                  FileRef(item.path, stat_identity(state), state.st_size)))

    walk(os.path.abspath(root), (), base)  # absolute: lanes read these paths from /
    entries.sort(key=lambda entry: entry.parts)
    return entries, problems


def _zip_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:  # no UTF-8 flag: many zippers still wrote UTF-8
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name.replace("\\", "/")


def _zip_entries(archive: zipfile.ZipFile, path: str) -> tuple[list[_Entry], list[str]]:
    entries, problems = [], []
    whole = stat_identity(os.stat(path))
    if len(archive.infolist()) > MAX_ENTRIES:
        raise _too_many()
    for info in archive.infolist():
        name = _zip_name(info)
        pure = PurePosixPath(name)
        if pure.is_absolute() or ".." in pure.parts or (pure.parts and ":" in pure.parts[0]):
            problems.append(f"{name}: an unsafe path in the zip, ignored")
            continue
        parts = tuple(p for p in pure.parts if p not in ("", "."))
        if not parts or len(parts) > MAX_DEPTH + 1 or _junk(parts):
            continue
        if info.is_dir():
            entries.append(_Entry(parts, 0, None, is_dir=True))
            continue
        is_link = stat.S_ISLNK(info.external_attr >> 16)
        identity = f"{whole}:{info.header_offset}:{info.CRC}:{info.file_size}"
        reader = ZipRef(path, info.header_offset, identity, info.file_size, archive, info)
        entries.append(_Entry(parts, info.file_size, reader, is_link))
    return entries, problems


def _unwrap(entries: list[_Entry], names: set[str]) -> list[_Entry]:
    """LMS downloads often wrap every learner folder in one more folder: look through it."""
    while True:
        files = [e for e in entries if not e.is_dir]
        tops = {e.parts[0] for e in entries}
        if not files or len(tops) != 1 or any(len(e.parts) < 3 for e in files):
            return entries
        if any(unicodedata.normalize("NFC", e.parts[1]) in names
               for e in files):  # the single folder is a learner's
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


def _same(read: object, handin: HandIn) -> bool:
    try:
        return read() == handin.load()  # type: ignore[operator]
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError, EOFError):
        return False


def _add(learner: LearnerFiles, step: Step, entry: _Entry, note: str) -> None:
    relative = "/".join(entry.parts[1:])
    if entry.is_link:
        learner.ignored.append(f"{relative}: a symbolic link, not followed")
        return
    opener, problem = entry.read, ""
    if entry.size > MAX_NOTEBOOK_BYTES:
        opener, problem = None, f"the file is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB"
    depth = len(entry.parts)
    current = learner.handins.get(step.notebook)
    exact = not note  # found under its own name, not `01_customer_data-Copy1.ipynb`
    if (current is not None and depth == current.found_as.count("/") + 2
            and exact != (not current.notes)):
        if exact:  # the real one replaces a loose copy found first
            learner.ignored.append(f"{current.found_as}: a copy of {step.notebook}, not graded")
            learner.handins[step.notebook] = HandIn(step.notebook, relative, None, problem,
                                                    opener=opener)  # type: ignore[arg-type]
        else:
            learner.ignored.append(f"{relative}: a copy of {step.notebook}, not graded")
        return
    if current is None or depth < current.found_as.count("/") + 2:
        learner.handins[step.notebook] = HandIn(step.notebook, relative, None, problem,
                                                [note] if note else [],
                                                opener=opener)  # type: ignore[arg-type]
        if current is not None:
            learner.ignored.append(f"{current.found_as}: a deeper copy of {step.notebook}")
        return
    if depth > current.found_as.count("/") + 2:
        learner.ignored.append(f"{relative}: a deeper copy of {step.notebook}")
        return
    if not problem and current.usable and _same(opener, current):
        return  # the same file twice (a duplicate zip entry): harmless
    current.data, current.opener, current.problem = None, None, (
        f"it was handed in more than once with different contents ({current.found_as} and "
        f"{relative}), so it is not clear which one to grade")


def collect(source: Path, steps: tuple[Step, ...], layout: str | None = None,
            exclude: tuple[Path, ...] = ()) -> Collection:
    """Read SUBMISSIONS (a folder or a .zip) into learners and their hand-ins; `layout`
    forces a shape of download (see layouts/) instead of recognising it. `exclude`: the
    grader's own output (OUT, the gradebook), should the instructor have put it inside. Close
    the collection (or use it in a `with`) once graded: a zip is read until then."""
    if not source.exists():
        raise CollectError(f"no such folder or zip file: {source}")
    names = {s.notebook for s in steps}
    if source.is_dir():
        entries, problems = _folder_entries(source, exclude)
        return _assemble(str(source), entries, problems, names, steps, layout)
    if not zipfile.is_zipfile(source):
        raise CollectError(f"{source} is neither a folder nor a zip file")
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as err:
        raise CollectError(f"can't read the zip file {source}: {err}") from err
    except UnicodeDecodeError as err:  # a name marked UTF-8 that isn't: Python refuses them all
        raise CollectError(f"can't read the zip file {source}: a file name in it is marked as "
                           f"UTF-8 but is not ({err.object[:80]!r}); zip the class again") from err
    try:
        entries, problems = _zip_entries(archive, str(source.resolve()))
        collection = _assemble(str(source), entries, problems, names, steps, layout)
    except BaseException:
        archive.close()
        raise
    collection.archive = archive
    return collection


def _learner_ids(entries: list[_Entry]) -> tuple[dict[str, str], list[str]]:
    """Learner id per top-level folder name: its NFC form (zips made on a Mac spell "José" in
    NFD). Two folders whose names differ only in that way are one learner if their files don't
    overlap (a zipper that mixed the forms); if both hold the same file they are two learners,
    each keeping their own spelling, and the instructor is told (rather than one losing marks)."""
    files: dict[str, set[tuple[str, ...]]] = {}
    for entry in entries:
        rest = tuple(unicodedata.normalize("NFC", p) for p in entry.parts[1:])
        files.setdefault(entry.parts[0], set()).update({rest} if rest and not entry.is_dir
                                                       else set())
    by_form: dict[str, list[str]] = {}
    for top in sorted(files):
        by_form.setdefault(unicodedata.normalize("NFC", top), []).append(top)
    ids, notes = {}, []
    for form, raws in by_form.items():
        seen: set[tuple[str, ...]] = set()
        overlap = False
        for raw in raws:
            overlap = overlap or bool(seen & files[raw])
            seen |= files[raw]
        if not overlap:
            ids.update({raw: form for raw in raws})
            continue
        notes.append(f"{len(raws)} learner folders are named {form!r} in different Unicode "
                     "forms (NFC/NFD) and hold the same files: graded as separate learners; "
                     "check which is which")
        ids.update({raw: raw for raw in raws})
    return ids, notes


def _assemble(label: str, entries: list[_Entry], problems: list[str], names: set[str],
              steps: tuple[Step, ...], forced: str | None = None) -> Collection:
    collection = Collection(label, ignored=list(problems))
    kept, hidden = [], set()
    for entry in _unwrap(entries, names):
        top = entry.parts[0]
        if top.startswith("."):  # .git, .ipynb_checkpoints and the like: not a learner
            if top not in hidden:
                hidden.add(top)
                collection.ignored.append(f"{top}: a hidden folder, not a learner")
            continue
        kept.append(entry)
    ids, notes = _learner_ids(kept)
    collection.ignored += notes
    entries = [_Entry((ids[e.parts[0]], *(unicodedata.normalize("NFC", p) for p in e.parts[1:])),
                      e.size, e.read, e.is_link, e.is_dir) for e in kept]
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
        if entry.parts[-1] in ATTACHMENTS and not entry.is_link:
            relative = "/".join(entry.parts[1:])
            if entry.size > MAX_ATTACHMENT_BYTES:
                learner.ignored.append(f"{relative}: larger than {MAX_ATTACHMENT_BYTES:,} bytes, "
                                       "not used")
            else:
                learner.attachments[relative] = entry.read  # type: ignore[assignment]
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
