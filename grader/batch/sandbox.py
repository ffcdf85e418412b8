"""The walls around one grading worker: limits, a scrubbed environment, and a clean kill.

Everything here runs in the worker *before* any learner code, except `kill_group`, which the
trusted parent calls when a worker's time is up or its work is done. Each wall is applied
best-effort where the platform lacks it (no root, no `prctl`), so grading still runs; the
parent's wall-clock deadline and process-group kill never depend on the worker's cooperation.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import resource
import signal
import stat
import sys
import time
from dataclasses import asdict, dataclass

MB = 1024 * 1024


# A worker's first byte on its pipe, sent before any learner code can run: a worker that
# never sends it failed on the grader's side, not the learner's.
STARTED = b"\x06"

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


def _load_libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")  # may run `ldconfig`: done once, in the fork server
    try:
        return ctypes.CDLL(name, use_errno=True) if name else None
    except OSError:
        return None


def _libc() -> ctypes.CDLL | None:
    return _LIBC


def _readable_by_all(path: str) -> bool:
    """Whether a user with no rights of its own can reach and read `path` (every ancestor
    searchable by others, the path itself readable)."""
    path = os.path.realpath(path)
    try:
        if not os.stat(path).st_mode & stat.S_IROTH:
            return False
        parent = os.path.dirname(path)
        while True:
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return False
            if parent == os.path.dirname(parent):
                return True
            parent = os.path.dirname(parent)
    except OSError:
        return False


@functools.cache
def python_readable_by_all() -> bool:
    """Can an unprivileged user import the standard library, its C extensions and IPython
    lazily?"""
    import IPython

    places = [os.path.dirname(os.__file__), os.path.dirname(IPython.__file__),
              os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
    places += [p for p in sys.path if p.endswith("lib-dynload")]
    return all(_readable_by_all(p) for p in places)


CAP_DAC_READ_SEARCH = 2
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _permitted_capabilities() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("CapPrm:"):
                    return int(line.split()[1], 16)
    except (OSError, ValueError):
        pass
    return 0


# Workers running at the same time get different user ids (one per pool slot), so one
# learner's code can't signal another's worker or write into its folder. Plain numbers, no
# passwd entry needed, far above any real account.
WORKER_UID_BASE = 1_900_000_000


def drop_privileges(workdir: str, slot: int = 0) -> str:
    """As root, become an unprivileged user of this slot's own: learner code then can't write
    the gradebook or the course's files, signal the grader or another worker, or reach the fork
    server's socket, and the process cap applies. Where Python itself lives in a folder only
    root may read (a root-owned pyenv), the user keeps one capability, to *read* files, so lazy
    imports still work: learner code can then read any file (the grader tells the instructor).

    Returns how far it got: "same user" (not root: nothing to drop), "" (root, but stayed),
    "unprivileged", or "unprivileged+read".
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "same user"
    uid = gid = WORKER_UID_BASE + slot
    keep_read = not python_readable_by_all()
    libc = _libc()
    if keep_read and (libc is None or
                      not _permitted_capabilities() & (1 << CAP_DAC_READ_SEARCH)):
        return ""  # imports would break unprivileged: stay, the other walls still stand
    try:
        os.chown(workdir, uid, gid)
        if keep_read and libc is not None and libc.prctl(8, 1, 0, 0, 0) != 0:  # KEEPCAPS
            return ""
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    except OSError:
        return ""
    if keep_read and libc is not None:
        header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
        data = (_CapData * 2)()
        data[0].effective = data[0].permitted = 1 << CAP_DAC_READ_SEARCH
        if libc.capset(ctypes.byref(header), data) != 0:
            raise OSError(ctypes.get_errno(), "capset failed after dropping privileges")
    if libc is not None:
        libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS: no setuid binary can give root back
    return "unprivileged+read" if keep_read else "unprivileged"


def die_with_parent() -> None:
    """If the fork server (and so the grading run) dies, take this worker with it (Linux).
    Set after `drop_privileges`: changing user clears it."""
    libc = _libc()
    if libc is not None:
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG


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


def wait_group_gone(pid: int, seconds: float = 2.0) -> bool:
    """SIGKILL is delivered asynchronously: wait (briefly) until no member of the group is
    left, so "graded" really means "nothing of it still runs". Instant when the worker
    started no processes."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            os.killpg(pid, 0)
        except OSError:
            return True
        if time.monotonic() >= deadline:
            return False
        kill_group(pid)
        time.sleep(0.005)


_LIBC = _load_libc()  # once, in the fork server (which imports this module), not per worker
