"""A control group per pool slot: memory (heap, /tmp, shared memory and memfd all charged to
it), and a cap on processes and threads, so an out-of-memory kills only the worker that used
it, and the lane can tell that from a kill that came from outside.

Made once when a pool starts, one per slot, reused by each worker of that slot (a worker joins
its slot's group first thing after the fork, through descriptors the lane opened), removed when
the pool stops. Two layouts are used, whichever this machine offers:

- **cgroup v2**: the slots are made beside this process's own group (in its parent, where the
  memory and pids controllers are already enabled for children: the rule that a group with
  processes can't enable controllers for its children stops us from using our own). That parent
  must be writable: root, or a systemd user session's delegated `user@UID.service` subtree.
- **cgroup v1** (memory and pids hierarchies mounted apart, as on this project's CI machines):
  the slots are children of our own groups there. Root only, in practice.

Where neither can be made, `SlotCgroups.create` returns a reason instead, and the pool says so
to the instructor: memory is then bounded by `RLIMIT_AS` alone (which a memfd, SysV memory or
/tmp written through `write` doesn't count), and processes by `RLIMIT_NPROC` (per user).
"""

from __future__ import annotations

import contextlib
import itertools
import os
from dataclasses import dataclass, field

from .uids import kill_until_gone

MOUNTS = "/proc/self/mountinfo"


def _own_groups() -> dict[str, str]:
    """This process's group per hierarchy: '' for v2, else the controller names ('memory')."""
    found = {}
    with contextlib.suppress(OSError), open("/proc/self/cgroup", encoding="utf-8") as handle:
        for line in handle:
            number, controllers, path = line.rstrip("\n").split(":", 2)
            if number == "0" and not controllers:
                found[""] = path
            for name in controllers.split(","):
                if name:
                    found[name] = path
    return found


def _mount_points() -> dict[str, str]:
    """Where each hierarchy is mounted: '' for cgroup2, else per controller."""
    points: dict[str, str] = {}
    with contextlib.suppress(OSError), open(MOUNTS, encoding="utf-8") as handle:
        for line in handle:
            left, _, right = line.partition(" - ")
            kind, _source, options = (right.split() + ["", "", ""])[:3]
            point = left.split()[4]
            if kind == "cgroup2":
                points.setdefault("", point)
            elif kind == "cgroup":
                for name in options.split(","):
                    if name in ("memory", "pids"):
                        points.setdefault(name, point)
    return points


PREFIX = "course-grading-"
_POOLS = itertools.count()


def _sweep(groups: dict[str, str], points: dict[str, str]) -> None:
    """Remove the (empty) groups of pools whose lane no longer runs."""
    parents = [os.path.join(points[c], groups[c].lstrip("/")) for c in ("memory", "pids")
               if c in points and c in groups]
    if "" in points and "" in groups:
        parents.append(os.path.join(points[""], os.path.dirname(groups[""].rstrip("/"))
                                    .lstrip("/")))
    for parent in parents:
        with contextlib.suppress(OSError):
            for entry in os.scandir(parent):
                owner = entry.name[len(PREFIX):].split("-")[0]
                if not entry.name.startswith(PREFIX) or not owner.isdigit() or \
                        os.path.exists(f"/proc/{owner}"):
                    continue
                with contextlib.suppress(OSError):
                    for child in os.scandir(entry.path):
                        if child.is_dir():
                            os.rmdir(child.path)
                    os.rmdir(entry.path)


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


@dataclass
class SlotCgroups:
    """The groups of one pool's slots. `memory` is where each slot's memory is accounted (its
    folder per slot), `others` the other hierarchies' folders per slot (v1's pids)."""

    version: int
    memory: dict[int, str]
    others: dict[int, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # for the instructor, before grading
    _oom: dict[int, int] = field(default_factory=dict)

    # ------------------------------------------------------------------------ making
    @classmethod
    def create(cls, slots: int, memory_bytes: int, tasks: int,
               name: str = "") -> SlotCgroups | str:
        """One group per slot, limits set; or, when that can't be done here, why not. Groups
        of earlier pools whose process is gone (a lane killed outright) are removed first."""
        name = name or f"{PREFIX}{os.getpid()}-{next(_POOLS)}"  # (a group left busy can't
        # stop the next pool of this process; _sweep reads the pid, removes it once gone)
        groups, points = _own_groups(), _mount_points()
        _sweep(groups, points)
        if "memory" in points and "memory" in groups:
            return cls._create_v1(slots, memory_bytes, tasks, name, groups, points)
        if "" in points and "" in groups:
            return cls._create_v2(slots, memory_bytes, tasks, name, groups[""], points[""])
        return "no cgroup hierarchy with a memory controller is mounted here"

    @classmethod
    def _create_v2(cls, slots: int, memory_bytes: int, tasks: int, name: str, own: str,
                   point: str) -> SlotCgroups | str:
        parent = os.path.join(point, os.path.dirname(own.rstrip("/")).lstrip("/"))
        try:
            enabled = _read(os.path.join(parent, "cgroup.subtree_control")).split()
        except OSError as err:
            return f"cgroup v2: the parent of this process's group can't be read ({err})"
        if not {"memory", "pids"} <= set(enabled):
            return ("cgroup v2: the memory and pids controllers are not delegated to this "
                    f"process's parent group ({parent})")
        made = cls(2, {})
        try:
            for slot in range(slots):
                folder = os.path.join(parent, f"{name}-{slot}")
                os.mkdir(folder)
                made.memory[slot] = folder
                _write(os.path.join(folder, "memory.max"), str(memory_bytes))
                with contextlib.suppress(OSError):
                    _write(os.path.join(folder, "memory.swap.max"), "0")
                with contextlib.suppress(OSError):
                    _write(os.path.join(folder, "memory.oom.group"), "1")
                _write(os.path.join(folder, "pids.max"), str(tasks))
        except OSError as err:
            made.remove()
            return f"cgroup v2: a group for the grading workers can't be made ({err})"
        return made

    @classmethod
    def _create_v1(cls, slots: int, memory_bytes: int, tasks: int, name: str,
                   groups: dict[str, str], points: dict[str, str]) -> SlotCgroups | str:
        def base(controller: str) -> str:
            return os.path.join(points[controller], groups[controller].lstrip("/"), name)

        made = cls(1, {})
        try:
            os.mkdir(base("memory"))
            made.others[-1] = [base("memory")]
            if "pids" in points and "pids" in groups:
                os.mkdir(base("pids"))
                made.others[-1].append(base("pids"))
            for slot in range(slots):
                memory = os.path.join(base("memory"), str(slot))
                os.mkdir(memory)
                made.memory[slot] = memory
                _write(os.path.join(memory, "memory.limit_in_bytes"), str(memory_bytes))
                with contextlib.suppress(OSError):  # no swap accounting: nothing to cap
                    _write(os.path.join(memory, "memory.memsw.limit_in_bytes"),
                           str(memory_bytes))
                made._limit_tcp(memory, memory_bytes)
                made.others[slot] = []
                if len(made.others[-1]) > 1:
                    pids = os.path.join(base("pids"), str(slot))
                    os.mkdir(pids)
                    made.others[slot].append(pids)
                    _write(os.path.join(pids, "pids.max"), str(tasks))
        except OSError as err:
            made.remove()
            return f"cgroup v1: a group for the grading workers can't be made ({err})"
        return made

    def _limit_tcp(self, folder: str, memory_bytes: int) -> None:
        """cgroup v1 charges a group's TCP socket buffers only once this limit is written (and
        never to `memory.limit_in_bytes`): the same bound again, or a warning."""
        try:
            _write(os.path.join(folder, "memory.kmem.tcp.limit_in_bytes"), str(memory_bytes))
        except OSError as err:
            why = (f"no TCP memory limit per worker here (cgroup v1: {err.strerror or err}): "
                   "socket buffers a notebook fills on its own loopback are not counted "
                   "against --memory, only bounded by its descriptors")
            if why not in self.warnings:
                self.warnings.append(why)

    # ------------------------------------------------------------------------ using
    def folders(self, slot: int) -> list[str]:
        return [self.memory[slot], *self.others.get(slot, [])]

    def join_descriptors(self, slot: int) -> list[int]:
        """Descriptors the slot's own fork server writes "0" to, to join its slot's groups
        (opened here, by the lane: the servers live in a view without /sys)."""
        return [os.open(os.path.join(folder, "cgroup.procs"), os.O_WRONLY | os.O_CLOEXEC)
                for folder in self.folders(slot)]

    def mark(self, slot: int) -> None:
        """A worker starts in this slot: from now on, an out-of-memory kill is its."""
        self._oom[slot] = self.oom_kills(slot)

    def oom_kills(self, slot: int) -> int:
        """How many times the kernel killed a process of this slot for its memory limit."""
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            for line in _read(os.path.join(self.memory[slot], name)).splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def ran_out_of_memory(self, slot: int) -> bool:
        """Did the last worker of this slot hit its own memory limit?"""
        return self.oom_kills(slot) > self._oom.get(slot, 0)

    def members(self, slot: int, but: int = 0) -> list[int]:
        """The processes in the slot's groups (but its own server, `but`)."""
        found: set[int] = set()
        for folder in self.folders(slot):
            with contextlib.suppress(OSError, ValueError):
                found.update(int(pid) for pid in _read(os.path.join(folder,
                                                                    "cgroup.procs")).split())
        found.discard(but)
        return sorted(found)

    def empty(self, slot: int, seconds: float = 2.0, but: int = 0) -> bool:
        """Kill whatever is left in the slot but its server (`but`); True once nothing is."""
        return kill_until_gone(lambda: self.members(slot, but), seconds)

    def remove(self) -> None:
        """Remove every group (each emptied first); what can't be removed stays, harmlessly."""
        for slot in list(self.memory):
            self.empty(slot, seconds=1.0)
            for folder in self.folders(slot):
                with contextlib.suppress(OSError):
                    os.rmdir(folder)
        for folder in self.others.get(-1, []):
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        self.memory.clear()
        self.others.clear()
