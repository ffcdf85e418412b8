"""`python -m grader grade`: the instructor's command.

Exit status 0 means grading completed, whatever the learners scored (their problems are in the
reports, not in the exit status). Anything the instructor must fix (no such folder, an output
folder that can't be written, a broken gradebook) is one line on stderr and status 2; Ctrl-C is
status 130, with every verdict reached so far kept in the gradebook for the next run.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sqlite3
import sys
import tempfile
from pathlib import Path

from . import lms
from .sandbox import MAX_JOBS

DESCRIPTION = """\
Grade a whole class. SUBMISSIONS is a folder with one sub-folder per learner (the folder's name
is the learner's id) holding that learner's course notebooks, named as in notebooks/ (a learner
may hand in only some of them), or a .zip of such folders as an LMS download gives. Canvas's
flat zip, Moodle's folders and GitHub Classroom's repositories are recognised as downloaded
(which one is said; --layout forces one), learner ids and Canvas's late marks included.

Each notebook runs in its own fresh, isolated worker process that sees only what it needs
(Python, its packages, the course package without solutions/, a private /tmp): a wall-clock
deadline, CPU, memory, output and process limits, no network, a system-call filter and, as
root, a user id of this run's own and a memory cgroup of its own (Landlock walls when not
root); everything of it is killed when it ends. The verdicts come from the same checks as the
learners' own check(N) cells.

What counts is yours to choose: by default every notebook (Part 2 and 04b once anyone hands
them in); --notebooks 01,02, --part 1 and --quiz/--no-quiz grade and total only those, and a
notebook outside them is not called missing.

Writes OUT/grades.csv (one row per learner), OUT/results.json (every check and every
notebook's status and runtime), OUT/feedback/<learner>.html and .md (to hand back),
OUT/class.html and OUT/class.json (the class at a glance: scores, each check's most common
mistakes, the quiz's item analysis), and a SQLite gradebook that keys notebooks by content:
running the command again only grades what changed (an unchanged file is not even read
again) and rewrites only the reports that changed, keeps earlier hand-ins as history, and
resumes an interrupted run.
"""

EPILOG = """\
examples:
  python -m grader grade submissions/ -o graded/
  python -m grader grade week3-download.zip -o graded/ --jobs 4 --timeout 60
  python -m grader grade submissions.zip -o graded/ --cluster tcp://scheduler:8786
  python -m grader grade submissions/ -o week1/ --notebooks 01,02
  python -m grader grade submissions/ -o graded/ --part 1 --quiz
exit status: 0 grading completed; 2 a problem to fix (message on stderr); 130 interrupted
(Ctrl-C), 143 stopped (SIGTERM): verdicts reached so far are kept, run again to carry on.
OUT and the gradebook are readable by you only (they hold every learner's grades).
"""

MAX_TIMEOUT = 24 * 3600.0  # a day per notebook is already far more than any course needs
MAX_MEMORY_MB = 1024 * 1024


def _positive(kind: type, most: float) -> object:
    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, not {text}") from None
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"must be a number greater than 0, not {text}")
        if value > most:
            raise argparse.ArgumentTypeError(f"must be at most {most:g}, not {text}")
        return value

    return parse


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `grade` sub-command to the top-level parser's sub-commands."""
    grade = commands.add_parser(
        "grade", help="grade a class of submitted notebooks (instructors)",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    grade.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                       help="folder of learner folders, or a .zip of them")
    grade.add_argument("-o", "--out", type=Path, required=True, metavar="OUT",
                       help="folder for grades.csv, results.json and feedback/ (created)")
    grade.add_argument("--jobs", type=_positive(int, MAX_JOBS), default=None, metavar="N",
                       help="notebooks graded at once (default: the number of CPUs, "
                            f"{os.cpu_count()} here; at most {MAX_JOBS})")
    grade.add_argument("--timeout", type=_positive(float, MAX_TIMEOUT), default=30.0,
                       metavar="SECONDS",
                       help="wall-clock limit per notebook (default: %(default)s)")
    grade.add_argument("--memory", type=_positive(int, MAX_MEMORY_MB), default=512,
                       metavar="MB",
                       help="memory learner code may allocate per notebook, and the size of "
                            "its private /tmp (default: %(default)s)")
    grade.add_argument("--gradebook", type=Path, default=None, metavar="PATH",
                       help="SQLite gradebook to use (default: OUT/gradebook.sqlite)")
    grade.add_argument("--regrade", action="store_true",
                       help="grade every notebook again, even those the gradebook knows")
    grade.add_argument("--layout", choices=lms.NAMES, default=None,
                       help="the shape of the download, when recognising it is ambiguous: "
                            + "; ".join(f"{name}, {lms.by_name(name).TITLE}"
                                        for name in lms.NAMES)
                            + " (default: recognised, and said)")
    grade.add_argument("--cluster", default=None, metavar="ADDRESS",
                       help="grade on Dask workers instead of this machine: a scheduler "
                            "address (tcp://HOST:8786) or local:N for N local worker "
                            "processes. Each worker host grades in its own sandboxed pool "
                            "(--jobs notebooks at once, default its Dask threads); the "
                            "gradebook and reports stay here. Needs pip install '.[cluster]'")
    grade.add_argument("--notebooks", default=None, metavar="LIST",
                       help="grade and total only these notebooks, comma-separated, by number "
                            "or name (01,02,04b or 01_customer_data); the quiz too if named (05)")
    grade.add_argument("--part", action="append", choices=("1", "2"), default=None,
                       help="grade and total only this part (1: notebooks 01-04; 2: notebook "
                            "06); may be given twice, and with --notebooks")
    grade.add_argument("--quiz", action=argparse.BooleanOptionalAction, default=None,
                       help="count the practice quiz (05) beside what --notebooks/--part "
                            "chose, or not (--no-quiz); by default it counts")
    grade.add_argument("-q", "--quiet", action="store_true",
                       help="no progress bar and no summary")
    grade.set_defaults(run=run)
    return grade


def _fail(message: str) -> int:
    from .reports import terminal_safe

    print(terminal_safe(f"grader grade: {message}"), file=sys.stderr)
    return 2


def _check_writable(out: Path) -> str:
    """'' if OUT can be written, else why not: found before any grading is done. A new OUT is
    readable by the instructor only."""
    try:
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as err:
        return f"can't write to the output folder {out}: {err.strerror or err}"
    return ""


def _missing_folders(out: Path) -> list[Path]:
    """The folders that making OUT will create, deepest first."""
    missing = []
    for folder in (out, *out.parents):
        if folder.exists():
            break
        missing.append(folder)
    return missing


def _remove_if_empty(made: list[Path]) -> None:
    """Undo the folders this run made for OUT, if grading stopped before writing to them."""
    for folder in made:
        try:
            folder.rmdir()  # only ever an empty one
        except OSError:
            return


class Stopped(Exception):
    """SIGTERM (a scheduler, `kill`, a closing session): stop like Ctrl-C does."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Stopped


def run(args: argparse.Namespace) -> int:
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    umask = os.umask(0o077)  # reports and gradebook: the instructor's eyes only
    try:
        return _run(args)
    except Stopped:
        print("\ngrader grade: stopped (SIGTERM) before it could start grading.",
              file=sys.stderr)
        return 143
    finally:
        os.umask(umask)
        signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    from ..spec import ALL_STEPS
    from .cluster import ClusterError
    from .collect import CollectError, collect
    from .gradebook import Gradebook, GradebookError
    from .grading import grade_class
    from .pool import GraderFailure
    from .reports import write_reports
    from .sandbox import Limits
    from .selection import SelectionError, select

    try:
        chosen = select(getattr(args, "notebooks", None), getattr(args, "part", None),
                        getattr(args, "quiz", None))
    except SelectionError as err:
        return _fail(str(err))
    if not args.submissions.exists():
        return _fail(f"no such folder or zip file: {args.submissions}")
    made = _missing_folders(args.out)
    problem = _check_writable(args.out)
    if problem:
        return _fail(problem)
    book_path = args.gradebook or args.out / "gradebook.sqlite"
    try:
        collection = collect(args.submissions, ALL_STEPS, getattr(args, "layout", None),
                             exclude=(args.out, book_path))
    except CollectError as err:
        _remove_if_empty(made)
        return _fail(str(err))
    if not args.quiet:
        print(f"Download: {collection.layout}; {len(collection.learners)} learner(s).",
              file=sys.stderr)
    try:
        book = Gradebook(book_path)
    except GradebookError as err:
        collection.close()
        _remove_if_empty(made)
        return _fail(str(err))
    limits = Limits(timeout=args.timeout, memory_mb=args.memory)
    try:
        result = grade_class(collection, jobs=args.jobs, limits=limits, gradebook=book,
                             regrade=args.regrade, progress=not args.quiet,
                             cluster=getattr(args, "cluster", None), hide=(str(args.out),),
                             chosen=chosen)
    except (KeyboardInterrupt, Stopped) as err:
        done = book.graded_count()
        book.close()
        how = "stopped (SIGTERM)" if isinstance(err, Stopped) else "interrupted"
        print(f"\ngrader grade: {how}; {done} verdict(s) are kept in the gradebook. Run "
              "the same command again to carry on.", file=sys.stderr)
        return 143 if isinstance(err, Stopped) else 130
    except sqlite3.Error as err:  # disk full, a locked or damaged database mid-run
        return _fail(f"the gradebook {book.path} could not be used: {err}. Verdicts stored "
                     "before this are kept; fix it (or pass another --gradebook) and run again.")
    except ClusterError as err:
        return _fail(str(err))
    except GraderFailure as err:
        done = book.graded_count()
        return _fail(f"{err}. Nothing was recorded for the notebooks being graded when it "
                     f"stopped; {done} verdict(s) are kept in the gradebook: fix it and run the "
                     "same command again to carry on.")
    finally:
        book.close()
        collection.close()
    try:
        written = write_reports(result, args.out)
    except OSError as err:
        return _fail(f"can't write the reports to {args.out}: {err}")
    except (KeyboardInterrupt, Stopped) as err:  # every report file is whole, old or new
        how = "stopped (SIGTERM)" if isinstance(err, Stopped) else "interrupted"
        print(f"\ngrader grade: {how} while writing the reports; every verdict is kept in the "
              "gradebook. Run the same command again to write them.", file=sys.stderr)
        return 143 if isinstance(err, Stopped) else 130
    if not args.quiet:
        from .reports import terminal_safe

        print(terminal_safe(result.summary()))  # it names learners, whose ids are theirs
        print(f"Wrote {written['grades']}, {written['results']}, {len(result.learners)} "
              f"feedback report(s) in {written['feedback']}/ and the class report "
              f"{written['class_html']}; gradebook: {book.path}")
    return 0
