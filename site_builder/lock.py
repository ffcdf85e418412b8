"""Pyodide's package lock, rewritten to name only the wheels the site itself carries.

The npm package of Pyodide ships its lock but none of its wheels; the kernel needs a few pure
Python ones, which PyPI has. Their sha256 differ from Pyodide's repacked wheels, so each entry
kept is pointed at the local file and its hash; every entry without a local file is dropped,
so nothing can 404 or fall back to a CDN. Packages Pyodide doesn't know (the course, ipywidgets,
comm) get entries of their own, so the kernel can preload them at start.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from . import BuildError


@dataclass(frozen=True)
class Addition:
    """A package the lock gets an entry for: its wheel and what it needs from the lock."""

    name: str
    version: str
    depends: tuple[str, ...] = ()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _top_level_imports(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    tops = set()
    for name in names:
        first = name.split("/", 1)[0]
        if first.endswith((".dist-info", ".data")):
            continue
        tops.add(first.removesuffix(".py") if "/" not in name else first)
    return sorted(t for t in tops if t.isidentifier())


def local_lock(lock: dict, wheels: dict[str, Path], additions: list[Addition],
               extra_depends: dict[str, tuple[str, ...]] | None = None) -> dict:
    """The lock with exactly the packages in `wheels` (canonical name -> local wheel file)."""
    packages: dict[str, dict] = {}
    for key, entry in lock["packages"].items():
        wheel = wheels.get(str(canonicalize_name(key)))
        if wheel is None:
            continue
        packages[key] = {**entry, "file_name": wheel.name, "sha256": _sha256(wheel)}
    for addition in additions:
        key = str(canonicalize_name(addition.name))
        wheel = wheels[key]
        packages[key] = {
            "name": addition.name, "version": addition.version, "file_name": wheel.name,
            "install_dir": "site", "sha256": _sha256(wheel), "package_type": "package",
            "imports": _top_level_imports(wheel), "depends": list(addition.depends),
            "unvendored_tests": False, "shared_library": False,
        }
    for key, more in (extra_depends or {}).items():
        packages[key]["depends"] = sorted(set(packages[key]["depends"]) | set(more))
    known = {str(canonicalize_name(k)) for k in packages}
    for key, entry in packages.items():
        for dependency in entry.get("depends", []):
            if str(canonicalize_name(dependency)) not in known:
                raise BuildError(f"the site's Pyodide lock lists {key}, which needs "
                                 f"{dependency}, but no wheel of {dependency} is in the site.")
    return {**lock, "packages": packages}
