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

from ..spec import ALL_STEPS, OPTIONAL_NOTEBOOKS, Step
from .lms import LayoutError, Placed, Unplaced, is_container, recognise
from .notebook import MAX_NOTEBOOK_BYTES
from .readers import FileRef, ZipRef, stat_identity

# never hand-ins: `.git` is a repository's history (GitHub Classroom clones carry one each)
JUNK = {"__MACOSX", ".DS_Store", ".ipynb_checkpoints", "Thumbs.db", "desktop.ini", ".git"}
MAX_DEPTH = 4
MAX_ENTRIES = 1_000_000  # files and folders in SUBMISSIONS: beyond that, not a class download
MAX_LEARNER_ENTRIES = 20_000  # in one learner's folder: beyond that, that learner's `invalid`


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
    prefix_of_used: bool = False  # upload_prefix is that of a file used, not an earlier upload

    def identify(self, placed: Placed) -> None:
        """What the download's layout told about this learner (see lms/): the prefix of the
        first file used (Canvas's names a file id, which feedback is attached to)."""
        self.name = self.name or placed.name
        if placed.prefix and not self.prefix_of_used:
            if not placed.ignore:
                self.upload_prefix, self.prefix_of_used = placed.prefix, True
            elif not self.upload_prefix:
                self.upload_prefix = placed.prefix
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
    oversized: bool = False  # a learner's folder of more than MAX_LEARNER_ENTRIES, not read


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


@dataclass(slots=True)
class _Budget:
    """What is left of a learner's folder's MAX_LEARNER_ENTRIES while it is walked."""

    owner: tuple[str, ...]
    left: int


class _Oversized(Exception):
    def __init__(self, owner: tuple[str, ...]) -> None:
        super().__init__(owner)
        self.owner = owner


def _is_dir(item: os.DirEntry) -> bool:
    try:
        return item.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _folder_entries(root: Path, exclude: tuple[Path, ...] = ()) -> tuple[list[_Entry], list[str]]:
    """Every file and folder below `root` (links not followed, junk and too-deep paths left
    out), one `lstat` each: a class of thousands is listed in milliseconds. A learner's folder
    (the first below any single wrapper folder) is walked only up to MAX_LEARNER_ENTRIES: one
    that holds more is marked `oversized` and not read further, so one huge repository costs
    a bounded walk and that learner's grade, not the class's run."""
    entries, problems = [], []
    excluded = {p.resolve() for p in exclude}
    base = root.resolve()  # no link is followed below root, so base/relative is each real path

    def walk(folder: str, parts: tuple[str, ...], real: Path, budget: _Budget | None,
             only_child: bool) -> None:
        with os.scandir(folder) as listing:
            found = sorted(listing, key=lambda entry: entry.name)
        kept = [(item, here) for item, here in ((i, (*parts, _as_text(i.name))) for i in found)
                if len(here) <= MAX_DEPTH + 1 and not _junk(here)]
        if budget is None and parts and not (only_child and all(_is_dir(i) for i, _ in kept)):
            budget = _Budget(parts, MAX_LEARNER_ENTRIES)  # not a wrapper: a learner's folder
        for item, here in kept:
            if len(entries) > MAX_ENTRIES:
                raise _too_many()
            if budget is not None:
                budget.left -= 1
                if budget.left < 0:
                    raise _Oversized(budget.owner)
            if excluded and real / item.name in excluded:
                problems.append(f"{'/'.join(here)}: the grader's own output, not a hand-in")
                continue
            try:
                if item.is_symlink():
                    problems.append(f"{'/'.join(here)}: a symbolic link, not followed")
                    continue
                if item.is_dir(follow_symlinks=False):
                    entries.append(_Entry(here, 0, None, is_dir=True))
                    marks = len(entries), len(problems)
                    try:
                        walk(item.path, here, real / item.name, budget, len(kept) == 1)
                    except _Oversized as over:
                        if over.owner != here:
                            raise
                        del entries[marks[0]:], problems[marks[1]:]
                        entries[-1].oversized = True
                    continue
                if not item.is_file(follow_symlinks=False):
                    continue
                state = item.stat(follow_symlinks=False)
            except OSError as err:
                problems.append(f"{'/'.join(here)}: could not be read ({err.strerror or err})")
                continue
            entries.append(_Entry(here, state.st_size,
                                  FileRef(item.path, stat_identity(state), state.st_size)))

    walk(os.path.abspath(root), (), base, None, False)  # absolute: lanes read these from /
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


def _unwrap(entries: list[_Entry], names: set[str],
            around: tuple[str, ...]) -> tuple[list[_Entry], tuple[str, ...]]:
    """LMS downloads often wrap every learner folder in one more folder: look through it (but
    never below a folder an LMS's tool makes to hold the class, such as GitHub Classroom's
    `<assignment>-submissions`). Also returns `around` with the wrappers looked through."""
    while not any(is_container(name) for name in around):
        files = [e for e in entries if not e.is_dir]
        tops = {e.parts[0] for e in entries}
        if not files or len(tops) != 1 or any(len(e.parts) < 3 for e in files):
            break
        if any(unicodedata.normalize("NFC", e.parts[1]) in names
               for e in files):  # the single folder is a learner's
            break
        around = (*around, unicodedata.normalize("NFC", entries[0].parts[0]))
        entries = [_Entry(e.parts[1:], e.size, e.read, e.is_link, e.is_dir, e.oversized)
                   for e in entries if len(e.parts) > 1]
    return entries, around


def _cap_learners(entries: list[_Entry]) -> list[_Entry]:
    """A learner's folder of more than MAX_LEARNER_ENTRIES files and folders (a zip's, counted
    here; a folder's, cut short while walking it) becomes one `oversized` entry."""
    counts: dict[str, int] = {}
    for entry in entries:
        if len(entry.parts) > 1:
            counts[entry.parts[0]] = counts.get(entry.parts[0], 0) + 1
    over = {top for top, count in counts.items() if count > MAX_LEARNER_ENTRIES}
    over |= {entry.parts[0] for entry in entries if entry.oversized}
    if not over:
        return entries
    kept = [e for e in entries if e.parts[0] not in over]
    return kept + [_Entry((top,), 0, None, is_dir=True, oversized=True) for top in sorted(over)]


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
    forces a shape of download (see lms/) instead of recognising it. `exclude`: the
    grader's own output (OUT, the gradebook), should the instructor have put it inside. Close
    the collection (or use it in a `with`) once graded: a zip is read until then."""
    if not source.exists():
        raise CollectError(f"no such folder or zip file: {source}")
    names = {s.notebook for s in steps}
    if source.is_dir():
        entries, problems = _folder_entries(source, exclude)
        around = (unicodedata.normalize("NFC", _as_text(source.resolve().name)),)
        return _assemble(str(source), entries, problems, names, steps, layout, around)
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
        around = (unicodedata.normalize("NFC", _as_text(source.stem)),)
        collection = _assemble(str(source), entries, problems, names, steps, layout, around)
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


def _learner_entries(entries: list[_Entry], names: set[str], around: tuple[str, ...],
                     collection: Collection) -> tuple[list[_Entry], tuple[str, ...]]:
    """The download's entries from the learners' level down: wrappers looked through, hidden
    folders passed over, folder names in NFC, oversized learner folders one entry each."""
    kept, hidden = [], set()
    entries, around = _unwrap(entries, names, around)
    for entry in entries:
        top = entry.parts[0]
        if top.startswith("."):  # .ipynb_checkpoints, .vscode and the like: not a learner
            if top not in hidden:
                hidden.add(top)
                collection.ignored.append(f"{top}: a hidden folder, not a learner")
            continue
        kept.append(entry)
    ids, notes = _learner_ids(kept)
    collection.ignored += notes
    named = [_Entry((ids[e.parts[0]], *(unicodedata.normalize("NFC", p) for p in e.parts[1:])),
                    e.size, e.read, e.is_link, e.is_dir, e.oversized) for e in kept]
    return _cap_learners(named), around


def _oversized(learner: LearnerFiles, steps: tuple[Step, ...]) -> None:
    """A learner whose folder was too large to read: `invalid`, not missing, for each step."""
    why = (f"your folder (or repository) holds more than {MAX_LEARNER_ENTRIES:,} files and "
           "folders, so it was not read; hand in only the course notebooks")
    learner.handins = {s.notebook: HandIn(s.notebook, "", problem=why) for s in steps
                       if s.notebook not in OPTIONAL_NOTEBOOKS}
    learner.note_ignored(f"everything: {why}")


def _file(learner: LearnerFiles, entry: _Entry, placed: Placed, steps: tuple[Step, ...]) -> None:
    """One placed file into its learner's hand-ins, attachments or ignored files."""
    if placed.ignore:
        learner.ignored.append(f"{'/'.join(entry.parts)}: {placed.ignore}")
        return
    entry = _Entry((learner.learner, *placed.parts), entry.size, entry.read, entry.is_link)
    if entry.parts[-1] in ATTACHMENTS and not entry.is_link:
        relative = "/".join(entry.parts[1:])
        if entry.size > MAX_ATTACHMENT_BYTES:
            learner.ignored.append(f"{relative}: larger than {MAX_ATTACHMENT_BYTES:,} bytes, "
                                   "not used")
        else:
            learner.attachments[relative] = entry.read  # type: ignore[assignment]
        return
    step, note = _match(entry.parts[-1], steps)
    if step is None:
        learner.ignored.append("/".join(entry.parts[1:]))
        return
    _add(learner, step, entry, note)
    if placed.note and step.notebook in learner.handins:
        learner.handins[step.notebook].notes.append(placed.note)


def _assemble(label: str, entries: list[_Entry], problems: list[str], names: set[str],
              steps: tuple[Step, ...], forced: str | None = None,
              around: tuple[str, ...] = ()) -> Collection:
    collection = Collection(label, ignored=list(problems))
    entries, around = _learner_entries(entries, names, around, collection)
    try:
        recognition = recognise(((e.parts, e.is_dir) for e in entries),
                                names | set(ATTACHMENTS), forced, around)
    except LayoutError as err:
        raise CollectError(str(err)) from err
    collection.layout = recognition.describe()
    too_large = set()
    for entry in entries:
        placed = recognition.layout.place(entry.parts, entry.is_dir)  # type: ignore[attr-defined]
        if entry.oversized and not isinstance(placed, Placed):
            placed = Unplaced(f"a folder of more than {MAX_LEARNER_ENTRIES:,} files and "
                              "folders, not read")
        if placed is None:
            continue
        if isinstance(placed, Unplaced):
            collection.ignored.append(f"{'/'.join(entry.parts)}: {placed.reason}")
            if recognition.from_lms or entry.oversized:
                collection.unplaced.append(f"{'/'.join(entry.parts)}: {placed.reason}")
            continue
        # a learner who handed in nothing still gets a row
        learner = collection.learners.setdefault(placed.learner, LearnerFiles(placed.learner))
        learner.identify(placed)
        if entry.oversized:
            too_large.add(placed.learner)
        elif not entry.is_dir:
            _file(learner, entry, placed, steps)
    for learner in collection.learners.values():
        if learner.learner in too_large:
            _oversized(learner, steps)
            continue
        used = {name for handin in learner.handins.values()
                for name in (str(PurePosixPath(handin.found_as).parent / n) for n in ATTACHMENTS)}
        for stray in sorted(set(learner.attachments) - used):
            learner.ignored.append(f"{stray}: not beside {ATTACHMENTS[PurePosixPath(stray).name]}"
                                   ", so not used")
    if not collection.learners:
        raise CollectError(f"no learner folders in {label} (expected one folder per learner, "
                           "each holding that learner's notebooks)")
    return collection
