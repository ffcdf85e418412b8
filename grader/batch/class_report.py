"""The class report: `OUT/class.json` (the figures, for scripts) and `OUT/class.html` (the
page), written by every grading run, and again by `python -m grader report OUT`.

A grading run reads the class from its gradebook, like the learners' reports, one learner's
whole verdicts at a time (class_figures.py); the page is rendered from the figures alone
(class_page.py), so the two files can't disagree. A run that changed nothing leaves both files
alone without reading a verdict: reports.py keeps their digest in `.reports-state.json`.

`report OUT` makes the same class from `OUT/results.json` (which holds every whole verdict the
run loaded from the gradebook), so it needs no gradebook and works on a copy of OUT.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..spec import ALL_STEPS, Step, unit
from .grading import ClassGrades, LearnerGrade, Verdict
from .verdicts import NotebookGrade

PAGE, FIGURES = "class.html", "class.json"


def links(names: dict[str, str]) -> dict[str, str]:
    """Each learner's report, as a link relative to OUT (`names`: their file stems)."""
    return {learner: f"feedback/{stem}.html" for learner, stem in names.items()}


def write_class_report(result: ClassGrades, out: Path, names: dict[str, str]) -> dict[str, Path]:
    """Write class.json and class.html into `out`; returns their paths."""
    from .class_figures import class_figures
    from .class_page import render
    from .reports import _write  # the learners' reports' own: unchanged bytes left alone

    figures = class_figures(result, links(names))
    written = {"class_json": out / FIGURES, "class_html": out / PAGE}
    _write(written["class_json"], json.dumps(figures, ensure_ascii=False, indent=1) + "\n")
    _write(written["class_html"], render(figures))
    return written


# ------------------------------------------------------------------ from OUT/results.json


class ReportError(RuntimeError):
    """OUT holds no results.json this grader can read (one line: what to do)."""


def _steps(head: dict, rows: dict) -> tuple[Step, ...]:
    keys = (head.get("counts") or {}).get("steps")
    if keys is None:  # an older results.json: the steps its learners were graded on
        first = next(iter(rows.values()), {})
        return tuple(s for s in ALL_STEPS if unit(s) in first.get("notebooks", {}))
    return tuple(s for s in ALL_STEPS if s.key in keys)


def _learner(row: dict, units: list[str]) -> LearnerGrade:
    notebooks = row["notebooks"]
    verdicts = {}
    for name in units:
        nb = notebooks[name]
        sha = nb.get("sha256", "")
        verdicts[name] = Verdict(name, nb["status"], nb["points"], nb["max_points"],
                                 float(nb.get("runtime", 0.0)), sha, nb.get("message", ""),
                                 list(nb.get("notes", [])), run=1 if sha else 0)
    learner = LearnerGrade(row["learner"], verdicts, list(row.get("ignored_files", [])),
                           row.get("name", ""), row.get("late"), row.get("upload_prefix", ""))
    learner.loader = lambda v: NotebookGrade.from_dict(notebooks[v.unit])
    return learner


def load_results(out: Path) -> ClassGrades:
    """The class as `OUT/results.json` recorded it."""
    from .sandbox import Limits

    path = out / "results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = data["learners"]
        steps = _steps(data, rows)
        units = [unit(s) for s in steps]
        learners = {name: _learner(row, units) for name, row in rows.items()}
    except OSError as err:
        raise ReportError(f"can't read {path} ({err.strerror or err}): grade the class into "
                          f"{out} first (python -m grader grade SUBMISSIONS -o {out})") from None
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ReportError(f"{path} is not a results.json this grader wrote ({err!r}); grade "
                          "the class again to write a new one") from None
    grader = data.get("grader", {})
    # a hand-in's whole verdict, as results.json holds it (`run` 1 above: it was graded)
    whole = {(name, nb["sha256"]): nb for row in rows.values()
             for name, nb in row["notebooks"].items() if nb.get("sha256")}
    return ClassGrades(data.get("source", ""), steps, learners, Limits(),
                       grader.get("fingerprint", ""), list(data.get("ignored", [])),
                       warnings=list(data.get("warnings", [])), layout=data.get("layout", ""),
                       unplaced=list(data.get("unplaced", [])),
                       chosen=(data.get("counts") or {}).get("chosen") or "",
                       stored=lambda: ((u, s, nb) for (u, s), nb in whole.items()))


def _fail(message: str) -> int:
    from .reports import terminal_safe

    print(terminal_safe(f"grader report: {message}"), file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from .reports import feedback_names

    try:
        result = load_results(args.out)
        written = write_class_report(result, args.out, feedback_names(list(result.learners)))
    except ReportError as err:
        return _fail(str(err))
    except OSError as err:
        return _fail(f"can't write the class report to {args.out}: {err}")
    page = written["class_html"].resolve()
    print(f"Wrote {written['class_html']} and {written['class_json']}.")
    if args.open:
        import webbrowser

        if not webbrowser.open(page.as_uri()):
            print(f"No browser to open it with here; open {page} yourself.")
    return 0


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `report` sub-command to the top-level parser's sub-commands."""
    report = commands.add_parser(
        "report", help="write the class report of a graded class again (instructors)",
        description="Write OUT/class.html and OUT/class.json again from OUT/results.json (every "
                    "grading run writes them): the score distribution, pass rates per step, "
                    "each check's most common mistakes with the learners who made them, the "
                    "quiz's item analysis (facility and discrimination index, options picked), "
                    "notebooks by status, late hand-ins, the slowest notebooks and grader "
                    "problems. One page that works from a file, offline, without JavaScript.",
        epilog="example: python -m grader report graded/ --open")
    report.add_argument("out", type=Path, metavar="OUT",
                        help="the folder a grading run wrote (with results.json)")
    report.add_argument("--open", action="store_true",
                        help="open class.html in the web browser afterwards")
    report.set_defaults(run=run)
    return report
