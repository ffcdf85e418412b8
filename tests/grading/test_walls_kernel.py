"""The kernel's shared resources (issue 15, second round of attacks): socket buffers past
`--memory`, UDP, machine-wide flushes, and a SIGKILL a learner sends itself (which would read as
the machine's fault: retried, never stored). Each attacker is a hostile learner among honest
ones, whose grades must equal a run of the same class without the attackers.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
from pathlib import Path

import pytest

from grader.batch.lane import grade_jobs
from grader.batch.pool import COW_HEADROOM_MB, WorkerPool
from grader.batch.protocol import LaneJob, Limits
from grader.batch.sandbox.walls import WORKER_FILES
from grader.spec import ALL_STEPS, unit

from .conftest import grade, read_grades, read_results
from .helpers import NOTEBOOKS, RIGHT, hand_in_with_and_without, notebook_bytes
from .test_walls import needs_root

ROOT = Path(__file__).resolve().parents[2]
MEMORY_MB = 64
HONEST = {"alice": {"1": RIGHT["1"], "2": RIGHT["2"]}, "bob": {"2": RIGHT["2"], "3": RIGHT["3"]}}

# Fills TCP buffers over its own loopback until it runs out of descriptors: raising the
# buffers first if it may (the attack's 24 pairs held 270 MB that way, none of it counted).
TCP = """\
import socket
try:
    socket.socket().setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 30)
    said = 'setsockopt ALLOWED'
except PermissionError:
    said = 'setsockopt refused'
srv = socket.socket()
srv.bind(('127.0.0.1', 0))
srv.listen(64)
held, queued, chunk = [], 0, b'\\0' * (1 << 16)
try:
    while True:
        c = socket.socket()
        if said == 'setsockopt ALLOWED':
            c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 30)
        c.connect(srv.getsockname())
        s, _ = srv.accept()
        if said == 'setsockopt ALLOWED':
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 30)
        c.setblocking(False)
        held += [c, s]
        try:
            while True:
                queued += c.send(chunk)
        except BlockingIOError:
            pass
except OSError:
    pass
print(said, 'queued', queued >> 20, 'MB in', len(held) // 2, 'pairs')
threshold = 0.6"""

# UDP (never charged to a cgroup v1), with and without the flags the type argument carries
UDP = """\
import ctypes, socket
said = []
for family, kind in ((socket.AF_INET, socket.SOCK_DGRAM), (socket.AF_INET6, socket.SOCK_DGRAM),
                     (socket.AF_INET, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK
                      | socket.SOCK_CLOEXEC)):
    try:
        socket.socket(family, kind).close()
        said.append('udp OPEN')
    except PermissionError as err:
        said.append('udp refused' + (' in words' if "can't use UDP" in str(err) else ''))
libc = ctypes.CDLL(None, use_errno=True)
said.append('udp in C %d %d' % (libc.socket(2, 2 | 0o4000, 0), ctypes.get_errno()))
srv = socket.create_server(('localhost', 0))
with socket.create_connection(('localhost', srv.getsockname()[1])):
    said.append('tcp to localhost ok')
print(', '.join(said))
threshold = 0.6"""

# sync and syncfs flush the machine's file systems (1058 calls in 3 s, in the attack)
SYNC = """\
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open('/usr', os.O_RDONLY)
print('syncfs %d %d' % (libc.syncfs(fd), ctypes.get_errno()))
threshold = 0.6"""

# Every way to SIGKILL itself (each caught), and every limit the kernel enforces by SIGKILL
KILL = """\
import ctypes, os, resource, signal, threading
libc = ctypes.CDLL(None, use_errno=True)
said = []
def attempt(name, call):
    try:
        result = call()
        said.append('%s %s' % (name, 'ALLOWED' if result in (None, 0) else
                               '%d %d' % (result, ctypes.get_errno())))
    except (OSError, ValueError) as err:  # EPERM from setrlimit is a ValueError
        said.append('%s %s' % (name, type(err).__name__))
me, pidfd = os.getpid(), os.pidfd_open(os.getpid())
info = ctypes.create_string_buffer(128)
attempt('kill', lambda: os.kill(me, signal.SIGKILL))
attempt('killpg', lambda: os.killpg(0, signal.SIGKILL))
attempt('raise', lambda: signal.raise_signal(signal.SIGKILL))
attempt('pthread_kill', lambda: signal.pthread_kill(threading.get_ident(), signal.SIGKILL))
attempt('pidfd', lambda: signal.pidfd_send_signal(pidfd, signal.SIGKILL))
attempt('kill -1', lambda: libc.kill(-1, 9))
attempt('tkill', lambda: libc.syscall(200, libc.gettid(), 9))
attempt('tgkill', lambda: libc.syscall(234, me, libc.gettid(), 9))
attempt('sigqueue', lambda: libc.syscall(129, me, 9, info))
attempt('tgsigqueue', lambda: libc.syscall(297, me, libc.gettid(), 9, info))
attempt('F_SETSIG', lambda: libc.fcntl(0, 10, 9))
event = ctypes.create_string_buffer(b'\\0' * 8 + bytes([9, 0, 0, 0]) + b'\\0' * 52)
attempt('timer', lambda: libc.timer_create(1, event, ctypes.byref(ctypes.c_void_p())))
attempt('cpu', lambda: resource.setrlimit(resource.RLIMIT_CPU, (1, 1)))
attempt('rttime', lambda: resource.prlimit(0, resource.RLIMIT_RTTIME, (1, 1)))
attempt('cpu read', lambda: resource.getrlimit(resource.RLIMIT_CPU) and None)
attempt('term', lambda: os.kill(me, 0))
print(', '.join(said))
threshold = 0.6"""

ATTACKERS = {"m-tcp": TCP, "m-udp": UDP, "m-sync": SYNC, "m-kill": KILL}


@pytest.fixture(scope="module")
def graded_classes(tmp_path_factory):
    """(out with the attackers, out without them)."""
    place = ROOT / f".test-walls-kernel-{os.getpid()}"
    work = tmp_path_factory.mktemp("walls-kernel")
    try:
        subs, apart = hand_in_with_and_without(
            place, HONEST, {learner: {"2": [code]} for learner, code in ATTACKERS.items()})
        out, honest = work / "out", work / "honest"
        assert grade(subs, out, "--jobs", "2", "--memory", str(MEMORY_MB)) == 0
        assert grade(apart, honest, "--jobs", "2", "--memory", str(MEMORY_MB)) == 0
        yield out, honest
    finally:
        shutil.rmtree(place, ignore_errors=True)


def _notebook(out: Path, learner: str) -> dict:
    return read_results(out)["learners"][learner]["notebooks"][NOTEBOOKS["2"]]


@needs_root
def test_honest_learners_grade_as_if_no_attacker_were_there(graded_classes):
    out, honest = graded_classes
    rows, alone = read_grades(out), read_grades(honest)
    for learner in HONEST:
        assert rows[learner] == alone[learner], learner
    assert rows["bob"]["step_3"] != "0"


@needs_root
def test_socket_buffers_stay_within_the_memory_limit(graded_classes):
    notebook = _notebook(graded_classes[0], "m-tcp")
    said = notebook["output"].split()
    assert said[:3] == ["setsockopt", "refused", "queued"], notebook["output"]
    assert int(said[3]) <= MEMORY_MB + COW_HEADROOM_MB + 8, notebook["output"]  # the slot's
    assert 0 < int(said[6]) < WORKER_FILES // 2, notebook["output"]  # a descriptor each
    assert notebook["points"] == 1


@needs_root
def test_no_udp_but_tcp_to_localhost_works(graded_classes):
    said = _notebook(graded_classes[0], "m-udp")["output"]
    assert said.strip() == ("udp refused in words, udp refused in words, udp refused in words, "
                            "udp in C -1 1, tcp to localhost ok"), said


@needs_root
def test_no_flushing_the_machines_file_systems(graded_classes):
    said = _notebook(graded_classes[0], "m-sync")["output"]
    assert said.strip() == "syncfs -1 1", said


@needs_root
def test_no_sigkill_to_itself_and_no_limit_that_ends_in_one(graded_classes):
    notebook = _notebook(graded_classes[0], "m-kill")
    assert notebook["output"].strip() == (
        "kill NotWhileGrading, killpg NotWhileGrading, raise PermissionError, "
        "pthread_kill NotWhileGrading, pidfd PermissionError, kill -1 -1 1, tkill -1 1, "
        "tgkill -1 1, sigqueue -1 1, tgsigqueue -1 1, F_SETSIG -1 1, timer -1 1, "
        "cpu ValueError, "
        "rttime PermissionError, cpu read ALLOWED, term ALLOWED"), notebook["output"]
    assert notebook["points"] == 1  # it lived to answer


@needs_root
@pytest.mark.parametrize("code, words", [
    ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\nthreshold = 0.6",
     "while grading, notebooks can't send SIGKILL (`os.kill` in your step 2 cell, line 2)"),
    ("import signal\nsignal.raise_signal(signal.SIGKILL)\nthreshold = 0.6",
     "Operation not permitted"),
])
def test_a_notebook_that_kills_itself_gets_its_own_verdict_stored(code, words):
    """Not a grader problem tried three times and never stored: the learner's own verdict."""
    step = next(s for s in ALL_STEPS if s.key == "2")
    data = notebook_bytes("2", [code])
    jobs = [LaneJob(0, unit(step), hashlib.sha256(data).hexdigest(),
                    {"data": base64.b64encode(data).decode()})]
    pool, emitted = WorkerPool(1, Limits(timeout=10)), []
    grade_jobs(jobs, pool, lambda i, grade, warnings, again: emitted.append((grade, again)))
    [(verdict, again)] = emitted
    assert not again and pool.faults == 0  # stored as these bytes' verdict
    assert "the grader could not grade" not in verdict.message, verdict.message
    said = " ".join([verdict.message, *(e["error"] for e in verdict.cell_errors)])
    assert words in said, said
    assert verdict.points == 0


def test_the_slots_tcp_buffers_are_charged_in_cgroup_v1(monkeypatch):
    """cgroup v1 counts a group's TCP buffers only once its TCP limit is written; where it
    can't be, the instructor is told before grading."""
    from grader.batch.sandbox import cgroups

    made = cgroups.SlotCgroups.create(2, 200 * 2**20, tasks=8, name=f"test-tcp-{os.getpid()}")
    if isinstance(made, str) or made.version != 1:
        if not isinstance(made, str):
            made.remove()
        pytest.skip("needs a cgroup v1 memory hierarchy this process may write to")
    try:
        for slot in (0, 1):
            limit = Path(made.memory[slot], "memory.kmem.tcp.limit_in_bytes").read_text()
            assert int(limit) == 200 * 2**20, slot
        assert made.warnings == []
    finally:
        made.remove()
    real = cgroups._write

    def refuse_tcp(path: str, text: str) -> None:
        if path.endswith("memory.kmem.tcp.limit_in_bytes"):
            raise PermissionError(13, "Permission denied")
        real(path, text)

    monkeypatch.setattr(cgroups, "_write", refuse_tcp)
    pool = WorkerPool(1, Limits(timeout=10))
    try:
        pool.start()
        assert any(w.startswith("no TCP memory limit per worker here (cgroup v1: Permission "
                                "denied)") for w in pool.warnings), pool.warnings
    finally:
        pool.stop()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="as root the kernel itself allows a time namespace")
def test_no_time_namespace_either():
    """clone(CLONE_NEWTIME), which root could make without the filter, is refused by it."""
    import ctypes

    from grader.batch.sandbox import syscalls

    program = syscalls.compile_filter(True)
    if program is None:
        pytest.skip("no libseccomp here")
    pid = os.fork()
    if pid == 0:  # the child: filtered, tries, says how it went in its exit status
        try:
            syscalls.load_filter(program)
            libc = ctypes.CDLL(None, use_errno=True)
            made = libc.syscall(56, 0x80 | 17, 0, 0, 0, 0)  # clone(CLONE_NEWTIME | SIGCHLD)
            if made == 0:
                os._exit(0)  # the grandchild, in a new time namespace
            os._exit(10 if made < 0 and ctypes.get_errno() == 1 else 20)
        finally:
            os._exit(30)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 10
