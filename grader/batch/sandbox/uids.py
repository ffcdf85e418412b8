"""User ids per grading run (root only): a block of ids no other run on the machine holds at the
same time (a lock file per block, held for the run; the kernel drops it if the run crashes), one
id per pool slot, and the check that no process of an id is left before it is used again."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import stat
import tempfile
import time
from collections.abc import Callable, Iterable


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


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


def kill_until_gone(find: Callable[[], Iterable[int]], seconds: float) -> bool:
    """SIGKILL every process `find` names, again and again, until it names none (True) or
    `seconds` have passed (False)."""
    deadline = time.monotonic() + seconds
    while True:
        alive = list(find())
        if not alive:
            return True
        for pid in alive:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.002)


def kill_uids(uids: range, seconds: float = 2.0, thorough: bool = True) -> bool:
    """SIGKILL every process of these user ids until none is left; False if some outlived
    `seconds` (the caller then never uses those ids again)."""
    return kill_until_gone(lambda: processes_of(uids, thorough), seconds)


def kill_uid(uid: int, could_fork: bool = True) -> bool:
    """After a worker of `uid` ended. Where its limits allowed no process at all (RLIMIT_NPROC
    hard 0: the kernel refused it every fork and thread), the check can be the cheap one."""
    return kill_uids(range(uid, uid + 1), thorough=could_fork)
