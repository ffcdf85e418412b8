"""What the trusted side does after a worker ends: kill its process group, and remove folders
learner code could have written to without ever following a link out of them."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import tempfile
import time

from .uids import is_root


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
