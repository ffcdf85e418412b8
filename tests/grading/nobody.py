"""Playing an instructor who isn't root, from root: `grade` run as `nobody` on a class in a
folder of theirs (the Landlock walls, for real: no capabilities, no namespaces of their own)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

NOBODY = 65534
ROOT = Path(__file__).resolve().parents[2]

needs_root_to_play_nobody = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="plays a non-root instructor from root (setuid to nobody)")


def _closed_ancestors(paths: list[Path]) -> dict[Path, set[str]]:
    """The folders above `paths` that others may not pass through (0700 /root, where Python
    lives here; a 0700 `mktemp -d` a clone was made in), each with the names below it on the
    way to one of the paths."""
    closed: dict[Path, set[str]] = {}
    for path in paths:
        for above, below in zip(path.parents, [path, *path.parents][:-1], strict=True):
            if not os.stat(above).st_mode & 0o001:
                closed.setdefault(above, set()).add(below.name)
    return closed


def _as_nobody_reaching(paths: list[Path]) -> Callable[[], None]:
    """Between fork and exec, as root: become `nobody`, in a mount namespace where each folder
    above `paths` that nobody may not pass through is covered by one (mode 711) that lets only
    the way to them through, as a non-root instructor's own Python and course would be
    reachable to them."""
    from grader.batch.sandbox import libc

    closed = sorted(_closed_ancestors(paths).items(), key=lambda item: len(item[0].parts))

    def become_nobody() -> None:
        libc.unshare(libc.CLONE_NEWNS)
        libc.mount(None, "/", None, libc.MS_REC | libc.MS_PRIVATE)
        for folder, names in closed:  # outermost first: deeper ones are reached through it
            held = {name: os.open(folder / name, os.O_PATH) for name in names}
            libc.mount("tmpfs", str(folder), "tmpfs", 0, "mode=711")
            for name, fd in held.items():
                os.mkdir(folder / name)
                libc.mount(f"/proc/self/fd/{fd}", str(folder / name), None,
                           libc.MS_BIND | libc.MS_REC)
                os.close(fd)
        os.setgroups([])
        os.setresgid(NOBODY, NOBODY, NOBODY)
        os.setresuid(NOBODY, NOBODY, NOBODY)

    return become_nobody


def grade_as_nobody(home: Path, *extra: str) -> subprocess.CompletedProcess:
    """`python -m grader grade home/subs -o home/out`, as `nobody`, with `home` (made theirs
    here) as its home and temporary folder; Python and the course reachable to them."""
    for path in [home, *home.rglob("*")]:
        os.chown(path, NOBODY, NOBODY)
    reaching = _as_nobody_reaching([Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(),
                                    ROOT, home.resolve()])
    return subprocess.run([sys.executable, "-m", "grader", "grade", str(home / "subs"), "-o",
                           str(home / "out"), "-q", *extra], cwd=home,
                          env=dict(os.environ, HOME=str(home), TMPDIR=str(home)),
                          preexec_fn=reaching, capture_output=True, text=True, timeout=600)
