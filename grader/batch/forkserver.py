"""The fork server: one pre-warmed process per pool, from which every worker is forked.

It starts by exec with nothing of the instructor's: an environment of a few fixed variables,
arguments that name only the course's package, its settings read from its socket (a
`socketpair` end: no path, so no temporary-folder path can be too long for it), and a fresh,
empty session keyring. Then it imports what every worker needs (IPython, numpy, FastAPI, the
probe: `warm.py`), compiles the seccomp filter, and, as root, pivots into the allowlist view
(`sandbox.walls.build_view`). It says `ServerReady`, then forks one worker per `ForkRequest`,
answers `Forked` (with a pidfd, so the lane can kill that very process and no other), and
`Exited` with each worker's wait status. A job never passes through it: the worker reads its
own from a descriptor the lane filled, so no learner's notebook is ever in this process's memory
for the next worker to find.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys

from .protocol import Exited, Forked, ForkRequest, ServerReady, ServerSettings, decode, encode

MAX_MESSAGE = 1 << 20
ENVIRONMENT = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def boot_command(package_root: str, control: int) -> list[str]:
    """How a lane starts a fork server: isolated mode (no PYTHON* variables, no user site)."""
    code = (f"import sys; sys.path.insert(0, {package_root!r}); "
            f"from grader.batch.forkserver import main; main({control})")
    return [sys.executable, "-I", "-B", "-c", code]


def _new_session_keyring() -> None:
    """Workers must not inherit the instructor's session keyring (a PAM login's)."""
    from .sandbox.libc import KEYCTL_JOIN_SESSION_KEYRING, SYS_KEYCTL, libc

    libc().syscall(SYS_KEYCTL, KEYCTL_JOIN_SESSION_KEYRING, None)


def _prepare(settings: ServerSettings) -> tuple[object, str]:
    """Everything done once for all workers; (ServerWalls, a problem to tell, or "")."""
    from .sandbox import landlock, syscalls, walls

    kind, problem = settings.walls, ""
    if kind == "none":  # benchmarks only (see WorkerPool)
        return walls.ServerWalls(kind, [], {}, [], 0), "NO WALLS: for benchmarks only"
    metadata = kind != "full"  # workers that run as the instructor: no chmod and the like
    # full walls: a network of its own; else the machine's: TCP to Part 2's endpoint at most
    programs = {(processes, endpoint): syscalls.compile_filter(
        processes, metadata,
        "loopback" if kind == "full" else ("connect" if endpoint else "none"))
        for processes in (False, True) for endpoint in (False, True)}
    if programs[False, False] is None:
        problem = ("libseccomp is missing here, so no system-call filter stands around learner "
                   "code (install libseccomp2)")
    kept: list[str] = []
    if kind == "full":
        try:
            walls.build_view(settings.allow)
        except OSError as err:  # half-built: this server can't go on (the pool starts another)
            return walls.ServerWalls("failed", [], programs, [], 0), str(err)
        kept = walls.kept_in_tmp(settings.allow)
    read = [] if kind == "full" else landlock.open_paths(settings.allow)
    if kind == "landlock" and landlock.abi() < 1:
        problem = ("this kernel has no Landlock (Linux 5.13+ with it enabled), so learner code "
                   "can read every file you can")
    elif kind == "landlock" and landlock.abi() < 4:
        problem = (f"this kernel's Landlock (version {landlock.abi()}) can't limit TCP (Linux "
                   "6.7+ can): learner code graded on Part 2's step 8, judged against an "
                   "endpoint on 127.0.0.1, can open TCP connections anywhere")
    elif kind == "landlock" and landlock.abi() < 6:
        problem = (f"this kernel's Landlock (version {landlock.abi()}) can't keep signals in "
                   "(Linux 6.12+ can): learner code, running as you, could signal your other "
                   "processes")
    address_space = walls.server_limits(settings.limits)
    return walls.ServerWalls(kind, read, programs, kept, address_space), problem


def _reap(control: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        control.send(encode(Exited(pid, status)))


def _fork(control: socket.socket, request: ForkRequest, fds: list[int], prepared: object) -> None:
    pid = os.fork()
    if pid == 0:  # the worker: nothing of this loop survives in it, whatever happens
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            from .worker import run_worker

            run_worker(request, fds, prepared)
        finally:
            os._exit(70)
    for fd in fds:
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    try:
        socket.send_fds(control, [encode(Forked(pid))], [pidfd])
    finally:
        os.close(pidfd)


def _serve_slot(control: socket.socket, groups: list[int], prepared: object) -> None:
    """One slot's server, forked from the warm one: it joins the slot's cgroups once, so its
    workers are born in them (moving a process between cgroups waits for the kernel's RCU: ms
    on a busy machine), then forks one worker per request. Never returns."""
    import selectors

    from .sandbox.libc import PR_SET_PDEATHSIG, libc

    libc().prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)  # dies with the warm server
    for fd in groups:
        os.write(fd, b"0")
        os.close(fd)
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w",
                                               encoding="ascii") as handle:
        handle.write("-1000")  # if the slot runs out of memory, its worker goes, not its server
        # (needs CAP_SYS_RESOURCE; else the worker's own +1000 makes it the choice anyway)
    wakeup = os.pipe()
    for fd in wakeup:
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wakeup[1])
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    selector.register(wakeup[0], selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():
            if key.fileobj is control:
                message, fds, _flags, _ = socket.recv_fds(control, MAX_MESSAGE, 8)
                if not message:
                    os._exit(0)  # the lane is gone: so are we (workers die with us)
                _fork(control, decode(ForkRequest, message), fds, prepared)
            else:
                while True:
                    try:
                        if not os.read(wakeup[0], 512):
                            break
                    except BlockingIOError:
                        break
        _reap(control)


def _start_slots(settings: ServerSettings, groups: list[int],
                 prepared: object) -> tuple[list[int], list[int]]:
    """A server per slot; returns the lane's ends of their sockets, and their pids."""
    ends: list[int] = []
    pids: list[int] = []
    at = 0
    for count in settings.slots:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        mine = groups[at:at + count]
        at += count
        pid = os.fork()
        if pid == 0:
            try:
                ours.close()
                for fd in ends + [g for g in groups if g not in mine]:
                    os.close(fd)
                _serve_slot(theirs, mine, prepared)
            except BaseException:  # said on the lane's log of this server, then gone
                import traceback

                traceback.print_exc()
            finally:
                os._exit(70)
        theirs.close()
        ends.append(ours.detach())
        pids.append(pid)
    for fd in groups:
        os.close(fd)
    return ends, pids


def main(control_fd: int) -> None:
    control = socket.socket(fileno=control_fd)
    message, groups, _flags, _ = socket.recv_fds(control, MAX_MESSAGE, 1024)
    settings = decode(ServerSettings, message)
    sys.path[:] = settings.sys_path
    os.umask(0o077)
    _new_session_keyring()
    from . import warm  # noqa: F401  (IPython, numpy, FastAPI, the probe: loaded once)

    prepared, problem = _prepare(settings)
    kind = prepared.kind  # type: ignore[attr-defined]
    ends, pids = _start_slots(settings, groups, prepared) if kind != "failed" else ([], [])
    socket.send_fds(control, [encode(ServerReady(kind, problem, pids))], ends)
    for fd in ends:
        os.close(fd)
    while control.recv(MAX_MESSAGE):  # until the lane is gone; the slots' servers die with us
        pass
    os._exit(0)
