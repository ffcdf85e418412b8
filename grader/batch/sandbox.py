"""The walls around one grading worker: limits, a scrubbed environment, and a clean kill.

Everything here runs in the worker *before* any learner code, except `kill_group`, which the
trusted parent calls when a worker's time is up or its work is done. Each wall is applied
best-effort where the platform lacks it (no root, no `prctl`), so grading still runs; the
parent's wall-clock deadline and process-group kill never depend on the worker's cooperation.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import pwd
import resource
import signal
from dataclasses import asdict, dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one notebook may use. Part of the gradebook's cache key: new limits, new grades."""

    timeout: float = 30.0  # wall-clock seconds for the whole notebook, enforced by the parent
    memory_mb: int = 512  # address space learner code may add to the worker's own
    output_bytes: int = 100_000  # captured stdout + stderr kept per notebook
    file_mb: int = 16  # largest file learner code may write in its working directory
    processes: int = 0  # child processes learner code may start (0: none)

    def to_dict(self) -> dict:
        return asdict(self)


def _address_space() -> int:
    """Current virtual size of this process, so the memory cap is on top of what we already use."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 256 * MB


def _set(limit: int, value: int) -> None:
    try:
        _, hard = resource.getrlimit(limit)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(limit, (value, value if hard == resource.RLIM_INFINITY else hard))
    except (ValueError, OSError):
        pass  # a platform without this limit: the parent's deadline still holds


def apply_limits(limits: Limits) -> None:
    """CPU, memory, file and descriptor caps for this process and anything it starts."""
    _set(resource.RLIMIT_CPU, int(limits.timeout) + 2)  # a backstop: the parent kills first
    _set(resource.RLIMIT_AS, _address_space() + limits.memory_mb * MB)
    _set(resource.RLIMIT_FSIZE, limits.file_mb * MB)
    _set(resource.RLIMIT_CORE, 0)
    _set(resource.RLIMIT_NOFILE, 256)
    # Writing past RLIMIT_FSIZE raises OSError instead of killing the worker outright.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def limit_processes(count: int) -> None:
    """Cap child processes. Linux counts them per user, so this only bites once we are not root
    (see `drop_privileges`); the process-group kill covers the rest."""
    _set(resource.RLIMIT_NPROC, count)


def drop_privileges(workdir: str) -> bool:
    """As root, become `nobody`: learner code then can't signal other processes, read the
    instructor's files or reach the fork server's socket. Returns whether it happened."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        return False
    try:
        os.chown(workdir, nobody.pw_uid, nobody.pw_gid)
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)
    except OSError:
        return False
    return True


def die_with_parent() -> None:
    """If the fork server (and so the grading run) dies, take this worker with it (Linux).
    Set after `drop_privileges`: changing user clears it."""
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def scrub_environment(home: str) -> None:
    """The instructor's environment (tokens, paths, credentials) is none of learner code's
    business: keep only what Python and IPython need."""
    keep = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": home,
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8",
            "COURSE_PROGRESS_FILE": os.path.join(home, ".course_progress.json"),
            "COURSE_QUIZ_ANSWERS": os.path.join(home, "quiz_answers.json")}
    os.environ.clear()
    os.environ.update(keep)


def close_inherited_fds(keep: int) -> None:
    """Close every descriptor but stdio and our result pipe: the fork server's socket ends and
    the resource tracker's pipe must not be reachable from learner code."""
    try:
        high = os.sysconf("SC_OPEN_MAX")
    except (OSError, ValueError):
        high = 4096
    os.closerange(3, keep)
    os.closerange(keep + 1, min(high, 65536))


def silence_stdio() -> None:
    """Point fds 0-2 at /dev/null: learner code that writes to the raw descriptors (or a
    subprocess's output) can't flood the instructor's terminal."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)


def kill_group(pid: int) -> None:
    """Kill the worker's whole process group, so nothing it started survives. The worker leads
    its own group (`os.setsid`), so the group id is its pid."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:  # the group is already gone (or never formed: the caller kills the pid)
        pass
