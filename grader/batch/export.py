"""`python -m grader export`: a grading run's scores back into an LMS's own import file.

An LMS imports grades best from the file it exported itself: Canvas's gradebook CSV (its header
rows and every other column kept as they were), Moodle's grading worksheet. The learner of each
row is matched by the id the hand-ins carried (Canvas's user "ID", Moodle's "Participant N",
or whatever the folders were named after, with --id-column); rows that match no graded learner
are left as they were and listed, and so are graded learners missing from the file. Scores are
scaled to the column's own maximum when the file states one. Feedback files can be packed in a
zip named the way the LMS's bulk upload matches them to learners. For a group assignment,
`--groups` (Canvas's group set export) gives every member their group's result (groups.py says
how Canvas hands group work in and takes grades back, with its sources).

This module only reads results.json: it knows the LMS files, the grading knows nothing of them.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..files import write_atomic
from .groups import GroupsError, Shared, groups_column, read_groups, share


class ExportError(Exception):
    """Something the instructor must fix; one line."""


@dataclass
class Graded:
    learner: str
    name: str
    total: float
    max_total: float
    late: bool | None
    upload_prefix: str


@dataclass
class Export:
    text: str  # the CSV to write
    filled: int = 0
    unmatched_rows: list[str] = field(default_factory=list)  # in the file, not graded
    missing: list[str] = field(default_factory=list)  # graded, not in the file
    column: str = ""


def load_results(out: Path) -> dict[str, Graded]:
    path = out / "results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {key: Graded(key, row.get("name") or "", float(row["total"]),
                            float(row["max_total"]), row.get("late"),
                            row.get("upload_prefix") or "")
                for key, row in data["learners"].items()}
    except FileNotFoundError as err:
        raise ExportError(f"no results.json in {out}: pass the output folder of a grading run "
                          "(python -m grader grade ... -o OUT)") from err
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ExportError(f"{path} is not a results.json written by python -m grader grade "
                          f"({err})") from err


def with_groups(results: dict[str, Graded], path: Path,
                id_column: str) -> tuple[dict[str, Graded], Shared]:
    """Every member of a group that handed in, with the group's result (under their own id and
    name); graded learners in no group as they were. Members of groups with no hand-in are
    left out (their rows stay as they were), and listed in the Shared."""
    try:
        shared = share(read_groups(path, groups_column(id_column)), results)
    except GroupsError as err:
        raise ExportError(str(err)) from err
    members: dict[str, Graded] = {}
    for member, learner in shared.source.items():
        graded = results[learner]
        members[member] = Graded(member, shared.name_of[member] or graded.name, graded.total,
                                 graded.max_total, graded.late, graded.upload_prefix)
    alone = {k: g for k, g in results.items() if k not in shared.source}
    return alone | members, shared


def _score(graded: Graded, maximum: float | None) -> str:
    if maximum is None or graded.max_total <= 0:
        return f"{graded.total:g}"
    return f"{round(graded.total / graded.max_total * maximum, 2):g}"


def _number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value > 0 else None


def _read_csv(path: Path) -> tuple[list[list[str]], bool]:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ExportError(f"can't read the gradebook CSV {path}: {err.strerror or err}") from err
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ExportError(f"{path} is not UTF-8 text; export it from the LMS again") from err
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or not any(rows[0]):
        raise ExportError(f"{path} is empty")
    return rows, bom


def _write_csv(rows: list[list[str]], bom: bool) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return ("\ufeff" if bom else "") + buffer.getvalue()


def _find(header: list[str], wanted: str, what: str, path: Path) -> int:
    exact = [i for i, h in enumerate(header) if h.strip() == wanted]
    if exact:
        return exact[0]
    raise ExportError(f"{path} has no {wanted!r} column ({what}); its columns: "
                      + ", ".join(repr(h) for h in header[:12]))


CANVAS_ASSIGNMENT = re.compile(r"\(\d+\)\s*$")


def _canvas_column(header: list[str], wanted: str | None, path: Path) -> int:
    if wanted:
        hits = [i for i, h in enumerate(header) if wanted.casefold() in h.casefold()]
    else:
        hits = [i for i, h in enumerate(header) if CANVAS_ASSIGNMENT.search(h)]
    if len(hits) == 1:
        return hits[0]
    names = [h for h in header if CANVAS_ASSIGNMENT.search(h)]
    if not hits:
        what = f"matching {wanted!r}" if wanted else "for an assignment"
        raise ExportError(f"no column {what} in {path}; pass --column with part of one of: "
                          + ", ".join(repr(n) for n in names))
    raise ExportError(f"{len(hits)} columns of {path} could take the grade; pass --column with "
                      "part of one of: " + ", ".join(repr(header[i]) for i in hits))


def fill_canvas(results: dict[str, Graded], path: Path, column: str | None = None,
                id_column: str = "ID") -> Export:
    """Canvas's exported gradebook CSV with the course's column filled in."""
    rows, bom = _read_csv(path)
    header = rows[0]
    id_at = _find(header, id_column, "Canvas's user id", path)
    target = _canvas_column(header, column, path)
    student_at = 0
    maximum = None
    export = Export("", column=header[target])
    seen = set()
    for row in rows[1:]:
        row.extend([""] * (len(header) - len(row)))
        key = row[id_at].strip()
        if not key:  # "Points Possible" and the other header rows Canvas writes: kept as is
            if row[student_at].strip() == "Points Possible":
                maximum = _number(row[target])
            continue
        graded = results.get(key)
        if graded is None:
            export.unmatched_rows.append(f"{row[student_at].strip() or '?'} (ID {key})")
            continue
        row[target] = _score(graded, maximum)
        seen.add(key)
        export.filled += 1
    export.missing = sorted(k for k in results if k not in seen)
    export.text = _write_csv(rows, bom)
    return export


def fill_moodle(results: dict[str, Graded], path: Path,
                id_column: str = "Identifier") -> Export:
    """Moodle's grading worksheet ("Download grading worksheet") with its Grade column filled."""
    rows, bom = _read_csv(path)
    header = rows[0]
    id_at = _find(header, id_column, "Moodle's participant identifier", path)
    grade_at = _find(header, "Grade", "where Moodle reads the grade", path)
    maximum_at = next((i for i, h in enumerate(header) if h.strip() == "Maximum Grade"), None)
    name_at = next((i for i, h in enumerate(header) if h.strip() == "Full name"), id_at)
    export = Export("", column=header[grade_at])
    seen = set()
    for row in rows[1:]:
        row.extend([""] * (len(header) - len(row)))
        ident = row[id_at].strip()
        number = re.search(r"(\d+)\s*$", ident)
        key = number.group(1) if number and id_column == "Identifier" else ident
        graded = results.get(key)
        if graded is None:
            if ident:
                export.unmatched_rows.append(f"{row[name_at].strip() or '?'} ({ident})")
            continue
        maximum = _number(row[maximum_at]) if maximum_at is not None else None
        row[grade_at] = _score(graded, maximum)
        seen.add(key)
        export.filled += 1
    export.missing = sorted(k for k in results if k not in seen)
    export.text = _write_csv(rows, bom)
    return export


def plain(results: dict[str, Graded], shared: Shared | None = None) -> Export:
    """One row per learner, for any other LMS or spreadsheet. The learner's id and name come
    from the hand-ins' file names, so a formula there is written as text. With groups, one row
    per member, with the group's name and whose hand-in the score is."""
    from .reports import spreadsheet_safe

    rows = [["learner", "name", "score", "max_score", "percent", "late"]
            + (["group", "graded_from"] if shared else [])]
    for graded in results.values():
        percent = 100 * graded.total / graded.max_total if graded.max_total else 0.0
        late = "" if graded.late is None else ("yes" if graded.late else "no")
        row = [spreadsheet_safe(graded.learner), spreadsheet_safe(graded.name),
               f"{graded.total:g}", f"{graded.max_total:g}", f"{percent:.1f}", late]
        if shared:
            row += [spreadsheet_safe(shared.group_of.get(graded.learner, "")),
                    spreadsheet_safe(shared.source.get(graded.learner, graded.learner))]
        rows.append(row)
    return Export(_write_csv(rows, False), filled=len(results))


def feedback_zip(lms: str, results: dict[str, Graded], out: Path, target: Path,
                 only: set[str] | None = None) -> int:
    """Each learner's HTML feedback, named so the LMS's bulk upload finds its learner: Moodle's
    "Upload multiple feedback files in a zip" and Canvas's "Re-Upload Submissions" both read
    the learner from the name prefix their own download gave the learner's files. `only`:
    these learners' alone (with groups: the hand-ins that stand for a group, and learners in
    no group; Canvas gives a group's file to every member)."""
    from .reports import feedback_names

    names = feedback_names(list(results))  # as the grading run named the files
    buffer = io.BytesIO()
    packed = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, graded in results.items():
            if only is not None and key not in only:
                continue
            source = out / "feedback" / f"{names[key]}.html"
            if not source.is_file():
                continue
            prefix = graded.upload_prefix if lms in ("canvas", "moodle") else ""
            if lms == "moodle" and prefix and not prefix.endswith("_"):
                prefix += "_"
            archive.writestr(f"{prefix}feedback.html" if prefix else f"{names[key]}.html",
                             source.read_bytes())
            packed += 1
    write_atomic(target, buffer.getvalue())
    return packed


DESCRIPTION = """\
Write a grading run's scores into a file your LMS imports. OUT is the output folder of
`python -m grader grade` (it reads OUT/results.json).

  canvas  fills one assignment column of the gradebook CSV exported from Canvas (Grades >
          Export), keeping its header rows and every other column; learners are matched on
          Canvas's "ID" column, which is the user id a Canvas download's file names carry.
  moodle  fills the Grade column of Moodle's grading worksheet (Assignment > View all
          submissions > Download grading worksheet), matching "Participant N".
  plain   one row per learner: learner, name, score, max_score, percent, late (with
          --groups, one row per member, and group, graded_from).

Group assignments (canvas, plain): Canvas's download holds each group's files once, under
one member's user id, so a run grades that member only. --groups CSV, the group set's export
(People > Groups; the API's GET /api/v1/group_categories/ID/export: name, canvas_user_id,
login_id, sections, group_name, canvas_group_id..., in any order), gives every member of a
group that handed in the group's score, the same for all of them, as Canvas keeps it for an
assignment graded as a group. Members of a group with no hand-in are left as they were, and
listed; a learner in no group is exported as without --groups. If two members of one group
were graded, the latest upload (highest Canvas file id; else the highest score) stands for
the group, and that is said. Members are matched on canvas_user_id (user_id or login_id with
--id-column "SIS User ID" or "SIS Login ID"). The feedback zip then holds one file per group,
under the name Canvas's download gave it: Canvas's Re-Upload Submissions posts it to every
member. An assignment set to "Assign Grades to Each Student Individually" downloads every
member's copy: no --groups needed. (Moodle's group downloads are not covered.)

Scores are scaled to the column's maximum when the file states one (Canvas's "Points
Possible" row, Moodle's "Maximum Grade"). Rows of the file that match no graded learner are
left as they were, and listed; so are graded learners the file lacks.
"""

EPILOG = """\
examples:
  python -m grader export canvas graded/ --gradebook-csv Grades-MLOps.csv -o import.csv
  python -m grader export moodle graded/ --gradebook-csv worksheet.csv -o import.csv \\
      --feedback-zip feedback.zip
  python -m grader export plain graded/ -o scores.csv
  python -m grader export canvas graded/ --gradebook-csv Grades-MLOps.csv -o import.csv \\
      --groups "Project Groups.csv" --feedback-zip feedback.zip
exit status: 0 written; 2 a problem to fix (message on stderr).
"""


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    export = commands.add_parser(
        "export", help="write grades into a file your LMS imports (instructors)",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    export.add_argument("lms", choices=("canvas", "moodle", "plain"), metavar="LMS",
                        help="canvas, moodle or plain")
    export.add_argument("out", type=Path, metavar="OUT", help="a grading run's output folder")
    export.add_argument("--gradebook-csv", type=Path, default=None, metavar="CSV",
                        help="the gradebook CSV exported from the LMS (canvas, moodle)")
    export.add_argument("-o", "--output", type=Path, required=True, metavar="FILE",
                        help="the CSV to write, for the LMS's import")
    export.add_argument("--column", default=None, metavar="TEXT",
                        help="canvas: part of the assignment column's name (needed when the "
                             "export has more than one assignment)")
    export.add_argument("--id-column", default=None, metavar="NAME",
                        help="the file's column holding the learner ids the hand-ins carried "
                             "(default: ID for canvas, Identifier for moodle); e.g. 'SIS "
                             "Login ID' when learner folders were named after it")
    export.add_argument("--feedback-zip", type=Path, default=None, metavar="ZIP",
                        help="also write every learner's HTML feedback into ZIP, named for the "
                             "LMS's bulk upload")
    export.add_argument("--groups", type=Path, default=None, metavar="CSV",
                        help="canvas, plain: a group assignment's group set, as Canvas exports "
                             "it (People > Groups > Export); every member of a group gets the "
                             "group's score")
    export.set_defaults(run=run)
    return export


def _fail(message: str) -> int:
    from .reports import terminal_safe

    print(terminal_safe(f"grader export: {message}"), file=sys.stderr)
    return 2


def _listing(items: list[str], limit: int = 10) -> str:
    from .reports import terminal_safe  # learners' ids and the names they gave the LMS

    shown = terminal_safe(", ".join(items[:limit]))
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def run(args: argparse.Namespace) -> int:
    if args.groups is not None and args.lms == "moodle":
        return _fail("--groups reads Canvas's group set export; for Moodle, export without it "
                     "(see --help)")
    shared = None
    try:
        results = load_results(args.out)
        graded = results
        if args.groups is not None:
            results, shared = with_groups(graded, args.groups, args.id_column or "ID")
        if args.lms == "plain":
            export = plain(results, shared)
        elif args.gradebook_csv is None:
            return _fail(f"{args.lms} needs --gradebook-csv: the gradebook file exported from "
                         f"{args.lms.capitalize()}, which this fills in")
        elif args.lms == "canvas":
            export = fill_canvas(results, args.gradebook_csv, args.column,
                                 args.id_column or "ID")
        else:
            export = fill_moodle(results, args.gradebook_csv, args.id_column or "Identifier")
    except ExportError as err:
        return _fail(str(err))
    if args.lms != "plain" and export.filled == 0:
        return _fail(f"no row of {args.gradebook_csv} matched a graded learner (learner ids "
                     f"such as {_listing(sorted(results)[:3], 3)}); is it the right file, or "
                     "do the ids live in another column (--id-column)?")
    try:
        write_atomic(args.output, export.text)
        only = None if shared is None else (
            {k for k in graded if k not in shared.source} | shared.used)
        packed = (feedback_zip(args.lms, graded, args.out, args.feedback_zip, only)
                  if args.feedback_zip else None)
    except OSError as err:
        return _fail(f"can't write {err.filename or args.output}: {err.strerror or err}")
    where = f" into column {export.column!r}" if export.column else ""
    print(f"Wrote {args.output}: {export.filled} learner(s){where}.")
    if export.unmatched_rows:
        print(f"  {len(export.unmatched_rows)} row(s) of the file matched no graded learner, "
              f"left as they were: {_listing(export.unmatched_rows)}")
    if export.missing:
        print(f"  {len(export.missing)} graded learner(s) not in the file, so not exported: "
              f"{_listing(export.missing)}")
    if shared is not None:
        _say_groups(shared)
    if packed is not None:
        per = " (one per group: Canvas gives it to every member)" if shared else ""
        print(f"Wrote {args.feedback_zip}: {packed} feedback file(s){per}.")
    return 0


def _say_groups(shared: Shared) -> None:
    from .reports import terminal_safe

    groups = len({g for g in shared.group_of.values()})
    print(f"  Groups: {len(shared.source)} member(s) of {groups} group(s) took their group's "
          "score.")
    for choice in shared.choices:
        print(terminal_safe(f"  group {choice.group!r}: {len(choice.others) + 1} members handed "
                            f"in; used {choice.used}'s hand-in, {choice.why}; not used: "
                            f"{', '.join(choice.others)}"))
    if shared.empty:
        print(f"  {len(shared.empty)} group(s) handed in nothing, their members left as they "
              f"were: {_listing(shared.empty)}")
