"""The walls around a grading worker, and everything the trusted side does to keep them up.

Read in this order, it is the whole isolation story:

1. `uids.py` (root): each grading run takes a block of user ids no other run holds; each pool
   slot has its own; no process of an id may be left before it is used again.
2. `walls.py`: the allowlist (Python, its packages, the course's packages without
   `solutions/`, the system's libraries, a private /tmp), enforced as a view built once per
   fork server from an empty tmpfs (root), and by Landlock (`landlock.py`) in every worker, so
   an instructor who isn't root gets the allowlist too; `enter` builds a worker's walls in
   order, before any learner code: its own session, only its result pipe open, a private /tmp,
   a scrubbed environment, limits whose hard values equal the soft ones, its slot's user (no
   capabilities), Landlock, the seccomp filter, refusals in the learner's words.
3. `syscalls.py`: the seccomp filter (no namespaces, mounts, keyrings, bpf, ptrace, file
   handles, SysV IPC, io_uring, sockets but TCP/IP, and on the machine's own network none but
   step 8's plain TCP; no programs unless allowed) and the audit hook that words refusals.
4. `cgroups.py`: a memory and pids group per slot: an out-of-memory kills only that worker,
   and the lane can tell it from a kill that came from outside (retried, never stored).
5. `cleanup.py`: after a worker ends, its process group goes, and folders it could write to are
   removed without ever following a link out of them.

Where the platform lacks a wall, the pool says so to the instructor before grading; the lane's
deadline and kills never depend on the worker's cooperation.
"""

from __future__ import annotations

from ..protocol import FAILED, READY, Limits
from .cleanup import kill_group, make_folder, remove_tree, wait_group_gone
from .uids import (
    BLOCK_SIZE,
    MAX_JOBS,
    WORKER_UID_BASE,
    UidBlock,
    _lock_folder,
    is_root,
    kill_uid,
    kill_uids,
    processes_of,
    worker_uids_mapped,
)
from .walls import enter

__all__ = ["BLOCK_SIZE", "FAILED", "MAX_JOBS", "READY", "WORKER_UID_BASE", "Limits", "UidBlock",
           "_lock_folder", "enter", "is_root", "kill_group", "kill_uid", "kill_uids",
           "make_folder", "processes_of", "remove_tree", "wait_group_gone",
           "worker_uids_mapped"]
