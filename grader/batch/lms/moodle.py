"""Moodle: "Download all submissions" in; the grading worksheet and feedback files out.

**How Moodle names a download** (moodle/moodle, mod/assign/classes/downloader.php, 4.1 and
later; `assign::download_submissions` in locallib.php before): `#get_student_prefix` is the
learner's full name with `_` turned into spaces, `_`, and their participant id
(`assign::get_uniqueid_for_user`, the number the grading worksheet shows as "Participant N");
with blind marking the name is the word "Participant" in the site's language. Each submission
plugin's files then go in a folder `<prefix>_assignsubmission_file` (4.1 and later; 4.0 and
earlier end it with one more `_`), or, with "Download submissions in folders" off, every file is
named `<prefix>_assignsubmission_file_<file>`. Moodle's own feedback importer reads both folder
forms (mod/assign/feedback/file/importziplib.php, `is_valid_filename_for_import`: "fullname_
userid_plugintype_pluginname (as created by zip export in Moodle >= 4.1) resp. fullname_userid_
plugintype_pluginname_ (as created by earlier versions)"). Moodle marks no lateness in names.

**Team submissions** are named the same way from the *group*: the group's name and the group's
id (`Team Red_42_assignsubmission_file`), or "Default group" (in the site's language) and no id
for those in none. A download with such an id-less name is a team download for certain, and
`grade` refuses it in one line; without one, names alone can't tell a group's id from a
participant's, so `export moodle` refuses a team assignment's worksheet (it has a "Group"
column) and any row whose name differs from the name the download carried for that id.

**Grades back**: "Download grading worksheet" (mod/assign/gradingtable.php) has the columns
"Identifier" ("Participant N"), "Full name" (absent under blind marking), "Status", "Group" for
team submissions, "Grade", "Maximum Grade" (written with `format_float`, so `100,00` on a site
whose decimal mark is a comma)... in the site's language; the importer
(mod/assign/feedback/offline/importgradeslib.php) finds its columns by `get_string()` too, and
reads the grade with `unformat_float` and skips one above the maximum. Here the names of the
columns in English, German, French, Spanish and Portuguese (Moodle's language packs: assign's
`recordid`, `maxgrade`, `submissionteam`; core's `grade`, `fullname`) are known; `--id-column`,
`--column` and `--max-column` name them in any other language.

**Feedback back**: "Upload multiple feedback files in a zip" reads the participant id from the
name prefix the download used, so each learner's report goes in as `<prefix>_feedback.html`.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path as FilePath

from . import Path, Placed, Unplaced, course_files
from . import sheet as sheets
from .grades import ExportError, Filled, Graded, Options

NAME = "moodle"
TITLE = "Moodle 'Download all submissions'"
PREFIX = re.compile(r"^(?P<name>[^_]*)_(?P<id>[0-9]+)_(?P<plugin>assign(?:submission|feedback)_"
                    r"[a-z0-9]+)(?:_(?P<rest>.*))?$")
NO_ID = re.compile(r"^[^_]*_assign(?:submission|feedback)_[a-z0-9]+(?:_.*)?$")


class Layout:
    def __init__(self, paths: list[tuple[Path, bool]], names: set[str],
                 around: tuple[str, ...] = (), forced: bool = False) -> None:
        self.files = course_files(paths, names)
        self.no_id = sorted({p[0] for p in self.files
                             if NO_ID.match(p[0]) and not PREFIX.match(p[0])})

    def refusal(self) -> str:
        if not self.no_id:
            return ""
        return (f"this is a Moodle team download ({self.no_id[0]!r} has no participant id, as "
                "Moodle names the files of learners in no group): its other names carry group "
                "ids, not participants, so it can't be graded per participant; grade it team "
                "by team with --layout folders (each team's folder one learner) and enter the "
                "grades in Moodle")

    def fit(self) -> tuple[float, str]:
        named = sum(bool(PREFIX.match(p[0])) for p in self.files)
        share = named / len(self.files) if self.files else 0.0
        return share, (f"{named} file(s) under a name of the form "
                       "'Full Name_id_assignsubmission_file'")

    def place(self, path: Path, is_dir: bool) -> Placed | Unplaced | None:
        match = PREFIX.match(path[0])
        rest = (match["rest"] or "") if match else ""
        if is_dir:
            if len(path) == 1 and match and not rest:
                return Placed(match["id"], (), name=match["name"], prefix=path[0])
            return None
        if not match:
            return Unplaced("Moodle names each learner's folder 'Full Name_id_"
                            "assignsubmission_file'; the learner can't be told from this one")
        folder = f"{match['name']}_{match['id']}_{match['plugin']}"
        common = dict(name=match["name"], prefix=folder)
        if len(path) == 1:  # downloaded without folders: the prefix is on the file's name
            if not rest:
                return Unplaced("a Moodle file name with nothing after the learner's prefix")
            return Placed(match["id"], (rest,), **common)
        if rest:
            return Unplaced("not inside a Moodle learner folder")
        return Placed(match["id"], path[1:], **common)


def feedback_name(graded: Graded, stem: str) -> str:
    """`<the download's prefix>_feedback.html`, which Moodle's feedback zip import matches to
    the participant; `<stem>.html` for a learner the download gave no prefix."""
    prefix = graded.upload_prefix
    if not prefix:
        return f"{stem}.html"
    return f"{prefix.rstrip('_')}_feedback.html"


# --- the grading worksheet, filled in ------------------------------------------------------

# The worksheet's headings in en, de, fr, es, pt (Moodle's language packs)
ID_COLUMNS = ("Identifier", "ID", "Identifiant", "Identificador")
GRADE_COLUMNS = ("Grade", "Bewertung", "Note", "Calificación", "Nota")
MAX_COLUMNS = ("Maximum Grade", "Bestwertung", "Note maximale", "Calificación máxima",
               "Nota máxima")
NAME_COLUMNS = ("Full name", "Vollständiger Name", "Nom complet", "Nombre completo",
                "Nome completo")
TEAM_COLUMNS = ("Group", "Gruppe", "Groupe", "Grupo")
SCALE_COLUMNS = ("Scale", "Skala", "Barème", "Escala")


def _words(name: str) -> list[str]:
    """A name as Moodle's download and worksheet could both write it: `_` as a space, what
    `clean_filename` drops dropped, case and word order aside."""
    name = unicodedata.normalize("NFC", name).replace("_", " ")
    name = re.sub(r"[\x00-\x1f&<>\"`|':\\/,]", "", name)
    return sorted(name.casefold().split())


BLIND_NAMES = ("Participant", "Teilnehmer/in", "Participante")  # assign's `participant`
PARTICIPANT = re.compile(r"^(?P<word>[^0-9]*?)\s*(?P<id>[0-9]+)\s*$")


def _same_learner(downloaded: str, listed: str, identifier: str) -> bool:
    """Whether the worksheet's full name is the download's for that id (a blind-marking
    download says "Participant" in the site's language, as the worksheet's identifier does)."""
    if not downloaded or not listed:
        return True
    placeholders = [*BLIND_NAMES, re.sub(r"[0-9]+\s*$", "", identifier)]
    return _words(downloaded) in [_words(listed), *map(_words, placeholders)]


def _participants(cells: list[str]) -> bool:
    """Whether a column holds Moodle's identifiers ("Participant 5501", "Teilnehmer/in5501":
    one word, in any language, and the participant id), not ids to match as they are."""
    found = [PARTICIPANT.match(c.strip()) for c in cells if c.strip()]
    return bool(found) and all(found) and len({m["word"] for m in found}) == 1 \
        and bool(found[0]["word"])


def _columns(book: sheets.Sheet, options: Options) -> tuple[int, int, int | None, int | None]:
    """Where the id, the grade, the maximum and the full name are; a team worksheet or a
    grade on a scale is refused here."""
    team = book.columns(TEAM_COLUMNS)
    if team:
        raise ExportError(
            f"{book.path} is a team assignment's worksheet (its {book.header[team[0]]!r} "
            "column): Moodle's team download names files after each group and the group's id, "
            "not a participant, so its grades can't be matched to participants; enter them in "
            "Moodle (export plain lists one score per team)")
    id_at = book.column([options.id_column] if options.id_column else ID_COLUMNS,
                        "Moodle's participant identifier", "--id-column")
    grade_at = book.column([options.column] if options.column else GRADE_COLUMNS,
                           "where Moodle reads the grade", "--column")
    if options.max_column:
        max_at: int | None = book.column([options.max_column], "the maximum grade",
                                         "--max-column")
    else:
        found = book.columns(MAX_COLUMNS)
        max_at = found[0] if len(found) == 1 else None
        if max_at is None and book.columns(SCALE_COLUMNS):
            raise ExportError(f"{book.path} grades on a scale, not in points: enter the "
                              "grades in Moodle, or give the assignment a points grade")
    names = book.columns(NAME_COLUMNS)
    return id_at, grade_at, max_at, names[0] if len(names) == 1 else None


def fill(results: dict[str, Graded], path: FilePath, options: Options) -> Filled:
    """Moodle's grading worksheet with its grade column filled, scaled to each row's maximum,
    in the file's own separator and decimal mark."""
    try:
        book = sheets.read(path, "the grading worksheet from Moodle (View all submissions > "
                                 "Download grading worksheet)")
        id_at, grade_at, max_at, name_at = _columns(book, options)
    except sheets.SheetError as err:
        raise ExportError(str(err)) from err
    by_participant = not options.id_column or _participants([r[id_at] for r in book.rows[1:]])
    numbers = [row[i] for row in book.rows[1:] for i in (grade_at, max_at) if i is not None]
    mark = sheets.decimal_mark(numbers, book.separator)
    filled = Filled("", column=book.header[grade_at])
    seen = set()
    for row in book.rows[1:]:
        ident = row[id_at].strip()
        number = re.search(r"([0-9]+)\s*$", ident)
        key = (number.group(1) if number else "") if by_participant else ident
        graded = results.get(key) if key else None
        listed = row[name_at].strip() if name_at is not None else ""
        if graded is None:
            if ident:
                filled.unmatched_rows.append(f"{listed or '?'} ({ident})")
            continue
        seen.add(key)
        if not _same_learner(graded.name, listed, ident):
            filled.refused.append(
                f"{ident}: the download named this id {graded.name!r}, the worksheet "
                f"{listed!r} (a team's group id?), so not filled")
            continue
        maximum = sheets.number(row[max_at]) if max_at is not None else None
        row[grade_at] = sheets.written(graded.scaled(maximum), mark)
        filled.filled += 1
    filled.missing = sorted(k for k in results if k not in seen)
    filled.text = book.text()
    return filled
