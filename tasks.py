#!/usr/bin/env python3
"""The project's front doors:

  python3 tasks.py lab                  open the course in JupyterLab
  python3 tasks.py test                 the whole test suite (what CI runs)
  python3 tasks.py test --quick         the developer's loop: no browser, no notebooks run in
                                        kernels, no grading runs (under a minute)
  python3 tasks.py test -- -k quiz      anything after `--` goes to pytest as it is
  python3 tasks.py lite                 build the course as a static site for the browser
  python3 tasks.py env                  only create or update .venv (with the test tools)

Each creates the project's own virtual environment (.venv) on first use and re-installs only
when pyproject.toml changes: `lab` installs what learners need, `test` adds the test tools,
`lite` the JupyterLite build tools. Nothing but Python 3 is assumed; the browser tests also
want Chromium, and the first `lite` build wants npm (to fetch Pyodide once). Options other than
--quick (before or after `--`) go to jupyter lab, pytest or the site builder.
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


def hand_over(command: list[str], cwd: Path) -> int:
    """Become `command` (POSIX exec): its signals and exit status are the task's own, so a
    SIGTERM or Ctrl+C meant for the task reaches it, and nothing is left running when it
    ends. Where exec would detach it (Windows), run it and wait."""
    if os.name == "nt":
        return subprocess.call(command, cwd=cwd)
    os.chdir(cwd)
    os.execv(command[0], command)
    return 1  # not reached


def lab(extra: list[str]) -> int:
    ensure_env()
    command = [str(BIN / "jupyter"), "lab", str(ROOT / "notebooks")]
    if _is_root():
        command.append("--allow-root")
    _say("starting JupyterLab on notebooks/ (stop it with Ctrl+C)")
    return hand_over(command + extra, ROOT / "notebooks")


#: What `test --quick` leaves out: everything a conftest marks slow (browsers, the JupyterLite
#: site, notebooks run in kernels, grading runs, the root-only sandbox tests among them).
QUICK = ["-m", "not slow"]
#: The whole suite runs on one worker per core (pytest-xdist), a test module (a notebook, for
#: nbval) on one worker, so its fixtures are built once and its cells run in order, in one
#: kernel. `-- -n 0` runs it all in one process.
WHOLE = ["-n", "auto", "--dist", "loadfile"]


def test(extra: list[str], quick: bool = False) -> int:
    ensure_env("test")
    return hand_over([str(PYTHON), "-m", "pytest", *(QUICK if quick else WHOLE), *extra], ROOT)


def lite(extra: list[str]) -> int:
    ensure_env("lite")
    return hand_over([str(PYTHON), "-m", "site_builder", *extra], ROOT)


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """(the task and its own options, what goes on to the tool). Everything after `--` goes on
    as it is; before it, options tasks.py doesn't know go on too."""
    parser = argparse.ArgumentParser(prog="tasks.py", description=__doc__, allow_abbrev=False,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("task", choices=["lab", "test", "lite", "env"],
                        help="lab: open the course in JupyterLab; test: run the test suite; "
                             "lite: build the course as a static site for the browser "
                             "(dist/lite); env: only create/update .venv (with the test tools)")
    parser.add_argument("--quick", action="store_true",
                        help="test only: leave out the slow tests (browsers, notebooks run in "
                             "kernels, grading runs); under a minute")
    split = argv.index("--") if "--" in argv else len(argv)
    args, unknown = parser.parse_known_args(argv[:split])
    if args.quick and args.task != "test":
        parser.error("--quick is an option of `test` only")
    if args.task == "env" and unknown + argv[split + 1:]:
        parser.error("`env` takes no options")
    return args, unknown + argv[split + 1:]


def main(argv: list[str] | None = None) -> int:
    args, rest = parse(sys.argv[1:] if argv is None else argv)
    try:
        if args.task == "env":
            ensure_env("test")
            return 0
        if args.task == "test":
            return test(rest, quick=args.quick)
        return {"lab": lab, "lite": lite}[args.task](rest)
    except TaskError as err:
        print(f"[tasks] {err}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
