"""What a grading run leaves behind: grades.csv, results.json, one feedback file per learner
and the class report (class_report.py).

Every file is written to a temporary name beside its target and renamed into place, so a
crash or Ctrl-C never leaves half a CSV for an instructor to upload. Learner-derived text is
escaped in HTML; file names keep the learner's id (spaces and any script welcome) but can't
escape the feedback folder or collide on a case-insensitive disk.

Only what changed is written again. `OUT/.reports-state.json` keeps, per learner, a digest of
everything their reports are made from (the grader's fingerprint, their verdicts' statuses,
points, content hashes and the gradebook run that stored each, their notes); a learner whose
digest is unchanged, and whose files are as that run left them (size, modification time), is
not even rendered, and their line of `results.json` is copied from the file already there. A
whole verdict is loaded from the gradebook only for a learner whose reports are written, one
learner at a time.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import html
import io
import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from .. import feedback
from ..files import write_atomic, write_atomic_parts
from ..spec import unit
from .class_report import FIGURES, PAGE, write_class_report
from .grading import ClassGrades, LearnerGrade
from .verdicts import NotebookGrade

COURSE = "Batch Prediction vs Real-Time Serving"
STATE = ".reports-state.json"


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


def terminal_safe(text: str) -> str:
    """Text a learner chose (a folder's name is their id) printed on the instructor's terminal:
    control characters, which would clear the screen, retitle the window or hide text, are
    shown escaped (`\\x1b`), never sent. Line breaks between lines are kept."""
    return "".join(c if c == "\n" or unicodedata.category(c) not in ("Cc", "Cf")
                   else c.encode("unicode_escape").decode("ascii") for c in text)


def _late(late: bool | None) -> str:
    """`yes`/`no` where the download marked lateness (Canvas does), empty where it can't say."""
    return "" if late is None else ("yes" if late else "no")


def grades_csv(result: ClassGrades) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["learner", *(s.column for s in result.steps), "total", "max_total",
                     "status", "late", "name"])
    for learner in result.learners.values():
        points = [_format(learner.verdicts[unit(s)].points) for s in result.steps]
        writer.writerow([spreadsheet_safe(learner.learner), *points, _format(learner.total),
                         _format(learner.max_total), learner.status, _late(learner.late),
                         spreadsheet_safe(learner.name)])
    return buffer.getvalue()


def _row(name: str, learner: LearnerGrade,
         notebooks: dict[str, NotebookGrade] | None = None) -> str:
    return (f"{json.dumps(name, ensure_ascii=False)}: "
            f"{json.dumps(learner.to_dict(notebooks), ensure_ascii=False)}")


def _head(result: ClassGrades) -> str:
    return json.dumps(result.head(), ensure_ascii=False)[:-1] + ', "learners": {\n'


def _old_rows(path: Path) -> dict[str, str]:
    """The learners' lines of an earlier results.json, by learner."""
    rows: dict[str, str] = {}
    with contextlib.suppress(OSError, ValueError, IndexError):
        with path.open(encoding="utf-8") as handle:
            next(handle)
            for line in handle:
                if line.startswith('"'):
                    name, _end = json.decoder.scanstring(line, 1)
                    rows[name] = line.rstrip("\n").removesuffix(",")
    return rows


UNSAFE_IN_NAMES = '/\\:*?"<>|'
HASHED = "~"  # only in a hashed stem: an id kept as it is never holds it


def _safe_stem(learner: str) -> str:
    stem = "".join("_" if ch in UNSAFE_IN_NAMES or ch == HASHED or ord(ch) < 32 else ch
                   for ch in learner)
    stem = stem.strip(". ") or "learner"
    if len(stem.encode("utf-8", "surrogatepass")) > 180:
        stem = stem.encode("utf-8", "surrogatepass")[:180].decode("utf-8", "ignore")
    return stem


def feedback_names(learners: list[str]) -> dict[str, str]:
    """A file stem per learner, never one for two of them, even on a disk that ignores case:
    the id itself where it is a safe file name and no other id differs from it only in case;
    otherwise the id made safe, `~` and 16 hex digits of the id's hash (more, should two hashed
    stems meet). An id kept as it is never holds `~`, so no learner can pick an id that turns
    into another's file (` ana-24d4b96f` beside `Ana` and `ana`)."""
    safe = {learner: _safe_stem(learner) for learner in learners}
    folded: dict[str, int] = {}
    for stem in safe.values():
        folded[stem.casefold()] = folded.get(stem.casefold(), 0) + 1
    names: dict[str, str] = {}
    taken: set[str] = set()
    for learner in sorted(learners):
        stem = safe[learner]
        if stem != learner or folded[stem.casefold()] > 1:
            digest = hashlib.sha256(learner.encode("utf-8", "surrogatepass")).hexdigest()
            size = 16
            stem = f"{safe[learner]}{HASHED}{digest[:size]}"
            while stem.casefold() in taken and size < len(digest):
                size += 8
                stem = f"{safe[learner]}{HASHED}{digest[:size]}"
        taken.add(stem.casefold())
        names[learner] = stem
    return {learner: names[learner] for learner in learners}


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
        said = str(item["error"]).replace("`", "'")  # a backtick of theirs can't end the quote
        notes.append(f"While your notebook ran, {where} raised `{said}`.")
    return notes


def feedback_markdown(learner: LearnerGrade,
                      notebooks: dict[str, NotebookGrade] | None = None) -> str:
    notebooks = learner.notebooks if notebooks is None else notebooks
    lines = [f"# Feedback for {feedback.md_inline(learner.learner)}", "", f"*{COURSE}*", "",
             f"**Total: {_format(learner.total)} / {_format(learner.max_total)} points**", ""]
    for grade in notebooks.values():
        lines.append(f"## {feedback.md_inline(_title(grade))}")
        lines.append("")
        lines.append(feedback.as_markdown(grade.result))
        for note in _notes_for_learner(grade):
            lines.append(f"> {feedback.md_inline(note)}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def feedback_html(learner: LearnerGrade,
                  notebooks: dict[str, NotebookGrade] | None = None) -> str:
    notebooks = learner.notebooks if notebooks is None else notebooks
    name = html.escape(learner.learner)
    sections = []
    for grade in notebooks.values():
        notes = "".join(f"<p class='course-note'>{feedback._rich(n)}</p>"
                        for n in _notes_for_learner(grade))
        sections.append(
            f"<section><h2>{html.escape(_title(grade))} — {_format(grade.points)} / "
            f"{_format(grade.max_points)}</h2>{feedback.as_html(grade.result)}{notes}</section>")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>Feedback for {name}</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:50em;margin:2em auto;"
            "line-height:1.4}code{background:#f3f3f3;padding:0 3px}</style></head><body><main>"
            f"<h1>Feedback for {name}</h1><p><i>{html.escape(COURSE)}</i></p>"
            f"<p><b>Total: {_format(learner.total)} / {_format(learner.max_total)} points</b>"
            f"</p>{''.join(sections)}</main></body></html>\n")


def _write(path: Path, text: str) -> None:
    """Every learner's grades: the instructor's only (0600). A report already on disk with
    these very bytes (and that mode) is left alone: a re-run after a few late hand-ins
    rewrites, and fsyncs, only the reports that changed, not the whole class's."""
    data = text.encode("utf-8")
    try:
        state = path.stat()
        if (state.st_size == len(data) and state.st_mode & 0o777 == 0o600
                and path.read_bytes() == data):
            return
    except OSError:
        pass
    write_atomic(path, data, mode=0o600)


def learner_digest(result: ClassGrades, learner: LearnerGrade) -> str:
    """Everything `learner`'s reports are made from, hashed: the grader (its code included),
    what the download said of them, and each verdict as stored."""
    verdicts = [(v.unit, v.status, v.points, v.max_points, v.seconds, v.sha256, v.message,
                 v.notes, v.run) for v in learner.verdicts.values()]
    data = [result.fingerprint, learner.learner, learner.name, learner.late,
            learner.upload_prefix, learner.ignored, verdicts]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def _read_state(out: Path) -> dict:
    with contextlib.suppress(OSError, ValueError):
        state = json.loads((out / STATE).read_text(encoding="utf-8"))
        if isinstance(state, dict) and isinstance(state.get("learners"), dict):
            return state
    return {"learners": {}}


def _stamp(path: Path) -> list[int] | None:
    """What the disk says of a report file: a file edited or replaced since it was written
    (or no longer the instructor's only) is written again."""
    try:
        state = path.stat()
    except OSError:
        return None
    if state.st_mode & 0o777 != 0o600:
        return None
    return [state.st_size, state.st_mtime_ns]


def _results_parts(result: ClassGrades, rows: Iterator[str]) -> Iterator[str]:
    """results.json, one learner per line: easy to read and to diff, written by json's C
    encoder (an indented dump goes through its pure-Python one: seconds for a class of
    thousands), and streamed, never all of it in memory."""
    yield _head(result)
    for index, row in enumerate(rows):
        yield ",\n" + row if index else row
    yield "\n}}\n"


def _write_class(result: ClassGrades, out: Path, names: dict[str, str], whole: str,
                 last: object) -> list:
    """The class report, written again only when what it is made from (`whole`, the digest
    of every learner's) or its files changed since the last run; returns its new state."""
    now = [whole, _stamp(out / PAGE), _stamp(out / FIGURES)]
    if last != now or None in now:
        (out / STATE).unlink(missing_ok=True)
        write_class_report(result, out, names)
    return [whole, _stamp(out / PAGE), _stamp(out / FIGURES)]


def write_reports(result: ClassGrades, out: Path) -> dict[str, Path]:
    """Write every report into `out` (readable by its owner only), rendering only the learners
    whose reports changed; returns what was written, by kind."""
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    (out / "feedback").mkdir(exist_ok=True, mode=0o700)
    written = {"grades": out / "grades.csv", "results": out / "results.json",
               "feedback": out / "feedback", "class_html": out / PAGE, "class_json": out / FIGURES}
    _write(written["grades"], grades_csv(result))
    before = _read_state(out)
    names = feedback_names(list(result.learners))
    digests = {name: learner_digest(result, lg) for name, lg in result.learners.items()}
    head = hashlib.sha256(_head(result).encode()).hexdigest()
    whole = hashlib.sha256((head + "".join(digests.values())).encode()).hexdigest()
    kept = before["learners"]
    state: dict = {"fingerprint": result.fingerprint, "learners": {}}
    loaded: dict[str, dict[str, NotebookGrade]] = {}
    changed = set()
    for learner_id, learner in result.learners.items():
        stem = names[learner_id]
        md, page = written["feedback"] / f"{stem}.md", written["feedback"] / f"{stem}.html"
        now = [digests[learner_id], stem, _stamp(md), _stamp(page)]
        if kept.get(learner_id) == now and None not in now:
            state["learners"][learner_id] = now
            continue
        if not changed:  # from here on, the old state no longer tells what is on disk
            (out / STATE).unlink(missing_ok=True)
        changed.add(learner_id)
        notebooks = learner.notebooks
        _write(md, feedback_markdown(learner, notebooks))
        _write(page, feedback_html(learner, notebooks))
        state["learners"][learner_id] = [digests[learner_id], stem, _stamp(md), _stamp(page)]
        if len(loaded) < 64:  # a few, for results.json below; the rest are loaded again
            loaded[learner_id] = notebooks
    results = written["results"]
    last = before.get("results")
    if not (isinstance(last, list) and last == [whole, _stamp(results)]):
        (out / STATE).unlink(missing_ok=True)
        # lines of learners whose reports are unchanged are copied from the file already
        # there, when it is the very file the last run wrote
        old = _old_rows(results) if isinstance(last, list) and len(last) == 2 \
            and last[1] == _stamp(results) else {}

        def rows() -> Iterator[str]:
            for name, learner in result.learners.items():
                line = old.get(name) if name not in changed else None
                yield line or _row(name, learner, loaded.get(name))

        write_atomic_parts(results, _results_parts(result, rows()), mode=0o600)
    state["results"] = [whole, _stamp(results)]
    state["class"] = _write_class(result, out, names, whole, before.get("class"))
    if state != before:
        _write(out / STATE, json.dumps(state))
    return written
