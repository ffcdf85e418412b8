"""The few C library calls Python has no wrapper for (mount, unshare, prctl, raw syscalls)."""

from __future__ import annotations

import ctypes
import errno
import os


def _load() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # this process's own C library (Linux)
        if hasattr(libc, "unshare"):
            return libc
    except (OSError, AttributeError):
        pass
    return None  # not Linux: the walls that need it say so


LIBC = _load()

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWNET = 0x00020000, 0x08000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_CAPBSET_DROP = 1, 38, 22, 24
SYS_PIVOT_ROOT = 155 if os.uname().machine == "x86_64" else 41  # aarch64: 41
SYS_KEYCTL = 250 if os.uname().machine == "x86_64" else 219
KEYCTL_JOIN_SESSION_KEYRING = 1


def libc() -> ctypes.CDLL:
    if LIBC is None:
        raise OSError(errno.ENOSYS, "no C library to build the sandbox with")
    return LIBC


def check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def mount(source: str | None, target: str, kind: str | None, flags: int,
          data: str | None = None) -> None:
    check(libc().mount(source and source.encode(), target.encode(), kind and kind.encode(),
                       ctypes.c_ulong(flags), data and data.encode()), f"mount {target}")


def unshare(flags: int) -> None:
    check(libc().unshare(flags), "unshare")


def prctl(option: int, arg: int = 0) -> None:
    check(libc().prctl(option, ctypes.c_ulong(arg), 0, 0, 0), f"prctl({option})")


def syscall(number: int, *args: object) -> int:
    result = libc().syscall(number, *args)
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, f"syscall {number}: {os.strerror(code)}")
    return int(result)
