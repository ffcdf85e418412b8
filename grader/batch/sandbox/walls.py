"""The allowlist: what a worker sees of the machine, built up from what it needs.

A worker needs Python (its prefix, its standard library, the site-packages it imports from),
the course's own packages (`grader/`, `churn_course/`: not their project folder, which holds
`solutions/`), the system's shared libraries, a few files of /etc the C library reads, /dev's
harmless devices, and a private /tmp. `allowlist` lists them, on the lane's side; nothing else
of the machine is in it: no hand-in anywhere (the LMS zip beside the graded folder, a second
class graded at the same time), no home folder, nothing of the instructor's.

Two ways to enforce it, one per kind of instructor:

- **root** (`full`): the fork server builds a view of the machine once, from an empty tmpfs
  (`build_view`: each allowed path bind-mounted read-only at its own place, /proc showing only
  a user's own processes, an empty /tmp), and pivots into it, in its own network namespace (no
  interface up) and IPC namespace. Each worker then takes a copy of that small view with a
  fresh, size-capped tmpfs on /tmp (`private_tmp`: about 0.2 ms), becomes its slot's own user id
  and, on top, walls itself in with Landlock as well.
- **not root** (`landlock`): no namespaces; each worker walls itself in with Landlock (read
  beneath the allowed paths, write only beneath the folder the lane made for it; signals and
  abstract sockets only among its own). Files outside the allowlist can't be opened, listed
  or written, though their names can still be looked up (`os.stat`). It is on the machine's
  own network, so no TCP/IP socket at all, except for a step judged against Part 2's endpoint
  (step 8): the worker makes the endpoint's sockets on 127.0.0.1 before its walls go up, then
  may connect over plain TCP to their one port and nowhere else, and bind nothing.

Either way a seccomp filter and a cgroup per slot bound what the kernel gives (`syscalls.py`,
`cgroups.py`).
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import site
import stat
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass

from ...part2 import scenario_endpoint
from ...spec import step_for
from ..protocol import MB, ForkRequest, Handshake, Limits, WorkerJob
from . import landlock, syscalls
from .libc import (
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    MNT_DETACH,
    MS_BIND,
    MS_NODEV,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    MS_REMOUNT,
    PR_CAPBSET_DROP,
    PR_SET_PDEATHSIG,
    SYS_PIVOT_ROOT,
    check,
    libc,
    mount,
    prctl,
    syscall,
    unshare,
)

SYSTEM = ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin")
ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/hosts",
       "/etc/mime.types", "/etc/nsswitch.conf", "/etc/ssl/certs", "/etc/ca-certificates")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
WORKDIR = "/tmp/work"  # a worker's folder inside its private /tmp (full walls)


# ----------------------------------------------------------------- the lane's side
def _course_packages() -> list[str]:
    import churn_course
    import grader

    return [os.path.dirname(os.path.abspath(m.__file__ or "")) for m in (grader, churn_course)]


def _python_places() -> list[str]:
    places = [sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix,
              os.path.dirname(os.__file__)]
    with_site = [*site.getsitepackages(),
                 *([site.getusersitepackages()] if site.ENABLE_USER_SITE else [])]
    places += [p for p in with_site if p in sys.path]
    return places


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def allowlist(hide: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """(paths a worker may read, notes for the instructor). PYTHONPATH entries count as the
    instructor's own Python packages; entries other code added to `sys.path` (Dask's scratch
    folders, a script's own folder) don't. A path that holds one of `hide` (the hand-ins, OUT,
    the gradebook) or a home folder itself is left out, and said."""
    packages = _course_packages()
    project = {os.path.realpath(os.path.dirname(p)) for p in packages}  # holds solutions/
    extra = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
             if p and os.path.realpath(p) not in project]
    hidden = [os.path.realpath(p) for p in hide]
    homes = {"/", "/root", "/home", os.path.expanduser("~")}
    paths: list[str] = []
    notes: list[str] = []
    for place in [*_python_places(), *packages, *extra, *SYSTEM, *ETC, *DEVICES]:
        if not os.path.exists(place):
            continue
        real = os.path.realpath(place)
        if any(_inside(h, real) for h in hidden) or real in homes:
            notes.append(f"{place} was left out of what learner code can see: it holds your "
                         "submissions, reports or gradebook, or is a home folder")
            continue
        for path in (os.path.abspath(place), real):
            if path not in paths:
                paths.append(path)
    return paths, notes


# ------------------------------------------------------ the fork server's side (root)
def _links(paths: list[str]) -> dict[str, str]:
    """Every symbolic link on the way to (or at) each path, with its target, read before the
    view covers anything."""
    found = {}
    for path in paths:
        here = ""
        for part in path.strip(os.sep).split(os.sep):
            here += os.sep + part
            if here not in found and os.path.islink(here):
                found[here] = os.readlink(here)
    return found


def _make_parents(root: str, path: str, links: dict[str, str]) -> None:
    """The folders down to `path` inside `root`, passable by anyone; where the host has a
    symbolic link on the way (/lib -> usr/lib), the same link."""
    here = ""
    for part in path.strip(os.sep).split(os.sep)[:-1]:
        here += os.sep + part
        inside = root + here
        if os.path.lexists(inside):
            continue
        if here in links:
            os.symlink(links[here], inside)
            return  # the rest is reached through the link's target, placed on its own
        os.mkdir(inside)
        os.chmod(inside, 0o755)


def _place(root: str, path: str, fd: int, links: dict[str, str]) -> None:
    """Bind what `fd` holds at `path` inside `root`, read-only (a link stays a link)."""
    if any(_inside(path, link) and path != link for link in links):
        return  # below a link: its target is placed instead
    _make_parents(root, path, links)
    inside = root + path
    if os.path.lexists(inside):
        return
    if path in links:
        os.symlink(links[path], inside)
        return
    mode = os.fstat(fd).st_mode
    if stat.S_ISDIR(mode):
        os.mkdir(inside)
    else:
        os.close(os.open(inside, os.O_WRONLY | os.O_CREAT, 0o600))
    flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID
    if not stat.S_ISCHR(mode):
        flags |= MS_NODEV
    mount(f"/proc/self/fd/{fd}", inside, None, MS_BIND | MS_REC)
    mount(None, inside, None, flags)


def build_view(allowed: list[str]) -> None:
    """Enter a new mount, network and IPC namespace and pivot into a view holding only
    `allowed` (read-only), /proc (each user sees only their own processes) and an empty /tmp.
    Root only; raises OSError when the kernel or a container refuses."""
    unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC)
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing done here reaches the host
    links = _links(allowed)
    held = {}
    for path in allowed:  # held before the new root covers /tmp (a checkout may live there)
        try:
            held[path] = os.open(path, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue
    root = "/tmp"
    try:
        mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=755")
        for path in sorted(held, key=lambda p: p.count(os.sep)):
            _place(root, path, held[path], links)
    finally:
        for fd in held.values():
            os.close(fd)
    os.mkdir(root + "/proc", 0o555)
    mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=invisible")
    if not os.path.isdir(root + "/tmp"):  # else made for a path kept in /tmp (see private_tmp)
        os.mkdir(root + "/tmp")
    os.chmod(root + "/tmp", 0o1777)
    os.mkdir(root + "/.old")
    syscall(SYS_PIVOT_ROOT, root.encode(), (root + "/.old").encode())
    os.chdir("/")
    check(libc().umount2(b"/.old", MNT_DETACH), "umount the machine's root")
    os.rmdir("/.old")
    mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def kept_in_tmp(allowed: list[str]) -> list[str]:
    """Allowed paths that live in /tmp (a checkout and its .venv there, as a CI clone may
    be), which each worker's own /tmp would cover."""
    places = [p for p in allowed if p.startswith("/tmp/") and not os.path.islink(p)]
    return [p for p in places if not any(_inside(p, o) and p != o for o in places)
            and os.path.exists(p)]


def _loopback_up() -> None:
    """A new network namespace has only `lo`, and it is down: bring it up, so code that serves
    and calls itself on 127.0.0.1 works, while nothing else is reachable."""
    import fcntl
    import socket
    import struct

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH22x", b"lo", 0x1 | 0x8 | 0x40)  # UP, LOOPBACK, RUNNING
        fcntl.ioctl(sock.fileno(), 0x8914, request)  # SIOCSIFFLAGS


def private_tmp(size_mb: int, uid: int | None, kept: list[str]) -> str:
    """In a worker: its own copy of the view with a fresh tmpfs on /tmp, the allowed paths
    that live there bound back (read-only), and its working folder; and its own loopback
    network (no other worker's endpoints on it). Returns that folder."""
    unshare(CLONE_NEWNS | CLONE_NEWNET)
    _loopback_up()
    held = {path: os.open(path, os.O_PATH | os.O_CLOEXEC) for path in kept}
    try:
        mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
              f"size={max(1, size_mb)}m,nr_inodes=20000,mode=1777")
        for path, fd in held.items():
            _make_parents("", path, {})
            os.mkdir(path)
            mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    finally:
        for fd in held.values():
            os.close(fd)
    os.mkdir(WORKDIR, 0o700)
    if uid is not None:
        os.chown(WORKDIR, uid, uid)
    return WORKDIR


# ------------------------------------------------------------------ the worker's side
def _set(limit: int, value: int) -> None:
    """Soft and hard limit both `value` (or the existing hard limit, if lower): learner code
    can't raise either."""
    try:
        _, hard = resource.getrlimit(limit)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(limit, (value, value))
    except (ValueError, OSError):
        pass  # a platform without this limit: the lane's deadline and the cgroup still hold


def _address_space() -> int:
    """Current virtual size of this process, so the memory cap is on top of what we already use."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 256 * MB


def server_limits(limits: Limits) -> int:
    """In the fork server, once: the caps it can carry itself (file size, core files,
    descriptors, message queues; hard = soft, inherited by every worker). Returns its address
    space, on top of which each worker may add `--memory`."""
    _set(resource.RLIMIT_FSIZE, limits.file_mb * MB)
    _set(resource.RLIMIT_CORE, 0)
    _set(resource.RLIMIT_NOFILE, 256)  # the server's own (a socket per slot); see WORKER_FILES
    _set(resource.RLIMIT_MSGQUEUE, 0)
    # Writing past RLIMIT_FSIZE raises OSError instead of killing the worker outright.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return _address_space()


# Descriptors a worker may have open: the course's solutions need 12 under grading (notebook 06
# serving and calling its endpoint included; measured by grading them with lower limits), and
# each open TCP socket is kernel memory outside a cgroup v1 memory limit.
WORKER_FILES = 64


def apply_limits(limits: Limits, address_space: int) -> None:
    """In each worker: CPU, memory, descriptor and process caps, hard = soft (the rest came
    with the fork, see `server_limits`)."""
    _set(resource.RLIMIT_CPU, int(limits.timeout) + 2)  # a backstop: the lane kills first
    _set(resource.RLIMIT_AS, address_space + limits.memory_mb * MB)
    _set(resource.RLIMIT_NPROC, limits.processes)
    _set(resource.RLIMIT_NOFILE, WORKER_FILES)


def scrub_environment(home: str) -> None:
    """Only what Python and IPython need (the fork server started with no more than this)."""
    keep = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": home,
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8",
            "COURSE_PROGRESS_FILE": os.path.join(home, ".course_progress.json"),
            "COURSE_QUIZ_ANSWERS": os.path.join(home, "quiz_answers.json")}
    os.environ.clear()
    os.environ.update(keep)


def close_inherited_fds(keep: Iterable[int]) -> None:
    """Close every descriptor but stdio and `keep`: nothing of the fork server's may be
    reachable from learner code."""
    low = 3
    for fd in sorted(set(keep)):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)


def silence_stdio() -> None:
    """Point fds 0-2 at /dev/null: learner code that writes to the raw descriptors can't flood
    the instructor's terminal."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)


def write_files(workdir: str, files: Iterable[tuple[str, bytes]], uid: int | None) -> None:
    for name, data in files:
        path = os.path.join(workdir, os.path.basename(name))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if uid is not None:
            os.chown(path, uid, uid)


def become(uid: int) -> None:
    """As root: the slot's own user id, no groups, no capabilities left."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def drop_capabilities() -> None:
    """Root forced onto the non-root walls (tests, comparisons): keep the user id, lose every
    capability, as an ordinary instructor has none."""
    for cap in range(64):
        try:
            prctl(PR_CAPBSET_DROP, cap)
        except OSError:
            break
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    check(libc().capset(header, data), "capset")


@dataclass
class ServerWalls:
    """What the fork server prepared once for all its workers."""

    kind: str  # "full" or "landlock"
    read: list[int]  # Landlock: descriptors of the allowed paths
    programs: dict[tuple[bool, bool], bytes | None]  # seccomp, by (may start processes,
    #                                                   reaches Part 2's endpoint)
    kept: list[str]  # full walls: allowed paths in /tmp, bound back in each worker
    address_space: int  # the server's, on top of which a worker may add --memory


def enter(job: WorkerJob, request: ForkRequest, server: ServerWalls, result_fd: int) -> Handshake:
    """Build every wall around this (forked, still trusted) worker; raise if anything fails
    (the caller then says FAILED, and no learner code runs)."""
    os.setsid()
    silence_stdio()
    close_inherited_fds([result_fd, *server.read])
    limits, uid = job.limits, request.uid
    if server.kind == "none":  # benchmarks only: what the walls cost, measured against this
        workdir = request.workdir or os.getcwd()
        write_files(workdir, job.files, None)
        os.chdir(workdir)
        scrub_environment(workdir)
        return Handshake("root" if os.geteuid() == 0 else "same user", "none")
    if server.kind == "full":  # + the quiz's answers, at most 2 MB
        workdir = private_tmp(limits.memory_mb + 8, uid, server.kept)
    else:
        workdir = request.workdir or os.getcwd()
    write_files(workdir, job.files, uid)
    os.chdir(workdir)
    scrub_environment(workdir)
    tempfile.tempdir = None  # the fork server cached its own: temp files go in $TMPDIR
    apply_limits(limits, server.address_space)
    with open("/proc/self/oom_score_adj", "w", encoding="ascii") as handle:
        handle.write("1000")  # if the machine runs short, a worker goes first, never the lane
    if uid is not None:
        become(uid)
        user = "unprivileged"
    elif os.geteuid() == 0:
        drop_capabilities()
        user = "root"
    else:
        user = "same user"
    libc().prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)  # after the user change
    endpoint = step_for(job.step).probe.endpoint
    ports = scenario_endpoint.reserve() if endpoint else frozenset()  # before bind is refused
    walled = 0
    if server.kind == "landlock":  # (the full walls' view and user id already hold the same)
        own = os.open(workdir, os.O_PATH | os.O_CLOEXEC)
        null = os.open("/dev/null", os.O_PATH | os.O_CLOEXEC)
        try:
            walled = landlock.restrict(server.read, [own, null], connect=ports)
        finally:
            for fd in (own, null, *server.read):
                os.close(fd)
    program = server.programs.get((limits.processes > 0, endpoint))
    if program is not None:
        syscalls.load_filter(program)
    syscalls.refuse_in_words(job.step, limits.processes > 0,
                             None if server.kind == "full" else ports)
    syscalls.refuse_kill_in_words(job.step)
    kind = server.kind if (walled or server.kind == "full") else "none"
    return Handshake(user, kind)
