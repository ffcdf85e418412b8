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
    programs = {False: syscalls.compile_filter(False, metadata),
                True: syscalls.compile_filter(True, metadata)}
    if programs[False] is None:
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


def _fork(control: socket.socket, request: ForkRequest, fds: list[int], prepared: object,
          wakeup: tuple[int, int]) -> None:
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


def main(control_fd: int) -> None:
    control = socket.socket(fileno=control_fd)
    settings = decode(ServerSettings, control.recv(MAX_MESSAGE))
    sys.path[:] = settings.sys_path
    os.umask(0o077)
    _new_session_keyring()
    from . import warm  # noqa: F401  (IPython, numpy, FastAPI, the probe: loaded once)

    prepared, problem = _prepare(settings)
    control.send(encode(ServerReady(prepared.kind, problem)))  # type: ignore[attr-defined]
    wakeup = os.pipe()
    for fd in wakeup:
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wakeup[1])
    signal.signal(signal.SIGCHLD, lambda *_: None)
    import selectors

    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    selector.register(wakeup[0], selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():
            if key.fileobj is control:
                message, fds, _flags, _ = socket.recv_fds(control, MAX_MESSAGE, 8)
                if not message:
                    os._exit(0)  # the lane is gone: so are we (workers die with us)
                _fork(control, decode(ForkRequest, message), fds, prepared, wakeup)
            else:
                while True:
                    try:
                        if not os.read(wakeup[0], 512):
                            break
                    except BlockingIOError:
                        break
        _reap(control)


