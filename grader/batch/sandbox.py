"""The walls around one grading worker, and everything the trusted side does to keep them up.

Read top to bottom, this is the whole isolation story:

1. **User ids** (`UidBlock`). As root, each grading run takes a block of user ids that no other
   run on the machine holds at the same time (a lock file per block, held for the run; the
   kernel drops it if the run crashes). Before a block is used, nothing of its ids may run.
2. **The worker builds its walls** (`enter`), as root and before any learner code: its own
   process group; only stdio (to /dev/null) and its result pipe open; its own mount, network
   and IPC namespaces: a private, size-capped `/tmp` (its working folder lives there), `/var/tmp`
   and `/dev/shm`, only loopback networking, every other file system read-only, the
   instructor's folders covered up, `/proc` showing only its own processes; a scrubbed
   environment; limits whose hard values equal the soft ones; then its slot's unprivileged user
   and `no_new_privs`. Only then does it say `READY` on its pipe, with two bytes saying what
   was achieved: everything after them is the learner's, believed by the parent as data and
   never as the grader's word.
3. **After the worker ends** (`kill_uid`), the parent kills every process of that user id and
   checks that none is left before the id is used again; the private `/tmp` dies with the last
   of them. Without namespaces, what the id left in the shared temporary folders is removed,
   and the working folder by `remove_tree`, which never touches anything outside it, whatever
   learner code did to its permissions.

Where the platform lacks a wall (not root, no namespaces), the worker says so in its reply and
the instructor's summary says what is weaker; the parent's deadline and kills never depend on
the worker's cooperation.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import functools
import os
import resource
import signal
import socket
import stat
import struct
import sys
import tempfile
import time
from dataclasses import asdict, dataclass

MB = 1024 * 1024

# The worker's first byte on its pipe, once its walls stand and before any learner code runs.
# A worker that never sends it failed on the grader's side; after it, nothing is the grader's.
READY = b"\x06"
STARTED = READY  # the name older code used
# Sent instead of READY when the walls could not be built (trusted text, before learner code).
FAILED = b"\x15"
# READY carries what was achieved, in two bytes the parent trusts (the reply's own "user" and
# "isolation" are overwritten with them: learner code could forge those to hide a warning).
USERS = {"unprivileged": b"u", "unprivileged+read": b"r", "same user": b"s", "root": b"0"}
ISOLATIONS = {"namespaces": b"n", "none": b"h"}


def ready_message(walls: dict) -> bytes:
    return READY + USERS[walls["user"]] + ISOLATIONS[walls["isolation"]]


def read_ready(data: bytes) -> tuple[str, str] | None:
    """(user, isolation) from the start of a worker's output, or None if it never got ready."""
    if len(data) < 3 or data[:1] != READY:
        return None
    user = {v: k for k, v in USERS.items()}.get(data[1:2])
    isolation = {v: k for k, v in ISOLATIONS.items()}.get(data[2:3])
    return (user, isolation) if user and isolation else None


@dataclass(frozen=True)
class Limits:
    """What one notebook may use. Part of the gradebook's cache key: new limits, new grades."""

    timeout: float = 30.0  # wall-clock seconds for the whole notebook, enforced by the parent
    memory_mb: int = 512  # address space learner code may add; also the size of its /tmp
    output_bytes: int = 100_000  # captured stdout + stderr kept per notebook
    file_mb: int = 16  # largest file learner code may write
    processes: int = 0  # child processes learner code may start (0: none)

    def to_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------------------- libc
def _load_libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # this process's own C library (Linux)
        if hasattr(libc, "unshare"):
            return libc
    except (OSError, AttributeError):
        pass
    name = ctypes.util.find_library("c")  # may run `ldconfig`: slow, so only as a fallback
    try:
        return ctypes.CDLL(name, use_errno=True) if name else None
    except OSError:
        return None


_LIBC = _load_libc()


def _libc() -> ctypes.CDLL | None:
    return _LIBC


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


# -------------------------------------------------------------------- 1. user ids per run
# Far above any real account; plain numbers, no passwd entry needed. Block b holds the ids
# BASE + b * BLOCK_SIZE ... + BLOCK_SIZE - 1, one per pool slot.
WORKER_UID_BASE = 1_901_000_000
BLOCK_SIZE = 256
BLOCKS = 4096
MAX_JOBS = BLOCK_SIZE


def _lock_folder() -> str:
    """A root-only folder every grading run on this machine agrees on."""
    for parent in ("/run/lock", "/run", "/var/lock", tempfile.gettempdir()):
        if os.path.isdir(parent) and os.access(parent, os.W_OK):
            folder = os.path.join(parent, "course-grader-uids")
            with contextlib.suppress(FileExistsError):
                os.mkdir(folder, 0o700)
            info = os.lstat(folder)
            if stat.S_ISDIR(info.st_mode) and info.st_uid == 0 and not info.st_mode & 0o022:
                return folder
    raise OSError("no folder for the grading runs' user-id locks (tried /run/lock, /run, "
                  "/var/lock and the temporary folder)")


class UidBlock:
    """User ids this run alone holds: acquired under a lock, released when the run ends (or
    by the kernel when it crashes), and emptied of any survivor before use."""

    def __init__(self) -> None:
        self.base = 0
        self._fd = -1

    def acquire(self) -> int:
        folder = _lock_folder()
        for block in range(BLOCKS):
            fd = os.open(os.path.join(folder, f"block-{block}.lock"),
                         os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self._fd, self.base = fd, WORKER_UID_BASE + block * BLOCK_SIZE
            # a run that crashed may have left learner processes behind: none may survive
            if not kill_uids(range(self.base, self.base + BLOCK_SIZE)):
                self.release()
                raise OSError(f"processes of user ids {self.base}+ could not be stopped")
            return self.base
        raise OSError(f"all {BLOCKS} blocks of worker user ids are in use")

    def uid(self, slot: int) -> int:
        return self.base + slot

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing drops the lock
        self._fd, self.base = -1, 0


def worker_uids_mapped() -> bool:
    """Root inside a user namespace (a rootless container) may have no worker ids to switch
    to: only ids its `uid_map` lists exist there."""
    wanted = range(WORKER_UID_BASE, WORKER_UID_BASE + BLOCKS * BLOCK_SIZE)
    try:
        with open("/proc/self/uid_map", encoding="ascii") as handle:
            for line in handle:
                inside, _, count = (int(v) for v in line.split())
                if inside <= wanted.start and wanted.stop <= inside + count:
                    return True
    except (OSError, ValueError):
        return not os.path.exists("/proc/self/uid_map")  # no user namespaces at all
    return False


def processes_of(uids: range, thorough: bool = True) -> list[int]:
    """Every live process whose real, effective or saved user id is in `uids`, from /proc's
    status files, which a process can't hide from root. `thorough=False` only looks at who owns
    each /proc/PID (the effective id; a process that made itself non-dumpable shows as root):
    ten times cheaper, and enough where the kernel refused that user every fork anyway."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        if not thorough:
            with contextlib.suppress(OSError):
                if os.stat(f"/proc/{name}").st_uid in uids:
                    found.append(int(name))
            continue
        try:
            fd = os.open(f"/proc/{name}/status", os.O_RDONLY)
        except OSError:
            continue
        try:
            text = os.read(fd, 2048)
        except OSError:
            continue
        finally:
            os.close(fd)
        state = uid = None
        for line in text.split(b"\n"):
            if line.startswith(b"State:"):
                state = line.split()[1:2]
            elif line.startswith(b"Uid:"):
                uid = [int(v) for v in line.split()[1:4]]
                break
        if uid and state != [b"Z"] and any(u in uids for u in uid):
            found.append(int(name))
    return found


def kill_uids(uids: range, seconds: float = 2.0, thorough: bool = True) -> bool:
    """SIGKILL every process of these user ids until none is left; False if some outlived
    `seconds` (the caller then never uses those ids again)."""
    deadline = time.monotonic() + seconds
    while True:
        alive = processes_of(uids, thorough)
        if not alive:
            return True
        for pid in alive:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.002)


def kill_uid(uid: int, could_fork: bool = True) -> bool:
    """After a worker of `uid` ended. Where its limits allowed no process at all (RLIMIT_NPROC
    hard 0: the kernel refused it every fork and thread), the check can be the cheap one."""
    return kill_uids(range(uid, uid + 1), thorough=could_fork)


# ------------------------------------------------------------- 2. the worker's own walls
def _set(limit: int, value: int) -> None:
    """Soft and hard limit both `value` (or the existing hard limit, if lower): learner code
    can't raise either."""
    try:
        _, hard = resource.getrlimit(limit)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(limit, (value, value))
    except (ValueError, OSError):
        pass  # a platform without this limit: the parent's deadline still holds


def _address_space() -> int:
    """Current virtual size of this process, so the memory cap is on top of what we already use."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 256 * MB


def apply_limits(limits: Limits) -> None:
    """CPU, memory, file, descriptor and process caps, hard = soft, for this process and
    anything it starts. Processes are counted per user, so that cap bites once we are not
    root; as root every process of the user is killed at the end anyway."""
    _set(resource.RLIMIT_CPU, int(limits.timeout) + 2)  # a backstop: the parent kills first
    _set(resource.RLIMIT_AS, _address_space() + limits.memory_mb * MB)
    _set(resource.RLIMIT_FSIZE, limits.file_mb * MB)
    _set(resource.RLIMIT_CORE, 0)
    _set(resource.RLIMIT_NOFILE, 256)
    _set(resource.RLIMIT_NPROC, limits.processes)
    _set(resource.RLIMIT_MSGQUEUE, 0)
    # Writing past RLIMIT_FSIZE raises OSError instead of killing the worker outright.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


_CLONE_NEWNS, _CLONE_NEWIPC, _CLONE_NEWNET = 0x00020000, 0x08000000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_SYS_MOUNT_SETATTR = 442  # the same number on every Linux architecture
_AT_RECURSIVE, _MOUNT_ATTR_RDONLY = 0x8000, 1


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def _mount(source: str | None, target: str, kind: str | None, flags: int,
           data: str | None = None) -> None:
    libc = _LIBC
    if libc is None:
        raise OSError(errno.ENOSYS, "no C library")
    _check(libc.mount(source and source.encode(), target.encode(), kind and kind.encode(),
                      ctypes.c_ulong(flags), data and data.encode()), f"mount {target}")


def _read_only_everywhere() -> None:
    """Every mount of this namespace read-only, in one call (Linux 5.12+), else one by one."""
    attr = _MountAttr(_MOUNT_ATTR_RDONLY, 0, 0, 0)
    if _LIBC is not None and _LIBC.syscall(_SYS_MOUNT_SETATTR, -100, b"/", _AT_RECURSIVE,
                                           ctypes.byref(attr), ctypes.sizeof(attr)) == 0:
        return
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as handle:
        points = [line.split()[4] for line in handle]
    for point in points:
        point = point.encode().decode("unicode_escape")  # \040 for spaces and the like
        with contextlib.suppress(OSError):
            _mount(None, point, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY)



def _cover(path: str) -> None:
    """Make an instructor's file or folder invisible: an empty, read-only thing on top."""
    try:
        info = os.stat(path)
    except OSError:
        return
    if stat.S_ISDIR(info.st_mode):
        _mount("tmpfs", path, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC | _MS_RDONLY,
               "size=4k,nr_inodes=1,mode=000")
    else:
        _mount("/dev/null", path, None, _MS_BIND)


def _loopback_up() -> None:
    """A new network namespace has only `lo`, and it is down: bring it up, so learner code
    that serves and calls itself on 127.0.0.1 works, while nothing else is reachable."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH22x", b"lo", 0x1 | 0x8 | 0x40)  # UP, LOOPBACK, RUNNING
        fcntl.ioctl(sock.fileno(), 0x8914, request)  # SIOCSIFFLAGS


PRIVATE_WORKDIR = "/tmp/work"


def private_namespaces(tmp_mb: int, hide: list[str]) -> None:
    """Own mount, network and IPC namespaces with a private, size-capped /tmp (also seen as
    /var/tmp and /dev/shm: one cap for all three), `hide` covered up, `/proc` showing only the
    user's own processes and every other mount read-only. Root only; raises OSError if the
    kernel or the container refuses (the caller falls back and says so)."""
    libc = _LIBC
    if libc is None:
        raise OSError(errno.ENOSYS, "no C library")
    _check(libc.unshare(_CLONE_NEWNS | _CLONE_NEWNET | _CLONE_NEWIPC), "unshare")
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing done here reaches the host
    under_tmp = _python_in_shared_tmp()  # before the private /tmp goes on top of it
    for path in hide:
        _cover(path)
    with contextlib.suppress(OSError):  # else the read capability stays, as without namespaces
        open_the_way_to_python()
    with contextlib.suppress(OSError):  # older kernels: /proc as it was (still read-only)
        _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
               "hidepid=invisible")
    _read_only_everywhere()
    _mount("tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV,
           f"size={max(1, tmp_mb)}m,nr_inodes=20000,mode=1777")
    for inside, where in (("/tmp/.shm", "/dev/shm"), ("/tmp/.var-tmp", "/var/tmp")):
        os.mkdir(inside)
        os.chmod(inside, 0o1777)
        if os.path.isdir(where):
            _mount(inside, where, None, _MS_BIND)
    _bring_back(under_tmp)
    _loopback_up()


_SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")


def _python_in_shared_tmp() -> dict[str, int]:
    """Python's places that live in a folder the worker gets a private one of (a clone and its
    .venv in /tmp, as a CI checkout may be): a handle to each, taken before the private folders
    cover them, so `_bring_back` can show the worker just those, read-only."""
    places = [p for p in python_places()
              if any(p.startswith(tmp + os.sep) for tmp in _SHARED_TMP)]
    outermost = [p for p in places if not any(p.startswith(o + os.sep) for o in places)]
    return {place: os.open(place, _O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
            for place in outermost}


def _bring_back(places: dict[str, int]) -> None:
    """Mount each kept place again at its own path inside the private /tmp, read-only (what is
    covered inside it stays covered: the bind is recursive)."""
    try:
        for place, fd in places.items():
            path = ""
            for part in place.strip(os.sep).split(os.sep):  # passable by the worker's user,
                path += os.sep + part                        # whatever the umask
                if not os.path.isdir(path):
                    os.mkdir(path)
                    os.chmod(path, 0o755)
            _mount(f"/proc/self/fd/{fd}", place, None, _MS_BIND | _MS_REC)
            _mount(None, place, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY)
    finally:
        for fd in places.values():
            os.close(fd)


def _readable_by_all(path: str) -> bool:
    """Whether a user with no rights of its own can reach and read `path`."""
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


def python_places() -> list[str]:
    """The folders lazy imports read from: the standard library, its C extensions, IPython,
    the grader and every folder on sys.path."""
    import IPython

    places = [os.path.dirname(os.__file__), os.path.dirname(IPython.__file__),
              os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
    places += [p for p in sys.path if p and os.path.isdir(p)]
    return list(dict.fromkeys(os.path.realpath(p) for p in places))


def _python_readable_now() -> bool:
    return all(_readable_by_all(p) for p in python_places())


@functools.cache
def python_readable_by_all() -> bool:
    """Can an unprivileged user import the standard library, its C extensions and IPython
    lazily?"""
    return _python_readable_now()


def _closed_above(path: str) -> str | None:
    """The highest folder above `path` that other users can't pass through (`/root`, say)."""
    parts = path.split(os.sep)
    for end in range(2, len(parts)):
        folder = os.sep.join(parts[:end])
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            return folder
    return None


def open_the_way_to_python() -> None:
    """Inside the private mount namespace, where Python lives below a folder only root may pass
    (a root-owned pyenv in `/root`): cover that folder with an empty, pass-through-only one
    holding nothing but the ways down to Python (bind mounts of the originals). Learner code
    then needs no capability to import lazily, and sees nothing else of that folder."""
    ways: dict[str, set[str]] = {}
    for place in python_places():
        if not _readable_by_all(place):
            closed = _closed_above(place)
            if closed is not None:  # else Python's own files are closed: only the capability
                ways.setdefault(closed, set()).add(
                    os.path.join(closed, place[len(closed) + 1:].split(os.sep)[0]))
    for closed in sorted(ways, key=lambda p: p.count(os.sep)):
        kept = {child: os.open(child, _O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
                for child in sorted(ways[closed])}
        try:
            _mount("tmpfs", closed, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
                   "size=4k,nr_inodes=64,mode=711")
            for child, fd in kept.items():
                os.mkdir(child, 0o711)
                _mount(f"/proc/self/fd/{fd}", child, None, _MS_BIND | _MS_REC)
        finally:
            for fd in kept.values():
                os.close(fd)


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


def drop_privileges(uid: int, python_readable: bool | None = None) -> str:
    """As root, become `uid`: learner code then can't write the course's files, signal the
    grader or another worker, and the process cap applies. Where Python itself lives in a folder
    only root may read (a root-owned pyenv), the user keeps one capability, to *read* files, so
    lazy imports still work (the instructor's folders are covered up, but other files are
    readable: the grader says so). Returns "same user" (not root), "unprivileged" or
    "unprivileged+read"; raises OSError if it can't."""
    if not is_root():
        return "same user"
    keep_read = not (python_readable_by_all() if python_readable is None else python_readable)
    libc = _LIBC
    if keep_read and (libc is None or
                      not _permitted_capabilities() & (1 << CAP_DAC_READ_SEARCH)):
        raise OSError("Python is readable only by root, and the read capability is missing")
    if keep_read:
        _check(libc.prctl(8, 1, 0, 0, 0), "prctl(KEEPCAPS)")  # type: ignore[union-attr]
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if keep_read:
        header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
        data = (_CapData * 2)()
        data[0].effective = data[0].permitted = 1 << CAP_DAC_READ_SEARCH
        _check(libc.capset(ctypes.byref(header), data), "capset")  # type: ignore[union-attr]
    if libc is not None:
        libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS: no setuid binary can give root back
    return "unprivileged+read" if keep_read else "unprivileged"


def die_with_parent() -> None:
    """If the fork server (and so the grading run) dies, take this worker with it (Linux).
    Set after `drop_privileges`: changing user clears it."""
    if _LIBC is not None:
        _LIBC.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG


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


def _write_files(workdir: str, files: list, uid: int | None) -> None:
    os.mkdir(workdir, 0o700)
    for name, data in files:
        fd = os.open(os.path.join(workdir, os.path.basename(name)),
                     os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if uid is not None:
            os.chown(os.path.join(workdir, os.path.basename(name)), uid, uid)
    if uid is not None:
        os.chown(workdir, uid, uid)


def enter(job: dict, keep_fd: int) -> dict:
    """Build every wall around this (forked, still trusted) worker; return what was achieved,
    for the reply: `workdir`, `user` and `isolation`. Raises on anything unexpected: the caller
    then reports FAILED, and no learner code runs."""
    os.setsid()
    silence_stdio()
    close_inherited_fds(keep=keep_fd)
    limits = Limits(**job["limits"])
    uid = job.get("uid") if is_root() else None
    isolation = "none"
    workdir = os.path.join(job["folder"], "work")
    if is_root() and job.get("namespaces", True):
        try:
            # room for the files placed there first (the quiz's answers, at most 2 MB)
            private_namespaces(limits.memory_mb + 8, list(job.get("hide", ())))
            workdir, isolation = PRIVATE_WORKDIR, "namespaces"
        except OSError:
            isolation = "none"  # a container that forbids it: the host's /tmp, said plainly
    _write_files(workdir, job.get("files", ()), uid)
    os.chdir(workdir)
    scrub_environment(workdir)
    tempfile.tempdir = None  # the fork server cached /tmp: temp files go in $TMPDIR
    apply_limits(limits)
    # in its own namespace the way to Python may have been opened (open_the_way_to_python)
    readable = _python_readable_now() if isolation == "namespaces" else None
    user = (drop_privileges(uid, readable) if uid is not None
            else ("root" if is_root() else "same user"))
    die_with_parent()
    return {"workdir": workdir, "user": user, "isolation": isolation}


# ------------------------------------------------------------ 3. the parent's clean-up
def kill_group(pid: int) -> None:
    """Kill the worker's whole process group (it leads its own, so the group id is its pid)."""
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


def wait_group_gone(pid: int, seconds: float = 2.0) -> bool:
    """SIGKILL is delivered asynchronously: wait (briefly) until no member of the group is
    left. Instant when the worker started no processes."""
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


def remove_files_of(uid: int) -> int:
    """Without namespaces, learner code shares the machine's /tmp, /var/tmp and /dev/shm: remove
    what its user id left at their top level (its own user id: nobody else's). How many."""
    removed = 0
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_uid == uid:
                    removed += remove_tree(entry.path)
    return removed


def make_folder() -> str:
    """The trusted parent's folder for one worker (used as its working folder's parent when
    there are no namespaces): only root (or the grading user) may change it, so learner code
    can't rename or replace its own folder to make the clean-up act elsewhere."""
    folder = tempfile.mkdtemp(prefix="course-grading-")
    if is_root():
        os.chmod(folder, 0o711)
    return folder


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_O_PATH = getattr(os, "O_PATH", 0)


def _open_up(parent_fd: int, name: str) -> int:
    """Open the folder `name` in `parent_fd` without following links, first giving ourselves
    rights on it if learner code took them away (via the descriptor: never by path)."""
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    except PermissionError:
        handle = os.open(name, _O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent_fd)
        try:
            os.chmod(f"/proc/self/fd/{handle}", stat.S_IRWXU)
        finally:
            os.close(handle)
        return os.open(name, _DIR_FLAGS, dir_fd=parent_fd)


def _empty(fd: int, depth: int) -> None:
    if depth > 200:
        raise OSError(errno.ELOOP, "folders nested too deeply")
    with os.scandir(fd) as entries:
        names = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
    for name, is_dir in names:
        if not is_dir:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name, dir_fd=fd)
            continue
        child = _open_up(fd, name)
        try:
            _empty(child, depth + 1)
        finally:
            os.close(child)
        os.rmdir(name, dir_fd=fd)


def remove_tree(path: str) -> bool:
    """Delete the folder `path` and everything in it, acting only through descriptors opened
    inside it (symbolic links are removed, never followed; permissions are changed only on
    folders inside it). True if it is gone."""
    parent, name = os.path.split(os.path.abspath(path))
    try:
        parent_fd = os.open(parent, _DIR_FLAGS)
    except OSError:
        return False
    try:
        try:
            os.unlink(name, dir_fd=parent_fd)  # a link or file put in its place
            return True
        except FileNotFoundError:
            return True
        except (IsADirectoryError, PermissionError):
            pass
        fd = _open_up(parent_fd, name)
        try:
            _empty(fd, 0)
        finally:
            os.close(fd)
        os.rmdir(name, dir_fd=parent_fd)
        return True
    except OSError:
        return False
    finally:
        os.close(parent_fd)
