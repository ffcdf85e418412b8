#!/usr/bin/env python3
"""The project's two front doors: `python3 tasks.py lab` and `python3 tasks.py test`.

Both create the project's own virtual environment (.venv) on first use and re-install only when
pyproject.toml changes. Nothing but Python 3 is assumed; the browser tests also want Chromium.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
# JupyterLab's news and update pop-ups: off for learners and for browser tests.
LAB_OVERRIDES = {"@jupyterlab/apputils-extension:notification": {
    "fetchNews": "false", "checkForUpdates": False}}


def _say(text: str) -> None:
    print(f"[tasks] {text}", flush=True)


def ensure_env(extras: str = "test") -> None:
    """Create .venv and install the project (editable) with `extras`, once per pyproject."""
    if not PYTHON.exists():
        _say(f"creating the virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{extras}-{digest}"
    if not stamp.exists():
        _say(f"installing the course and its dependencies ([{extras}]); this takes a minute")
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
                       check=True)
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e",
                        f"{ROOT}[{extras}]"], check=True)
        stamp.touch()
    settings = VENV / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(json.dumps(LAB_OVERRIDES, indent=2))


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab(extra: list[str]) -> int:
    ensure_env("test")
    command = [str(BIN / "jupyter"), "lab", str(ROOT / "notebooks")]
    if _is_root():
        command.append("--allow-root")
    _say("starting JupyterLab on notebooks/ (stop it with Ctrl+C)")
    return subprocess.call(command + extra, cwd=ROOT / "notebooks")


def test(extra: list[str]) -> int:
    ensure_env("test")
    return subprocess.call([str(PYTHON), "-m", "pytest", *extra], cwd=ROOT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("task", choices=["lab", "test", "env"],
                        help="lab: open the course in JupyterLab; test: run the whole test "
                             "suite; env: only create/update .venv")
    parser.add_argument("rest", nargs=argparse.REMAINDER,
                        help="passed on to jupyter lab / pytest")
    args = parser.parse_args()
    if args.task == "env":
        ensure_env("test")
        return 0
    return {"lab": lab, "test": test}[args.task](args.rest)


if __name__ == "__main__":
    sys.exit(main())
