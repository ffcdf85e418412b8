"""Playing an instructor who isn't root, from root: `grade` run as `nobody` on a class in a
folder of theirs (the Landlock walls, for real: no capabilities, no namespaces of their own)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

NOBODY = 65534
PYTHON = os.path.realpath(sys.base_prefix)
# Python in root's home (0700 here): it is let through, as an instructor's own Python is theirs
ROOT_HOME_PART = "/root/" + PYTHON.split("/")[2] if PYTHON.startswith("/root/") else ""

needs_root_to_play_nobody = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="plays a non-root instructor from root (setuid to nobody)")


def _as_nobody() -> None:
    """Between fork and exec, as root: become `nobody`; where Python lives in root's home, in
    a mount namespace where /root is covered by a folder that only lets Python's place through."""
    from grader.batch.sandbox import libc

    if ROOT_HOME_PART:
        libc.unshare(libc.CLONE_NEWNS)
        libc.mount(None, "/", None, libc.MS_REC | libc.MS_PRIVATE)
        held = os.open(ROOT_HOME_PART, os.O_PATH)
        libc.mount("tmpfs", "/root", "tmpfs", 0, "mode=711")
        os.mkdir(ROOT_HOME_PART)
        libc.mount(f"/proc/self/fd/{held}", ROOT_HOME_PART, None, libc.MS_BIND | libc.MS_REC)
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)


def grade_as_nobody(home: Path, *extra: str) -> subprocess.CompletedProcess:
    """`python -m grader grade home/subs -o home/out`, as `nobody`, with `home` (made theirs
    here) as its home and temporary folder."""
    for path in [home, *home.rglob("*")]:
        os.chown(path, NOBODY, NOBODY)
    return subprocess.run([sys.executable, "-m", "grader", "grade", str(home / "subs"), "-o",
                           str(home / "out"), "-q", *extra], cwd=home,
                          env=dict(os.environ, HOME=str(home), TMPDIR=str(home)),
                          preexec_fn=_as_nobody, capture_output=True, text=True, timeout=600)
