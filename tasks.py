#!/usr/bin/env python3
"""The project's front doors: `python3 tasks.py lab`, `python3 tasks.py test`, and
`python3 tasks.py lite` (the course as a static site that runs in the browser).

Each creates the project's own virtual environment (.venv) on first use and re-installs only
when pyproject.toml changes: `lab` installs what learners need, `test` adds the test tools,
`lite` the JupyterLite build tools. Nothing but Python 3 is assumed; the browser tests also
want Chromium, and the first `lite` build wants npm (to fetch Pyodide once).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
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


class TaskError(Exception):
    """Something the user can fix; the message says how, in one sentence."""


def _venv_hint() -> str:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return (f"Python {version} can't create a virtual environment here (its venv/ensurepip "
            f"part is missing): on Debian/Ubuntu run `sudo apt-get install python3-venv` "
            f"(or python{version}-venv), then run this command again.")


def create_env() -> None:
    """Create .venv with pip, or leave nothing behind and say what to install."""
    _say(f"creating the virtual environment in {VENV}")
    try:
        venv.EnvBuilder(with_pip=True).create(VENV)
    except (subprocess.CalledProcessError, OSError) as err:
        shutil.rmtree(VENV, ignore_errors=True)  # a half-made .venv would break the next run
        raise TaskError(_venv_hint()) from err
    if not PYTHON.exists():
        shutil.rmtree(VENV, ignore_errors=True)
        raise TaskError(_venv_hint())


def ensure_env(extras: str = "") -> None:
    """Create .venv and install the project (editable) with `extras` ("" for the runtime
    only), once per version of pyproject.toml."""
    if not PYTHON.exists():
        if VENV.exists():  # left half-made by an older tasks.py or a killed run
            shutil.rmtree(VENV)
        create_env()
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{extras or 'runtime'}-{digest}"
    if not stamp.exists():
        what = f"[{extras}]" if extras else "(what learners need)"
        _say(f"installing the course and its dependencies {what}; this takes a minute")
        target = f"{ROOT}[{extras}]" if extras else str(ROOT)
        for command in (["install", "--quiet", "--upgrade", "pip"],
                        ["install", "--quiet", "-e", target]):
            if subprocess.call([str(PYTHON), "-m", "pip", *command]) != 0:
                raise TaskError(f"`pip {' '.join(command)}` failed (its message is above); "
                                "fix that and run this command again.")
        stamp.touch()
    settings = VENV / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(json.dumps(LAB_OVERRIDES, indent=2))


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab(extra: list[str]) -> int:
    ensure_env()
    command = [str(BIN / "jupyter"), "lab", str(ROOT / "notebooks")]
    if _is_root():
        command.append("--allow-root")
    _say("starting JupyterLab on notebooks/ (stop it with Ctrl+C)")
    return subprocess.call(command + extra, cwd=ROOT / "notebooks")


def test(extra: list[str]) -> int:
    ensure_env("test")
    return subprocess.call([str(PYTHON), "-m", "pytest", *extra], cwd=ROOT)


def lite(extra: list[str]) -> int:
    ensure_env("lite")
    return subprocess.call([str(PYTHON), "-m", "site_builder", *extra], cwd=ROOT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("task", choices=["lab", "test", "lite", "env"],
                        help="lab: open the course in JupyterLab; test: run the whole test "
                             "suite; lite: build the course as a static site for the browser "
                             "(dist/lite); env: only create/update .venv (with the test tools)")
    parser.add_argument("rest", nargs=argparse.REMAINDER,
                        help="passed on to jupyter lab / pytest / the site builder")
    args = parser.parse_args(argv)
    try:
        if args.task == "env":
            ensure_env("test")
            return 0
        return {"lab": lab, "test": test, "lite": lite}[args.task](args.rest)
    except TaskError as err:
        print(f"[tasks] {err}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
