"""`python -m grader export`: a grading run's scores back into an LMS's own import file.

An LMS imports grades best from the file it exported itself; each LMS's module (lms/) knows
its file and how it names feedback files, and this command only reads results.json, asks the
module to fill the file, writes the result atomically and says who was and wasn't matched.
`plain` (one row per learner) serves every other LMS and any spreadsheet. For a Canvas group
assignment, `--groups` (the group set's export) gives every member their group's result
(lms/canvas_groups.py says how Canvas hands group work in and takes grades back, with its
sources). The grading knows nothing of any LMS.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import zipfile
from pathlib import Path

from ..files import write_atomic
from . import lms
from .lms.canvas_groups import Shared, with_groups
from .lms.grades import ExportError, Filled, Graded, Options


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


def plain(results: dict[str, Graded], shared: Shared | None = None) -> Filled:
    """One row per learner, for any other LMS or spreadsheet. The learner's id and name come
    from the hand-ins' file names, so a formula there is written as text. With groups, one row
    per member, with the group's name and whose hand-in the score is."""
    import csv

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
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return Filled(buffer.getvalue(), filled=len(results))


def feedback_zip(lms_name: str, results: dict[str, Graded], out: Path, target: Path,
                 only: set[str] | None = None) -> int:
    """Each learner's HTML feedback, named as the LMS's bulk upload matches it to its learner
    (lms/<name>.py, `feedback_name`). `only`: these learners' alone (with groups: the hand-ins
    that stand for a group, and learners in no group; Canvas gives a group's file to every
    member)."""
    from .reports import feedback_names

    module = lms.by_name(lms_name if lms_name in lms.NAMES else lms.FALLBACK)
    names = feedback_names(list(results))  # as the grading run named the files
    buffer = io.BytesIO()
    packed = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, graded in results.items():
            source = out / "feedback" / f"{names[key]}.html"
            if (only is not None and key not in only) or not source.is_file():
                continue
            archive.writestr(module.feedback_name(graded, names[key]), source.read_bytes())
            packed += 1
    write_atomic(target, buffer.getvalue())
    return packed


DESCRIPTION = """\
Write a grading run's scores into a file your LMS imports. OUT is the output folder of
`python -m grader grade` (it reads OUT/results.json).

  canvas  fills one assignment column of the gradebook CSV exported from Canvas (Grades >
          Export), keeping its header rows and every other column; learners are matched on
          Canvas's "ID" column, which is the user id a Canvas download's file names carry.
          A `;`-separated export with decimal commas is written back the same way. An
          anonymous assignment takes scores only once its grades are posted (see README).
  moodle  fills the Grade column of Moodle's grading worksheet (Assignment > View all
          submissions > Download grading worksheet), matching "Participant N", scaled to its
          "Maximum Grade" and written with the worksheet's own decimal mark; headings in
          English, German, French, Spanish or Portuguese are found, any other language's are
          named with --id-column, --column and --max-column. A team assignment's worksheet,
          and a row whose name differs from the download's for that id, are refused.
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
member's copy: no --groups needed.

Scores are scaled to the column's maximum when the file states one (Canvas's "Points
Possible" row, Moodle's "Maximum Grade"). Rows of the file that match no graded learner are
left as they were, and listed; so are graded learners the file lacks.
"""

EPILOG = """\
examples:
  python -m grader export canvas graded/ --gradebook-csv Grades-MLOps.csv -o import.csv
  python -m grader export moodle graded/ --gradebook-csv worksheet.csv -o import.csv \\
      --feedback-zip feedback.zip
  python -m grader export moodle graded/ --gradebook-csv foglio.csv -o import.csv \\
      --id-column Identificativo --column Valutazione --max-column "Valutazione massima"
  python -m grader export plain graded/ -o scores.csv
  python -m grader export canvas graded/ --feedback-zip feedback.zip    # feedback only
  python -m grader export canvas graded/ --gradebook-csv Grades-MLOps.csv -o import.csv \\
      --groups "Project Groups.csv" --feedback-zip feedback.zip
exit status: 0 written; 2 a problem to fix (message on stderr).
"""


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    filling = lms.with_gradebook()
    export = commands.add_parser(
        "export", help="write grades into a file your LMS imports (instructors)",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    export.add_argument("lms", choices=(*filling, "plain"), metavar="LMS",
                        help=", ".join(filling) + " or plain")
    export.add_argument("out", type=Path, metavar="OUT", help="a grading run's output folder")
    export.add_argument("--gradebook-csv", type=Path, default=None, metavar="CSV",
                        help="the gradebook file exported from the LMS (" + ", ".join(filling)
                             + ")")
    export.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                        help="the CSV to write, for the LMS's import (leave it out to write "
                             "only --feedback-zip)")
    export.add_argument("--column", default=None, metavar="TEXT",
                        help="canvas: part of the assignment column's name (needed when the "
                             "export has more than one assignment); moodle: the grade "
                             "column's heading, for a worksheet in another language")
    export.add_argument("--id-column", default=None, metavar="NAME",
                        help="the file's column holding the learner ids the hand-ins carried "
                             "(default: ID for canvas, Identifier for moodle); e.g. 'SIS "
                             "Login ID' when learner folders were named after it")
    export.add_argument("--max-column", default=None, metavar="NAME",
                        help="moodle: the maximum grade column's heading, for a worksheet in "
                             "another language")
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


def _filled(args: argparse.Namespace, results: dict[str, Graded],
            shared: Shared | None) -> Filled:
    if args.lms == "plain":
        return plain(results, shared)
    if args.gradebook_csv is None:
        raise ExportError(f"{args.lms} needs --gradebook-csv: the gradebook file exported from "
                          f"{args.lms.capitalize()}, which this fills in")
    options = Options(args.column, args.id_column, args.max_column)
    return lms.by_name(args.lms).fill(results, args.gradebook_csv, options)


def run(args: argparse.Namespace) -> int:
    if args.groups is not None and not (args.lms == "plain" or getattr(
            lms.by_name(args.lms), "GROUP_SETS", False)):
        return _fail("--groups reads Canvas's group set export; for Moodle, export without it "
                     "(see --help)")
    if args.output is None and args.feedback_zip is None:
        return _fail("say what to write: -o FILE (the grades), --feedback-zip ZIP, or both")
    shared, export = None, None
    try:
        graded = load_results(args.out)
        results = graded
        if args.groups is not None:
            results, shared = with_groups(graded, args.groups, args.id_column or "ID")
        if args.output is not None:
            export = _filled(args, results, shared)
    except ExportError as err:
        return _fail(str(err))
    if export is not None and args.lms != "plain" and export.filled == 0:
        why = (f"{len(export.refused)} matched but were refused (first: {export.refused[0]})"
               if export.refused else f"learner ids such as {_listing(sorted(results)[:3], 3)}")
        return _fail(f"no row of {args.gradebook_csv} was filled ({why}); is it the right "
                     "file, or do the ids live in another column (--id-column)?")
    try:
        if export is not None:
            write_atomic(args.output, export.text)
        only = None if shared is None else (
            {k for k in graded if k not in shared.source} | shared.used)
        packed = (feedback_zip(args.lms, graded, args.out, args.feedback_zip, only)
                  if args.feedback_zip else None)
    except OSError as err:
        return _fail(f"can't write {err.filename or args.output}: {err.strerror or err}")
    _say(args, export, shared, packed)
    return 0


def _say(args: argparse.Namespace, export: Filled | None, shared: Shared | None,
         packed: int | None) -> None:
    if export is not None:
        _say_filled(args, export)
    if shared is not None:
        _say_groups(shared)
    if packed is not None:
        per = " (one per group: Canvas gives it to every member)" if shared else ""
        print(f"Wrote {args.feedback_zip}: {packed} feedback file(s){per}.")
        note = getattr(lms.by_name(args.lms), "FEEDBACK_NOTE", "") if args.lms != "plain" else ""
        if note:
            print(f"  {note}")


def _say_filled(args: argparse.Namespace, export: Filled) -> None:
    from .reports import terminal_safe

    where = f" into column {export.column!r}" if export.column else ""
    print(terminal_safe(f"Wrote {args.output}: {export.filled} learner(s){where}."))
    if export.refused:
        print(f"  {len(export.refused)} row(s) matched a graded learner but were left as they "
              f"were: {_listing(export.refused)}")
    if export.unmatched_rows:
        print(f"  {len(export.unmatched_rows)} row(s) of the file matched no graded learner, "
              f"left as they were: {_listing(export.unmatched_rows)}")
    if export.missing:
        print(f"  {len(export.missing)} graded learner(s) not in the file, so not exported: "
              f"{_listing(export.missing)}")


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
