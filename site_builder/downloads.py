"""Cached downloads for the site: Pyodide's core from npm, pure-Python wheels from PyPI.

Nothing is fetched twice: a file already in the cache folder is used as it is.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterable
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename

from . import BuildError

NPM_HINT = ("npm is needed once, to fetch Pyodide: install Node.js and npm "
            "(Debian/Ubuntu: apt-get install -y npm), then run this again.")


def pyodide_core(version: str, cache: Path) -> Path:
    """Pyodide's core files (`pyodide.mjs`, the WebAssembly, the stdlib, the lock), unpacked."""
    unpacked = cache / f"pyodide-{version}"
    if (unpacked / "pyodide-lock.json").exists():
        return unpacked
    tarball = cache / "npm" / f"pyodide-{version}.tgz"
    if not tarball.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise BuildError(NPM_HINT)
        tarball.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([npm, "pack", f"pyodide@{version}", "--silent"],
                              cwd=tarball.parent, capture_output=True, text=True)
        if done.returncode != 0 or not tarball.exists():
            raise BuildError(f"`npm pack pyodide@{version}` failed ({_last_line(done.stderr)}); "
                             "check that the npm registry can be reached.")
    partial = cache / f"pyodide-{version}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    with tarfile.open(tarball) as archive:
        members = [m for m in archive.getmembers()
                   if m.isfile() and m.name.startswith("package/") and ".." not in m.name]
        for member in members:
            member.name = member.name.removeprefix("package/")
        archive.extractall(partial, members=members, filter="data")
    partial.rename(unpacked)
    return unpacked


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no message"


def _cached_wheels(folder: Path) -> dict[tuple[str, str], Path]:
    found = {}
    for path in folder.glob("*.whl"):
        name, version, _, _ = parse_wheel_filename(path.name)
        found[(str(name), str(version))] = path
    return found


def wheels(pins: Iterable[tuple[str, str]], cache: Path, python_version: str) -> dict[str, Path]:
    """One pure-Python wheel per (name, version), from the cache or else `pip download`."""
    folder = cache / "wheels"
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {(str(canonicalize_name(n)), v) for n, v in pins}
    missing = sorted(wanted - set(_cached_wheels(folder)))
    if missing:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", "--platform", "any", "--python-version", python_version,
             "--implementation", "py", "--abi", "none", "--dest", str(folder),
             *[f"{name}=={version}" for name, version in missing]],
            capture_output=True, text=True)
        if done.returncode != 0:
            raise BuildError(f"`pip download` of {len(missing)} wheel(s) failed "
                             f"({_last_line(done.stderr)}); check that PyPI can be reached.")
    cached = _cached_wheels(folder)
    still = sorted(wanted - set(cached))
    if still:
        raise BuildError(f"PyPI has no pure-Python wheel of {still[0][0]}=={still[0][1]}.")
    return {name: cached[(name, version)] for name, version in wanted}
