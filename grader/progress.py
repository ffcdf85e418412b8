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
from .spec import ALL_STEPS, STEPS, Step

FILE_NAME = ".course_progress.json"
ENV_VAR = "COURSE_PROGRESS_FILE"
#: Set by a copy of the course that carries only some notebooks (the JupyterLite site leaves
#: out what the browser can't run): their file names, comma-separated. Progress then counts
#: the steps this copy offers, so every step it counts can be finished here.
OFFERED_ENV = "COURSE_OFFERED_NOTEBOOKS"


def default_path() -> Path:
    return Path(os.environ.get(ENV_VAR) or FILE_NAME)


def offered(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """The steps of `steps` this copy of the course offers: all of them, unless
    $COURSE_OFFERED_NOTEBOOKS names the notebooks it carries."""
    named = os.environ.get(OFFERED_ENV, "").strip()
    if not named:
        return steps
    notebooks = {name.strip() for name in named.split(",")}
    return tuple(step for step in steps if step.notebook in notebooks)


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


def summary(steps: dict) -> str:
    """"Progress: 3 / 9 steps" (the steps this copy offers), then the points of what is scored
    rather than counted."""
    counted = offered(STEPS)
    done = sum(1 for s in counted if steps.get(s.key, {}).get("passed"))
    line = f"Progress: {done} / {len(counted)} steps"
    for step in offered(ALL_STEPS):
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


def render(steps: dict) -> str:
    """The progress report: the summary line, then each step this copy offers."""
    shown = offered(ALL_STEPS)
    lines = [summary(steps)]
    for step in shown:
        entry = steps.get(step.key)
        if not entry:
            mark, detail = "·", "not checked yet"
        else:
            mark = "✔" if entry.get("passed") else "✘"
            detail = f"{entry.get('points', 0):g} / {entry.get('max_points', 0):g} points"
        lines.append(f"  {mark} {step.label}: {step.title} ({detail})")
    left_out = sorted({s.notebook for s in ALL_STEPS if s not in shown})
    if left_out:
        lines.append(f"  (Not in this copy of the course: {', '.join(left_out)}.)")
    return "\n".join(lines)


def report(path: Path | None = None) -> str:
    """The progress report of a file (default: this kernel's), saying if it can't be used."""
    path = path or default_path()
    steps, problem = read(path)
    text = render(steps)
    if problem:
        text += (f"\n(Your progress file {path} could not be used ({problem}); it was left as "
                 "it is: the next check(N) starts it afresh.)")
    return text
