"""The course package (grader + churn_course) as a pure-Python wheel, for the browser kernel.

Written directly (a wheel is a zip with a RECORD): a setuptools build would cost 15 s and an
isolated build environment on every rebuild. Same files as the project's own wheel: every
module and data file of the two packages, no caches.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

PACKAGES = ("grader", "churn_course")
_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same sources give the same wheel


def _files(root: Path) -> list[Path]:
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                found.append(path)
    return found


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(root: Path, name: str, version: str, summary: str, out_dir: Path) -> Path:
    """Write `<name>-<version>-py3-none-any.whl` into out_dir and return its path."""
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    entries: list[tuple[str, bytes]] = [
        (path.relative_to(root).as_posix(), path.read_bytes()) for path in _files(root)]
    entries += [
        (f"{info}/METADATA", (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                              f"Summary: {summary}\n").encode()),
        (f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: site_builder\nRoot-Is-Purelib: true\n"
                          b"Tag: py3-none-any\n"),
        (f"{info}/top_level.txt", "\n".join(PACKAGES).encode() + b"\n"),
    ]
    record = "\n".join([_record_line(n, d) for n, d in entries] + [f"{info}/RECORD,,"]) + "\n"
    entries.append((f"{info}/RECORD", record.encode()))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as wheel:
        for entry_name, data in entries:
            wheel.writestr(zipfile.ZipInfo(entry_name, _EPOCH), data,
                           compress_type=zipfile.ZIP_DEFLATED)
    return target
