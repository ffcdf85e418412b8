"""The learner's progress: which steps passed, kept in a small JSON file beside the notebooks.

Progress is a convenience, never a reason to fail: a missing, unreadable or corrupt file is
treated as empty, with a note, and writes are atomic so a crash can't leave half a file.
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


# Folders never searched for a learner's progress file: environments, caches, build output.
_SKIP = {"node_modules", "site-packages", "dist", "build", "__pycache__"}


def find(start: Path, depth: int = 2) -> list[Path]:
    """Progress files in `start` and up to `depth` folders below it, newest first.

    `check(N)` writes the file beside the notebook (the kernel's working folder), so from the
    repository root the learner's progress is in `notebooks/`, and from a course folder
    somewhere else it is wherever they keep their notebooks.
    """
    found: list[Path] = []
    level = [start]
    for _ in range(depth + 1):
        below: list[Path] = []
        for folder in level:
            candidate = folder / FILE_NAME
            if candidate.is_file():
                found.append(candidate)
            try:
                below += [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()
                          and not p.name.startswith(".") and p.name not in _SKIP]
            except OSError:
                continue
        level = sorted(below)
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def load(path: Path | None = None) -> tuple[dict, str]:
    """(progress, note): the note says why the file was ignored, if it was."""
    path = path or default_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, ""
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}, f"(Your progress file {path.name} could not be read; starting it afresh.)"
    steps = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(steps, dict):
        return {}, f"(Your progress file {path.name} was not in the expected form; starting "\
                   "afresh.)"
    return {k: v for k, v in steps.items() if isinstance(v, dict)}, ""


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


def locate(start: Path) -> tuple[Path | None, str]:
    """(the progress file to show, a note naming where it came from or what else was found)."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]), ""
    found = find(start)
    if not found:
        return None, (f"(No progress file yet in {start} or the folders below it: run a "
                      "check(N) cell in a notebook first, or pass --file.)")
    note = f"(From {found[0]}"
    if len(found) > 1:
        others = ", ".join(str(p) for p in found[1:4])
        note += f"; older progress files also found: {others}"
    return found[0], note + ".)"


def report(path: Path | None = None) -> str:
    """What `python -m grader progress` prints."""
    path = path or default_path()
    steps, note = load(path)
    lines = [summary(steps, path.parent)]
    for step in offered(steps, path.parent):
        entry = steps.get(step.key)
        if not entry:
            mark, detail = "·", "not checked yet"
        else:
            mark = "✔" if entry.get("passed") else "✘"
            detail = _points(entry)
        lines.append(f"  {mark} {step.label}: {step.title} ({detail})")
    if note:
        lines.append(note)
    return "\n".join(lines)
