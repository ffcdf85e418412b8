"""Put the site together: Pyodide + wheels + rewritten lock + notebooks -> `jupyter lite build`.

The site is built in a scratch folder and moved into place only when complete, so a failed
build never leaves half a site where the last good one was.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from . import BuildError
from .course_wheel import build_wheel
from .downloads import pyodide_core, wheels
from .lock import Addition, local_lock
from .needs import missing_modules, unvendored

COURSE = "batch-vs-realtime-course"
# Wheels the Pyodide kernel loads at start (micropip, then ipykernel's dependencies), at the
# versions Pyodide's own lock names.
FROM_LOCK = ("micropip", "packaging", "ipython", "jedi", "parso", "asttokens", "decorator",
             "executing", "matplotlib-inline", "prompt-toolkit", "pure-eval", "pygments", "six",
             "stack-data", "traitlets", "wcwidth")
# Wheels Pyodide's lock doesn't know; ipython 9 needs the lexers, the course needs widgets.
KERNEL_PINS = {"ipython-pygments-lexers": "1.1.1", "comm": "0.2.3", "ipywidgets": "8.1.9"}
# Pyodide's core files the site serves (its source maps and test consoles are left out).
PYODIDE_FILES = ("pyodide.mjs", "pyodide.js", "pyodide.asm.mjs", "pyodide.asm.wasm",
                 "python_stdlib.zip", "package.json")
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
# JupyterLab's news and update pop-ups: off, as on the desktop (they would also try the web).
SETTINGS_OVERRIDES = {"@jupyterlab/apputils-extension:notification": {
    "fetchNews": "false", "checkForUpdates": False}}


@dataclass(frozen=True)
class Site:
    path: Path
    notebooks: tuple[str, ...]
    size_bytes: int
    seconds: float
    left_out: tuple[str, ...] = ()  # one line per notebook the browser can't run, saying why


def _say(text: str) -> None:
    print(f"[lite] {text}", flush=True)


def _pyodide_version() -> str:
    try:
        from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION
    except ImportError as err:
        raise BuildError("the JupyterLite build tools are missing: run `python3 tasks.py lite`, "
                         "which installs them into .venv.") from err
    return PYODIDE_VERSION


def _python_in_browser(pyodide: Path) -> str:
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())
    return ".".join(lock["info"]["python"].split(".")[:2])


def _stage(root: Path, staging: Path, cache: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    version = _pyodide_version()
    _say(f"Pyodide {version} (cached in {cache})")
    core = pyodide_core(version, cache)
    lock = json.loads((core / "pyodide-lock.json").read_text())
    pins = [(name, lock["packages"][name]["version"]) for name in FROM_LOCK]
    pins += list(KERNEL_PINS.items())
    _say(f"{len(pins)} kernel wheels")
    local = wheels(pins, cache, _python_in_browser(core))
    course_version = metadata.version(COURSE)
    course = build_wheel(root, COURSE, course_version, metadata.metadata(COURSE)["Summary"] or "",
                         staging / "wheel")
    local[COURSE] = course

    static = staging / "static" / "pyodide"
    static.mkdir(parents=True)
    for name in PYODIDE_FILES:
        shutil.copy2(core / name, static / name)
    for path in local.values():
        shutil.copy2(path, static / path.name)
    additions = [
        Addition("ipython-pygments-lexers", KERNEL_PINS["ipython-pygments-lexers"],
                 ("pygments",)),
        Addition("comm", KERNEL_PINS["comm"], ("traitlets",)),
        Addition("ipywidgets", KERNEL_PINS["ipywidgets"], ("comm", "ipython", "traitlets")),
        Addition(COURSE, course_version, ("ipywidgets",)),
    ]
    rewritten = local_lock(lock, local, additions,
                           extra_depends={"ipython": ("ipython-pygments-lexers",)})
    (static / "pyodide-lock.json").write_text(json.dumps(rewritten, indent=1))

    contents = staging / "contents"
    contents.mkdir()
    found = sorted((root / "notebooks").glob("*.ipynb"))
    if not found:
        raise BuildError(f"no notebooks in {root / 'notebooks'}: run `python -m grader build`.")
    carried = {name for entry in rewritten["packages"].values() for name in entry["imports"]}
    lacking = unvendored(core / "python_stdlib.zip")
    notebooks, left_out = [], []
    for path in found:
        missing = missing_modules(path, carried, lacking)
        if missing:
            left_out.append(f"`{path.name}` is not in this browser version of the course: it "
                            f"needs {', '.join(missing)}, which Python in the browser doesn't "
                            "have here. Run it on your machine (`python3 tasks.py lab`) or on "
                            "Binder.")
            continue
        shutil.copy2(path, contents / path.name)
        notebooks.append(path.name)
    if left_out:
        (contents / "README.md").write_text(
            "# In the browser\n\n" + "\n\n".join(left_out) + "\n", encoding="utf-8")

    (staging / "jupyter-lite.json").write_text(json.dumps(lite_config(), indent=2))
    (staging / "overrides.json").write_text(json.dumps(SETTINGS_OVERRIDES, indent=2))
    return tuple(notebooks), tuple(left_out)


def lite_config() -> dict:
    """The site's jupyter-lite.json: what JupyterLite and the kernel are told at start."""
    return {"jupyter-lite-schema-version": 0, "jupyter-config-data": {
        "appName": "Batch Prediction vs Real-Time Serving",
        # Which notebooks are open lasts only as long as the page (a memory store for the
        # workspace): JupyterLab starts a kernel for every notebook it restores, so a site
        # reopened with three left open would load Pyodide three times before the first cell
        # runs. Reopened, it opens the notebook asked for, with one kernel; notebooks,
        # progress and quiz answers are files, kept in the browser's storage as before.
        "enableMemoryStorage": True,
        "workspacesStorageDrivers": ["memoryStorageDriver"],
        "litePluginSettings": {KERNEL_PLUGIN: {
            "disablePyPIFallback": True,
            # Installed before the first cell runs, from this site: `from grader import check`.
            "loadPyodideOptions": {"packages": [COURSE]},
        }},
    }}


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build_site(root: Path, out: Path, cache: Path) -> Site:
    """Build the site into `out` (replacing a previous one only once the new one is whole)."""
    started = time.perf_counter()
    work = root / "build" / "lite"
    shutil.rmtree(work, ignore_errors=True)
    staging = work / "src"
    staging.mkdir(parents=True)
    try:
        notebooks, left_out = _stage(root, staging, cache)
        partial = work / "site"
        _say("running jupyter lite build (about 20 s)")
        done = subprocess.run(
            [str(Path(sys.executable).with_name("jupyter-lite")), "build",
             "--lite-dir", str(staging), "--contents", str(staging / "contents"),
             "--output-dir", str(partial), "--apps", "lab", "--no-sourcemaps",
             "--no-unused-shared-packages"],
            cwd=staging, capture_output=True, text=True)
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            raise BuildError(f"`jupyter lite build` failed:\n{tail}")
        for leftover in partial.glob(".jupyterlite.doit.db*"):
            leftover.unlink()
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(partial), str(out))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Site(out, notebooks, _size(out), time.perf_counter() - started, left_out)
