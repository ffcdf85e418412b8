"""Part 2's step 8 graded by an instructor who isn't root (`grade` run as `nobody`): the
fallback is judged against its real endpoint on 127.0.0.1 as it is under root, while the
Landlock walls let learner code reach that endpoint's one port and nothing else.

The worker is on the machine's own network here (no namespace of its own), so what it could
reach is tried for real: a listener and a UDP socket of this test's, on 127.0.0.1, must hear
nothing from it.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import textwrap
from pathlib import Path

import pytest

from grader.batch.sandbox import landlock, syscalls
from tests.part2.solution import ORDER, RIGHT

from .conftest import grade, read_results
from .helpers import NOTEBOOKS, hand_in
from .nobody import grade_as_nobody, needs_root_to_play_nobody

pytestmark = [
    needs_root_to_play_nobody,
    pytest.mark.skipif(landlock.abi() < 4, reason="this kernel's Landlock (version "
                       f"{landlock.abi()}) has no TCP rules (Linux 6.7+)"),
    pytest.mark.skipif(syscalls.compile_filter(False) is None,
                       reason="no libseccomp here, so no system-call filter to test"),
]
STEP8 = "06_measure_it.ipynb#8"
ANSWERS = [RIGHT[part] for part in ORDER]
FALLBACK = ORDER.index("fallback")
# The known mistakes, one per scenario the endpoint plays: slow, down, failing (500).
MISTAKES = {
    "bo": RIGHT["fallback"].replace(",\n                          timeout=0.2)", ")"),
    "cy": RIGHT["fallback"].replace("except httpx.HTTPError:", "except httpx.HTTPStatusError:"),
    "di": RIGHT["fallback"].replace("        reply.raise_for_status()\n", ""),
}


# A right fallback that asks for the endpoint on IPv6's loopback: redirected like any other
# (its own check(8) passes it), over an IPv6 socket to the endpoint's IPv4 address.
OVER_IPV6 = RIGHT["fallback"].replace('f"{ENDPOINT_URL}/predict"', '"http://[::1]:9/predict"')


def _with_fallback(code: str) -> list[str]:
    answers = list(ANSWERS)
    answers[FALLBACK] = code
    return answers


def _attacks(other: int, udp: int) -> str:
    """Step 8's fallback cell of a hostile learner: what it tries, then the right answer."""
    return textwrap.dedent(f"""\
        import ctypes, socket, struct
        from grader.part2 import scenario_endpoint
        libc = ctypes.CDLL(None, use_errno=True)
        said = []
        def attempt(what, action):
            try:
                action()
                said.append(what + ' DONE')
            except OSError as err:
                said.append(what + ' ' + type(err).__name__ + ': ' + str(err))
        attempt('connect', lambda: socket.create_connection(('127.0.0.1', {other}), timeout=1))
        attempt('bind', lambda: socket.socket().bind(('127.0.0.1', 0)))
        attempt('udp', lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        def raw(port, kind=1, protocol=0, how='connect'):
            fd = libc.socket(2, kind, protocol)
            if fd < 0:
                return 'socket %d' % ctypes.get_errno()
            to = struct.pack('<HH4s8x', 2, socket.htons(port), bytes([127, 0, 0, 1]))
            if how == 'listen':
                done = libc.listen(fd, 5)
            elif how == 'connect':
                done = libc.connect(fd, to, len(to))
            else:  # TCP Fast Open, or UDP: a connection (or a datagram) without connect
                done = libc.sendto(fd, b'hi', 2, 0x20000000 if kind == 1 else 0, to, len(to))
            return '%s %d %d' % (how, done, ctypes.get_errno() if done < 0 else 0)
        own = min(scenario_endpoint._reserved[0].ports)
        said.append('raw other ' + raw({other}))
        said.append('raw own ' + raw(own))
        said.append('raw listen ' + raw(0, how='listen'))
        said.append('raw fastopen ' + raw({other}, how='send'))
        said.append('raw udp ' + raw({udp}, kind=2, how='send'))
        said.append('raw mptcp ' + raw({other}, protocol=262))
        said.append('raw sctp ' + raw({other}, protocol=132))
        print('\\n'.join(['-- tried --', *said]))
        """) + RIGHT["fallback"]


def _part1_attacks(other: int) -> str:
    """Step 2 (no endpoint): no TCP/IP socket at all."""
    return textwrap.dedent(f"""\
        import ctypes, socket
        libc = ctypes.CDLL(None, use_errno=True)
        said = []
        try:
            socket.create_connection(('127.0.0.1', {other}), timeout=1)
        except OSError as err:
            said.append(type(err).__name__ + ': ' + str(err))
        for kind in (1, 2):
            said.append('raw %d %d %d' % (kind, libc.socket(2, kind, 0), ctypes.get_errno()))
        print('\\n'.join(said))
        threshold = 0.6""")


@pytest.fixture(scope="module")
def graded():
    """(nobody's results, root's results of the same honest class, this test's listener and
    UDP socket), graded once for the module."""
    home = Path(tempfile.mkdtemp(prefix="course-instructor-"))  # pytest's own is root's alone
    listener = socket.create_server(("127.0.0.1", 0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        udp.bind(("127.0.0.1", 0))
        other, udp_port = listener.getsockname()[1], udp.getsockname()[1]
        for subs in (home / "subs", home / "root-subs"):
            hand_in(subs, "ada", {"8": ANSWERS})
            hand_in(subs, "ed", {"8": _with_fallback(OVER_IPV6)})
            for learner, fallback in MISTAKES.items():
                hand_in(subs, learner, {"8": _with_fallback(fallback)})
        hand_in(home / "subs", "mallory", {"8": _with_fallback(_attacks(other, udp_port)),
                                           "2": [_part1_attacks(other)]})
        done = grade_as_nobody(home, "--jobs", "2")
        assert done.returncode == 0, done.stderr
        assert grade(home / "root-subs", home / "root-out", "--jobs", "2") == 0
        yield (read_results(home / "out"), read_results(home / "root-out"), done.stderr,
               listener, udp)
    finally:
        listener.close()
        udp.close()
        shutil.rmtree(home, ignore_errors=True)


def _step8(results: dict, learner: str) -> list[tuple[str, bool, str]]:
    return [(c["id"], c["passed"], c["message"]) for c in results["learners"][learner]["checks"]
            if c["id"].startswith("8.")]


def test_the_solution_gets_full_marks_for_step_8_without_root(graded):
    results, as_root, said, _, _ = graded
    for learner in ("ada", "ed"):  # ed: a right answer that asks over IPv6, without and with root
        for run in (results, as_root):
            notebook = run["learners"][learner]["notebooks"][STEP8]
            assert notebook["status"] == "ok", notebook
            assert notebook["points"] == notebook["max_points"] == 5, _step8(run, learner)
    assert "Warning: learner code runs as you" in said  # the Landlock walls, said before grading


def test_known_mistakes_get_the_same_verdicts_as_under_root(graded):
    results, as_root, _, _, _ = graded
    failed = {learner: [(c["id"], c["message"]) for c in results["learners"][learner]["checks"]
                        if c["id"].startswith("8.") and c["ran"] and not c["passed"]]
              for learner in MISTAKES}
    for learner in MISTAKES:
        assert _step8(results, learner) == _step8(as_root, learner), learner
    assert [i for i, _ in failed["bo"]] == ["8.short_timeout"], failed["bo"]
    assert "The timeout your client used: 5 s, httpx's default" in failed["bo"][0][1]
    assert failed["cy"] == [("8.batch_when_down", "With the endpoint down, "
                             "`predict_with_fallback` stopped with `ConnectError: [Errno 111] "
                             "Connection refused` instead of falling back.")]
    assert [i for i, _ in failed["di"]] == ["8.batch_on_error"], failed["di"]


def test_step_8_reaches_its_own_endpoint_and_nothing_else(graded):
    results, _, _, listener, udp = graded
    notebook = results["learners"]["mallory"]["notebooks"][STEP8]
    said = notebook["output"].split("-- tried --\n", 1)[-1].splitlines()
    cell = "in your step 8 cell, line"
    assert said[:3] == [
        "connect NotWhileGrading: while grading, notebooks can't open network connections "
        f"(`socket.connect` {cell} 11)",
        "bind NotWhileGrading: while grading, notebooks can't serve on the network "
        f"(`socket.bind` {cell} 12)",
        "udp NotWhileGrading: while grading, notebooks can't open network connections "
        f"(`socket.socket` {cell} 13)"], said
    assert said[3:] == [
        "raw other connect -1 13",  # Landlock: EACCES, any port but its endpoint's
        "raw own connect 0 0",  # its own endpoint's port: the one opening
        "raw listen listen -1 1",  # the filter: no listen (nor bind: no port of its own)
        "raw fastopen send -1 13",
        "raw udp socket 1",  # the filter: no UDP, MPTCP or SCTP (Landlock guards TCP alone)
        "raw mptcp socket 1",
        "raw sctp socket 1"], said
    assert notebook["points"] == 5  # the attempts cost it nothing
    for server in (listener, udp):  # nothing reached this machine's network
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.accept() if server is listener else server.recv(16)


def test_other_steps_get_no_tcp_ip_socket_at_all(graded):
    results = graded[0]
    notebook = results["learners"]["mallory"]["notebooks"][NOTEBOOKS["2"]]
    assert notebook["output"].splitlines() == [
        "NotWhileGrading: while grading, notebooks can't open network connections "
        "(`socket.socket` in your step 2 cell, line 5)",
        "raw 1 -1 1", "raw 2 -1 1"], notebook["output"]
    assert notebook["points"] == 1
