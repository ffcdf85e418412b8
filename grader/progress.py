"""The learner's progress: which steps passed, kept in a small JSON file beside the notebooks.

Progress is a convenience, never a reason to fail a check: a missing, unreadable or corrupt file
counts as no progress (the next check starts it afresh, and says so), and writes are atomic so a
crash can't leave half a file. `python -m grader progress` only reads: it names a file it can't
use and leaves it as it is.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from .files import write_atomic
from .results import StepResult
from .spec import ALL_STEPS, Step

FILE_NAME = ".course_progress.json"
ENV_VAR = "COURSE_PROGRESS_FILE"


def default_path() -> Path:
    return Path(os.environ.get(ENV_VAR) or FILE_NAME)


def read(path: Path) -> tuple[dict, str]:
    """(progress, problem): the steps recorded in `path`, or {} and, in a few words, why the
    file can't be used ("" when it is fine or simply not there yet)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, ""
    except IsADirectoryError:
        return {}, "it is a folder"
    except OSError as err:
        return {}, str(err.strerror or err).lower()
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}, "it is not JSON"
    steps = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(steps, dict):
        return {}, "it holds no steps"
    return {k: v for k, v in steps.items() if isinstance(v, dict)}, ""


def load(path: Path | None = None) -> tuple[dict, str]:
    """(progress, note) for a check: the note says the file was unusable and is started afresh
    (the check that reads it writes a new one)."""
    path = path or default_path()
    steps, problem = read(path)
    if problem:
        return steps, f"(Your progress file {path.name} could not be used ({problem}); "\
                      "starting it afresh.)"
    return steps, ""


def record(result: StepResult, path: Path | None = None) -> str:
    """Remember this step's latest verdict; returns a note if the file couldn't be used."""
    path = path or default_path()
    steps, note = load(path)
    steps[result.step] = {
        "passed": result.passed, "points": result.points, "max_points": result.max_points,
        "checked_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    try:
        write_atomic(path, json.dumps({"version": 1, "steps": steps}, indent=2, sort_keys=True))
    except OSError:
        return f"(Progress could not be saved to {path}; your check result is unaffected.)"
    return note


def offered(steps: dict, folder: Path | None = None) -> tuple[Step, ...]:
    """The steps this place offers: those whose notebook is in `folder` (a course in the browser
    leaves Part 2 out) or that were checked here; every step when `folder` holds no course
    notebook (the progress file kept somewhere else) or is not given."""
    if folder is None:
        return ALL_STEPS
    try:
        present = {path.name for path in folder.iterdir()}
    except OSError:
        present = set()
    if not any(step.notebook in present for step in ALL_STEPS):
        return ALL_STEPS
    return tuple(s for s in ALL_STEPS if s.notebook in present or s.key in steps)


def _points(entry: dict) -> str:
    points, most = entry.get("points", 0), entry.get("max_points", 0)
    return f"{points:g} / {most:g} point{'' if most == 1 else 's'}"


def summary(steps: dict, folder: Path | None = None) -> str:
    """"Progress: 3 / 9 steps" (the steps `folder` offers), then the points of what is
    scored rather than counted ("· quiz 7 / 10")."""
    counted = [s for s in offered(steps, folder) if s.counted]
    done = sum(1 for s in counted if steps.get(s.key, {}).get("passed"))
    line = f"Progress: {done} / {len(counted)} step{'' if len(counted) == 1 else 's'}"
    for step in ALL_STEPS:
        entry = steps.get(step.key)
        if not step.counted and entry:
            line += (f" · {step.label.lower()} {entry.get('points', 0):g} / "
                     f"{entry.get('max_points', 0):g}")
    return line


def course_file(folder: Path) -> tuple[Path, str]:
    """(the progress file of the course run in `folder`, a note saying where it is from).

    $COURSE_PROGRESS_FILE if set; else the file in `folder` (run beside the notebooks), else the
    one in `folder`/notebooks (run from the course's top folder). Nothing else is searched: a
    progress file elsewhere is someone else's, or another course's.
    """
    if os.environ.get(ENV_VAR):
        path = Path(os.environ[ENV_VAR])
        found = path.exists()
        return path, (f"(From {path}, named by ${ENV_VAR}.)" if found else
                      f"(No progress yet in {path}, named by ${ENV_VAR}.)")
    here, below = folder / FILE_NAME, folder / "notebooks" / FILE_NAME
    if here.exists():
        also = f" {below} is there too: pass --file to read it." if below.exists() else ""
        return here, f"(From {here}.{also})"
    if below.exists():
        return below, f"(From {below}.)"
    return here, (f"(No progress yet: no {FILE_NAME} in {folder} or in {below.parent}. Run a "
                  "check(N) cell in a notebook of this course first, or pass --file.)")


def render(steps: dict, folder: Path | None = None) -> str:
    """The progress report: the summary line, then each step `folder` offers."""
    lines = [summary(steps, folder)]
    for step in offered(steps, folder):
        entry = steps.get(step.key)
        if not entry:
            mark, detail = "·", "not checked yet"
        else:
            mark = "✔" if entry.get("passed") else "✘"
            detail = _points(entry)
        lines.append(f"  {mark} {step.label}: {step.title} ({detail})")
    return "\n".join(lines)


def report(path: Path | None = None) -> str:
    """The progress report of a file (default: this kernel's), out of the steps offered
    beside it, saying if the file can't be used."""
    path = path or default_path()
    steps, problem = read(path)
    text = render(steps, path.parent)
    if problem:
        text += (f"\n(Your progress file {path} could not be used ({problem}); it was left as "
                 "it is: the next check(N) starts it afresh.)")
    return text
