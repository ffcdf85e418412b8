"""`python -m grader ...`: the command line for authors, learners and instructors."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _build(args: argparse.Namespace) -> int:
    from .build import BuildError, build

    if args.execute:
        from .execute import execute_solutions

        execute_solutions(args.solutions)
    try:
        changed = build(args.solutions, args.notebooks, check_only=args.check)
    except BuildError as err:
        print(f"grader build: {err}", file=sys.stderr)
        return 2
    if args.check:
        if changed:
            print("These notebooks are not what `python -m grader build` would write:",
                  file=sys.stderr)
            for path in changed:
                print(f"  {path}", file=sys.stderr)
            print("Run `python -m grader build` and commit the result.", file=sys.stderr)
            return 1
        print("Learner notebooks are up to date.")
        return 0
    for path in changed:
        print(f"wrote {path}")
    print(f"{len(changed)} notebook(s) changed." if changed else "Nothing to change.")
    return 0


def _progress(args: argparse.Namespace) -> int:
    from .progress import FILE_NAME, course_file, read, render

    if args.file is not None:
        path, where = args.file, ""
        if not path.exists():
            print(f"grader progress: there is no file {path}.", file=sys.stderr)
            return 2
        if path.is_dir():
            print(f"grader progress: {path} is a folder; pass the progress file in it: "
                  f"--file {path / FILE_NAME}", file=sys.stderr)
            return 2
    else:
        path, where = course_file(Path.cwd())
    steps, problem = read(path)
    if problem:
        print(f"grader progress: {path} could not be used ({problem}); it was left as it is.",
              file=sys.stderr)
        return 2
    print(render(steps, path.parent))
    if where:
        print(where)
    return 0


# Third-party modules each command needs: checked before it starts, so a Python without them
# gets one sentence (and no half-made gradebook) instead of a traceback halfway through.
NEEDS = {"grade": ("nbformat", "tqdm", "IPython"), "build": ("nbformat", "nbclient")}


def _missing_modules(command: str) -> list[str]:
    import importlib.util

    return [name for name in NEEDS.get(command, ()) if importlib.util.find_spec(name) is None]


def _lacks(command: str, missing: list[str]) -> str:
    return (f"python -m grader {command}: this Python ({sys.executable}) lacks "
            f"{', '.join(missing)}. Use the course's environment instead: "
            f"`python3 tasks.py env`, then `.venv/bin/python -m grader {command} ...`.")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m grader",
        description="Grader of the course 'Batch Prediction vs Real-Time Serving'.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser(
        "build", help="generate the learner notebooks from the solutions",
        description="Generate notebooks/ from solutions/: answers between ### BEGIN SOLUTION and "
                    "### END SOLUTION become '# YOUR CODE HERE', outputs are cleared, cells are "
                    "tagged and locked. Solution notebooks are normalised in place.")
    build.add_argument("--check", action="store_true",
                       help="change nothing; exit 1 and name the stale files if a build would "
                            "change anything")
    build.add_argument("--execute", action="store_true",
                       help="first re-run every solution notebook to refresh its stored outputs")
    build.add_argument("--solutions", type=Path, default=ROOT / "solutions",
                       help="folder of solution notebooks (default: %(default)s)")
    build.add_argument("--notebooks", type=Path, default=ROOT / "notebooks",
                       help="folder to write learner notebooks to (default: %(default)s)")
    build.set_defaults(run=_build)

    prog = commands.add_parser(
        "progress", help="show which steps you have passed",
        description="Print the progress recorded by check(...) calls in the notebooks of the "
                    "course you run it in: run it beside the notebooks or from the course's top "
                    "folder (it reads notebooks/ below it). Nothing else is searched.")
    prog.add_argument("--file", type=Path, default=None,
                      help="the progress file to read (default: $COURSE_PROGRESS_FILE, else "
                           ".course_progress.json in this folder, else in notebooks/ below it)")
    prog.set_defaults(run=_progress)

    from .batch.command import register as register_grade

    register_grade(commands)
    from .batch.export import register as register_export

    register_export(commands)
    from .batch.class_report import register as register_report

    register_report(commands)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    missing = _missing_modules(args.command)
    if missing:
        print(_lacks(args.command, missing), file=sys.stderr)
        return 2
    try:
        return args.run(args)
    except ModuleNotFoundError as err:  # a dependency NEEDS doesn't list yet
        print(_lacks(args.command, [err.name or str(err)]), file=sys.stderr)
        return 2
