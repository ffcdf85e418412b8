"""What a grading run leaves behind: grades.csv, results.json and one feedback file per learner.

Every file is written to a temporary name beside its target and renamed into place, so a
crash or Ctrl-C never leaves half a CSV for an instructor to upload. Learner-derived text is
escaped in HTML; file names keep the learner's id (spaces and any script welcome) but can't
escape the feedback folder or collide on a case-insensitive disk.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
from pathlib import Path

from .. import feedback
from ..files import write_atomic
from ..spec import unit
from .grading import ClassGrades, LearnerGrade, column
from .verdicts import NotebookGrade

COURSE = "Batch Prediction vs Real-Time Serving"



def _title(grade: NotebookGrade) -> str:
    """`06_measure_it.ipynb · step 5` for a step of a notebook of several steps."""
    return grade.notebook.replace("#", " · step ")

def _format(points: float) -> str:
    return f"{points:g}"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """A learner id a spreadsheet would run as a formula (`=HYPERLINK(...)`, `-2+3`) gets a
    leading apostrophe, which spreadsheets show as text (OWASP's advice for CSV files)."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _late(late: bool | None) -> str:
    """`yes`/`no` where the download marked lateness (Canvas does), empty where it can't say."""
    return "" if late is None else ("yes" if late else "no")


def grades_csv(result: ClassGrades) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["learner", *(column(s) for s in result.steps), "total", "max_total",
                     "status", "late", "name"])
    for learner in result.learners.values():
        points = [_format(learner.notebooks[unit(s)].points) for s in result.steps]
        writer.writerow([spreadsheet_safe(learner.learner), *points, _format(learner.total),
                         _format(learner.max_total), learner.status, _late(learner.late),
                         spreadsheet_safe(learner.name)])
    return buffer.getvalue()


def results_json(result: ClassGrades) -> str:
    return json.dumps(result.to_dict(), indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def feedback_names(learners: list[str]) -> dict[str, str]:
    """A safe, unique file stem per learner: the id itself wherever possible."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for learner in learners:
        stem = "".join("_" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in learner)
        stem = stem.strip(". ") or "learner"
        if len(stem.encode("utf-8")) > 180:
            stem = stem.encode("utf-8")[:180].decode("utf-8", "ignore")
        if stem.casefold() in taken:
            stem = f"{stem}-{hashlib.sha256(learner.encode()).hexdigest()[:8]}"
        taken.add(stem.casefold())
        names[learner] = stem
    return names


def _cell_name(cell_id: str) -> str:
    """A cell as the learner knows it (the builder's ids say what each cell is for)."""
    if "-answer-" in cell_id:
        return "your answer cell"
    if "-given-" in cell_id:
        return "a cell the course gave you"
    return "a code cell"


def _notes_for_learner(grade: NotebookGrade) -> list[str]:
    notes = []
    for item in grade.cell_errors[:5]:
        where = _cell_name(str(item.get("cell") or ""))
        notes.append(f"While your notebook ran, {where} raised `{item['error']}`.")
    return notes


def feedback_markdown(learner: LearnerGrade) -> str:
    lines = [f"# Feedback for {learner.learner}", "", f"*{COURSE}*", "",
             f"**Total: {_format(learner.total)} / {_format(learner.max_total)} points**", ""]
    for grade in learner.notebooks.values():
        lines.append(f"## {_title(grade)}")
        lines.append("")
        lines.append(feedback.as_markdown(grade.result))
        for note in _notes_for_learner(grade):
            lines.append(f"> {note}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def feedback_html(learner: LearnerGrade) -> str:
    name = html.escape(learner.learner)
    sections = []
    for grade in learner.notebooks.values():
        notes = "".join(f"<p class='course-note'>{feedback._rich(n)}</p>"
                        for n in _notes_for_learner(grade))
        sections.append(
            f"<section><h2>{html.escape(_title(grade))} — {_format(grade.points)} / "
            f"{_format(grade.max_points)}</h2>{feedback.as_html(grade.result)}{notes}</section>")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>Feedback for {name}</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:50em;margin:2em auto;"
            "line-height:1.4}code{background:#f3f3f3;padding:0 3px}</style></head><body>"
            f"<h1>Feedback for {name}</h1><p><i>{html.escape(COURSE)}</i></p>"
            f"<p><b>Total: {_format(learner.total)} / {_format(learner.max_total)} points</b>"
            f"</p>{''.join(sections)}</body></html>\n")


def _write(path: Path, text: str) -> None:
    write_atomic(path, text, mode=0o600)  # every learner's grades: the instructor's only


def write_reports(result: ClassGrades, out: Path) -> dict[str, Path]:
    """Write every report into `out` (readable by its owner only); returns what was written,
    by kind."""
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    (out / "feedback").mkdir(exist_ok=True, mode=0o700)
    written = {"grades": out / "grades.csv", "results": out / "results.json",
               "feedback": out / "feedback"}
    _write(written["grades"], grades_csv(result))
    _write(written["results"], results_json(result))
    names = feedback_names(list(result.learners))
    for learner_id, learner in result.learners.items():
        stem = names[learner_id]
        _write(written["feedback"] / f"{stem}.md", feedback_markdown(learner))
        _write(written["feedback"] / f"{stem}.html", feedback_html(learner))
    return written
