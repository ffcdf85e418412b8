"""Canvas: its "Download Submissions" zip in; its gradebook CSV and "Re-Upload Submissions" out.

**How Canvas names a download's files** (instructure/canvas-lms, lib/content_zipper.rb):
`ContentZipper#add_upload_submission` writes `<prefix>_<file id>_<file name as uploaded>`, and
`#get_filename` makes the prefix `[<name>, "LATE" when late, <user id>].join("_")`, or, for an
assignment graded anonymously, `anon_<anonymous id>` in place of the user id and no name at all
(`LATE_anon_Xk3Qp`). The anonymous id is five base58 characters (`Anonymity.generate_short_id`,
lib/anonymity.rb). The name is the user's sortable name (a group's name, for a group
assignment: `Assignment#representatives`) through `#sanitize_user_name`, which drops the `_`
around any `_<digits>_` ("necessary because we use /_\\d+_/ to infer the user/attachment ids")
and lower-cases it, then `#sanitize_file_name`, which keeps only word characters (letters,
marks, digits, `_`). The uploaded file's name is the learner's own, with `\\/:*?"<>|`
replaced by `_`; uploading a name already used in the learner's files gives `-1`, `-2`...
before the extension (`01_customer_data-1.ipynb`).

**Identity comes from Canvas's part only.** A file name can split more than one way, since the
learner chose what follows Canvas's part (`x_<someone else's id>_9000001_01_customer_data.ipynb`).
A split is read only where its name part is one Canvas could have written (lower case, word
characters, no `_<digits>_` left in it) and its ids are ids (no leading zero). A split inside
the learner's part would keep Canvas's `_<user id>_<file id>_` in its name part, so it is never
taken; what can remain is a name ending in `_<digits>` (a group called `team_7`) against a file
name starting with `<digits>_` (`123401_01_customer_data.ipynb`), and which of the two is true
the name alone can't say. Then the reading another file of the download backs is taken: the
same name, late mark and learner under another file id (Canvas gives each file its own id, and
all of one learner's files one prefix; the other reading's "user id" is this file's own id,
which no other file shares). A name still read two ways is listed, not placed: the file names
the learner chose never decide. Of several uploads of one course file the latest (the highest
Canvas file id) counts.

**Grades back**: the gradebook export (Grades > Export, lib/gradebook_exporter.rb) has the
headers "Student" (or "LastName", "FirstName"), "ID", "SIS User ID", "SIS Login ID", "Section",
then one column per assignment titled `<title> (<assignment id>)`; a "Points Possible" row
(`"    Points Possible"`), and before it, when an assignment posts grades manually, a row of
"Manual Posting" marks. It writes `;` and decimal commas for users whose locale has them (see
sheet.py). The importer (lib/gradebook_importer.rb) matches a row on "ID" (or the SIS ids),
skips those two rows, reads `;` or `,` and either decimal mark, and takes no score for an
anonymous assignment whose grades are not posted yet (`#gradeable?`); the export shows "N/A"
there, and in any case names learners by user id, which an anonymous download doesn't carry.

**Feedback back**: "Re-Upload Submissions" (`AbstractAssignment#generate_comments_from_files`,
`#infer_comment_context_from_filename`) strips a known group name, drops the "LATE" parts, and
reads `anon_<id>_<file id>` or else the first two all-digit `_` parts as user id and file id; it
attaches each file to a comment under the *display name of the upload it points to*. So a
feedback file is named `<the download's prefix>feedback.html` (without the name when the name
has an all-digit part, which Canvas would take for the user id), and Canvas shows it as the
learner's own upload's name (`01_customer_data.ipynb`), though it is the HTML report.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path as FilePath

from . import Path, Placed, Unplaced, course_files
from . import sheet as sheets
from .grades import ExportError, Filled, Graded, Options

NAME = "canvas"
TITLE = "Canvas 'Download Submissions' zip"
GROUP_SETS = True  # `export --groups` reads a Canvas group set's export (canvas_groups.py)
FEEDBACK_NOTE = ("Canvas shows each feedback file under the name of the learner's own upload "
                 "it is attached to (e.g. 01_customer_data.ipynb), though it is the HTML "
                 "report: tell learners to open it in a browser.")
BASE58 = "[1-9A-HJ-NP-Za-km-z]"
ANONYMOUS = re.compile(rf"^(?P<late>LATE_)?anon_(?P<anon>{BASE58}{{5}})_(?P<file_id>[0-9]+)_"
                       r"(?P<file>.+)$")
# Canvas's part after the name, tried at every `_` of a file name
# (ids never start with 0, which also keeps `01_customer_data.ipynb` from reading as ids)
TAIL = re.compile(r"_(?P<late>LATE_)?(?P<user>[1-9][0-9]*)_(?P<file_id>[1-9][0-9]*)_"
                  r"(?P<file>.+)$")
SHAPE = re.compile(r"^(?:.*_(?:LATE_)?[0-9]+|(?:LATE_)?anon_" + BASE58 + r"{5})_[0-9]+_.+$")
DIGITS_BETWEEN = re.compile(r"_[0-9]+_")
RENAMED = re.compile(r"^(?P<stem>.+)-(?P<copy>[0-9]+)(?P<ext>\.[^.]+)$")


@dataclass(frozen=True)
class Reading:
    """One way a file name splits into Canvas's part and the learner's."""

    name: str
    late: bool
    learner: str  # the user id, or `anon_<anonymous id>`
    file_id: int
    file: str  # the name the learner's file was uploaded under

    @property
    def prefix(self) -> str:
        """Canvas's part of the name, up to the uploaded file's name."""
        head = f"{self.name}_" if self.name else ""
        return f"{head}{'LATE_' if self.late else ''}{self.learner}_{self.file_id}_"


def _could_be_name(name: str) -> bool:
    """Whether Canvas's sanitising could have left this name: word characters only, lower
    case, no `_<digits>_` (`#sanitize_user_name`, `#sanitize_file_name`)."""
    return (not DIGITS_BETWEEN.search(name)
            and not any(c.isupper() for c in name)
            and all(c == "_" or unicodedata.category(c)[0] in "LM"
                    or unicodedata.category(c) in ("Nd", "Pc") for c in name))


def readings(file_name: str, anonymous: bool) -> list[Reading]:
    """Every split of `file_name` Canvas could have written."""
    if anonymous:
        found = ANONYMOUS.match(file_name)
        return [Reading("", bool(found["late"]), f"anon_{found['anon']}", int(found["file_id"]),
                        found["file"])] if found else []
    splits = []
    for at in (i for i, c in enumerate(file_name) if c == "_"):
        tail = TAIL.match(file_name, at)
        if tail and _could_be_name(file_name[:at]):
            splits.append(Reading(file_name[:at], bool(tail["late"]), tail["user"],
                                  int(tail["file_id"]), tail["file"]))
    return splits


def original(file: str, names: set[str]) -> tuple[str, int]:
    """The course's name for a file Canvas renamed on a later upload (`-1`, `-2`...), and
    which upload the name says it was (0 for the first)."""
    renamed = RENAMED.match(file)
    if renamed and file not in names and renamed["stem"] + renamed["ext"] in names:
        return renamed["stem"] + renamed["ext"], int(renamed["copy"])
    return file, 0


def _order(reading: Reading, names: set[str]) -> tuple[int, int]:
    """Which upload of a course file is later: Canvas's file id (ids only grow), then the
    number Canvas put in a renamed upload's name."""
    return reading.file_id, original(reading.file, names)[1]


class Layout:
    def __init__(self, paths: list[tuple[Path, bool]], names: set[str],
                 around: tuple[str, ...] = (), forced: bool = False) -> None:
        self.names = names
        self.files = course_files(paths, names)
        flat = [p[0] for p, is_dir in paths if len(p) == 1 and not is_dir]
        shaped = [f for f in flat if SHAPE.match(f)]
        # anonymous grading names every file so, or none: one reading for the whole zip
        self.anonymous = bool(shaped) and all(ANONYMOUS.match(f) for f in shaped)
        self.read: dict[str, Reading | str] = {}  # file name -> its reading, or why none
        self._choose(flat)
        self.latest: dict[tuple[str, str], Reading] = {}
        for reading in self.read.values():
            if isinstance(reading, Reading):
                key = (reading.learner, original(reading.file, self.names)[0])
                known = self.latest.get(key)
                if known is None or _order(reading, self.names) > _order(known, self.names):
                    self.latest[key] = reading

    def _choose(self, flat: list[str]) -> None:
        """Each file's reading: the only one Canvas could have written, or the one another
        of the download's files backs (the same name, late mark and learner under another
        file id: Canvas gives every file its own id, and one learner's files one prefix).
        Otherwise none, and why."""
        found = {file_name: readings(file_name, self.anonymous) for file_name in flat}
        ids: dict[tuple[str, bool, str], set[int]] = {}
        for splits in found.values():
            for r in splits:
                ids.setdefault((r.name, r.late, r.learner), set()).add(r.file_id)
        for file_name, splits in found.items():
            backed = [r for r in splits if ids[r.name, r.late, r.learner] - {r.file_id}]
            if len(splits) == 1 or len(backed) == 1:
                self.read[file_name] = splits[0] if len(splits) == 1 else backed[0]
            elif not splits:
                form = "anon_id_fileid_file" if self.anonymous else "name_userid_fileid_file"
                self.read[file_name] = (f"Canvas names each file {form}; the learner can't be "
                                        "told from this one")
            else:
                self.read[file_name] = (
                    "Canvas's part of this name can be read as more than one learner (user "
                    + " or ".join(r.learner for r in splits) + ") and no other file of the "
                    "download says which; find whose it is and give it that learner's prefix")

    def fit(self) -> tuple[float, str]:
        named = sum(len(p) == 1 and bool(SHAPE.match(p[0])) for p in self.files)
        share = named / len(self.files) if self.files else 0.0
        form = "LATE_anon_id_fileid_file" if self.anonymous else "name_userid_fileid_file"
        return share, (f"{named} file name(s) of the form {form}, at the top of the zip"
                       + (", graded anonymously" if self.anonymous else ""))

    def place(self, path: Path, is_dir: bool) -> Placed | Unplaced | None:
        if is_dir:
            return None
        reading = self.read.get(path[0]) if len(path) == 1 else None
        if not isinstance(reading, Reading):
            return Unplaced(reading or "Canvas's zip is flat, so a file inside a folder can't "
                                       "be told apart by its name")
        course_name = original(reading.file, self.names)[0]
        common = dict(name=reading.name, late=reading.late, prefix=reading.prefix)
        newest = self.latest[reading.learner, course_name]
        if reading is not newest:
            return Placed(reading.learner, (reading.file,), **common,
                          ignore=f"an earlier upload of {course_name} (Canvas file "
                                 f"{reading.file_id}; the latest is {newest.file} as file "
                                 f"{newest.file_id})")
        note = (f"Canvas renamed this re-upload {reading.file}; graded as {course_name}"
                if course_name != reading.file else "")
        return Placed(reading.learner, (course_name,), **common, note=note)


def feedback_name(graded: Graded, stem: str) -> str:
    """`<the download's prefix>feedback.html`, which "Re-Upload Submissions" matches to the
    learner; without the name when it has an all-digit part (Canvas would read it as the user
    id); `<stem>.html` for a learner the download gave no prefix."""
    prefix = graded.upload_prefix
    if not prefix:
        return f"{stem}.html"
    name = graded.name
    if name and prefix.startswith(f"{name}_") and any(
            re.fullmatch(r"[0-9]+", part) for part in name.split("_")):
        prefix = prefix[len(name) + 1:]
    return f"{prefix}feedback.html"


# --- the gradebook export, filled in -------------------------------------------------------

ASSIGNMENT = re.compile(r"\(\d+\)\s*$")
NOT_POSTED = "N/A"  # what the export shows for an anonymous assignment's unposted scores


def _assignment_column(book: sheets.Sheet, wanted: str | None) -> int:
    header = book.header
    if wanted:
        hits = [i for i, h in enumerate(header) if wanted.casefold() in h.casefold()]
    else:
        hits = [i for i, h in enumerate(header) if ASSIGNMENT.search(h)]
    if len(hits) == 1:
        return hits[0]
    names = [h for h in header if ASSIGNMENT.search(h)]
    if not hits:
        what = f"matching {wanted!r}" if wanted else "for an assignment"
        raise ExportError(f"no column {what} in {book.path}; pass --column with part of one "
                          "of: " + ", ".join(repr(n) for n in names))
    raise ExportError(f"{len(hits)} columns of {book.path} could take the grade; pass --column "
                      "with part of one of: " + ", ".join(repr(header[i]) for i in hits))


def _anonymous_only(results: dict[str, Graded], path: FilePath) -> None:
    if results and all(key.startswith("anon_") for key in results):
        raise ExportError(
            f"this run's learners are Canvas anonymous ids ({next(iter(results))}, ...), and "
            f"{path.name} names learners by user id: Canvas takes no score for an anonymous "
            "assignment until its grades are posted; post them, download the submissions "
            "again (now named by user id), grade that download (unchanged notebooks are not "
            "run again) and export that run (feedback can go back now: --feedback-zip without "
            "-o)")


def fill(results: dict[str, Graded], path: FilePath, options: Options) -> Filled:
    """Canvas's exported gradebook CSV with the assignment's column filled in, in the file's
    own separator and decimal mark, every other cell and row as it was."""
    _anonymous_only(results, path)
    try:
        book = sheets.read(path, "the gradebook from Canvas (Grades > Export)")
        id_at = book.column([options.id_column or "ID"], "Canvas's user id", "--id-column")
    except sheets.SheetError as err:
        raise ExportError(str(err)) from err
    target = _assignment_column(book, options.column)
    mark = sheets.decimal_mark((row[target] for row in book.rows[1:]), book.separator)
    filled = Filled("", column=book.header[target])
    maximum = None
    seen = set()
    for row in book.rows[1:]:
        key = row[id_at].strip()
        if not key:  # "Points Possible", "Manual Posting": Canvas's own rows, kept as they are
            if "Points Possible" in row[0]:
                if re.search(r"read\s+only", row[target]):
                    raise ExportError(f"the column {book.header[target]!r} is read only in "
                                      f"{path}; choose an assignment's column with --column")
                maximum = sheets.number(row[target])
            continue
        graded = results.get(key)
        if graded is None:
            filled.unmatched_rows.append(f"{row[0].strip() or '?'} (ID {key})")
            continue
        if row[target].strip() == NOT_POSTED:
            raise ExportError(
                f"{path} shows {NOT_POSTED} for {book.header[target]!r}: an anonymous "
                "assignment whose grades are not posted yet, for which Canvas takes no "
                "score; post its grades in Canvas, export the gradebook again, then export")
        row[target] = sheets.written(graded.scaled(maximum), mark)
        seen.add(key)
        filled.filled += 1
    filled.missing = sorted(k for k in results if k not in seen)
    filled.text = book.text()
    return filled
