"""Landlock (Linux 5.13+, no privilege needed): a process walls itself off the file system, TCP
and other processes' signals and abstract sockets, for good and for everything it starts.

A worker builds its ruleset from descriptors the fork server opened once (`open_paths`): read
beneath each allowed path, read and write beneath its own folder; TCP: no binding at all, and
connections only to the ports it is given (Part 2's endpoint; ABI 4+). A port rule holds on
every address, this machine's and any other's. Rights this kernel's Landlock doesn't know are
left out (best effort, as its documentation asks); `abi()` says which version this kernel has,
so the pool can say what is missing.
"""

from __future__ import annotations

import ctypes
import functools
import os
import stat
from collections.abc import Iterable

from .libc import PR_SET_NO_NEW_PRIVS, libc, prctl

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # the same everywhere
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH, RULE_NET_PORT = 1, 2

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR, MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, \
    MAKE_SYM = (1 << n for n in range(4, 13))
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1,
             5: (1 << 16) - 1}
READ = EXECUTE | READ_FILE | READ_DIR
WRITE = (READ | WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_SYM
         | MAKE_FIFO | REFER | TRUNCATE)
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2  # ABI 6


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _NetPort(ctypes.Structure):
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


@functools.cache
def abi() -> int:
    """This kernel's Landlock version; 0 where there is none (or it is switched off)."""
    try:
        version = libc().syscall(SYS_CREATE_RULESET, None, 0, CREATE_RULESET_VERSION)
    except OSError:
        return 0
    return max(0, int(version))


def open_paths(paths: list[str]) -> list[int]:
    """O_PATH descriptors of the paths that exist (the fork server keeps them open)."""
    found = []
    for path in paths:
        try:
            found.append(os.open(path, os.O_PATH | os.O_CLOEXEC))
        except OSError:
            continue
    return found


def restrict(read: list[int], write: list[int], connect: Iterable[int] = ()) -> int:
    """Wall this process off: files readable only beneath `read`, writable only beneath
    `write` (descriptors); TCP connections only to the ports in `connect`, and no binding;
    signals and abstract sockets only among its own. Returns the ABI used (0: no Landlock here,
    nothing done)."""
    version = abi()
    if version < 1:
        return 0
    handled = FS_BY_ABI.get(version, FS_BY_ABI[5])
    attr = _RulesetAttr(handled, (NET_BIND_TCP | NET_CONNECT_TCP) if version >= 4 else 0,
                        (SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if version >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if version >= 6 else (16 if version >= 4 else 8)
    call = libc().syscall
    ruleset = call(SYS_CREATE_RULESET, ctypes.byref(attr), size, 0)
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    try:
        for fds, rights in ((read, READ), (write, WRITE | IOCTL_DEV)):
            for fd in fds:
                allowed = rights & handled
                if not stat.S_ISDIR(os.fstat(fd).st_mode):
                    allowed &= READ_FILE | WRITE_FILE | TRUNCATE | IOCTL_DEV | EXECUTE
                rule = _PathBeneath(allowed, fd)
                if call(SYS_ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.byref(rule), 0) != 0:
                    raise OSError(ctypes.get_errno(), "landlock_add_rule")
        for port in sorted(set(connect)) if version >= 4 else ():
            net = _NetPort(NET_CONNECT_TCP, port)
            if call(SYS_ADD_RULE, ruleset, RULE_NET_PORT, ctypes.byref(net), 0) != 0:
                raise OSError(ctypes.get_errno(), "landlock_add_rule (port)")
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        if call(SYS_RESTRICT_SELF, ruleset, 0) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)
    return version
