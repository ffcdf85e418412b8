"""The walls of issue 15: each attack that once worked, played by a hostile learner among honest
ones. The honest learners' grades must equal a run of the same class without the attackers,
and what each attacker reached is read from what it printed (its own feedback).

One class holds every attacker (graded once per module, with the honest class alone beside it,
to keep the suite quick); the tests below each read one attacker's outcome.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import textwrap
import zipfile
from pathlib import Path

import pytest

from grader.batch.sandbox import worker_uids_mapped

from .conftest import grade, read_grades, read_results
from .helpers import NOTEBOOKS, RIGHT, hand_in, hand_in_with_and_without
from .nobody import grade_as_nobody, needs_root_to_play_nobody

ROOT = Path(__file__).resolve().parents[2]
needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or not worker_uids_mapped(),
    reason="needs root with worker user ids (the full walls: a view of its own, user ids, "
           "cgroups); as non-root the Landlock walls are tested in test_walls_without_root")
SECRET = "course-secret-7d41c9"  # in every file no learner may read
ENV_SECRET = "instructorEnvSecret5be2a0"  # letters and digits: a regular expression as it is

HONEST = {"alice": {"1": RIGHT["1"], "2": RIGHT["2"], "3": RIGHT["3"]},
          "bob": {"1": RIGHT["1"], "2": RIGHT["2"]},
          "carol": {"2": ["threshold = '0.6'"], "3": RIGHT["3"]}}


def _attackers(place: Path) -> dict[str, dict[str, list[str]]]:
    """Each attacker's notebook: it tries, then prints what it got, then answers rightly (so a
    wall that holds costs it nothing but the attempt)."""
    reads = [str(place / "download.zip"), str(place / "other-class" / "dave" / NOTEBOOKS["2"]),
             str(ROOT / "solutions" / NOTEBOOKS["2"]), "/root/.bash_history", "/etc/shadow",
             str(place / "secret.txt")]
    lists = [str(place), str(place / "subs"), str(ROOT), "/root", "/home", str(ROOT / "solutions")]
    return {
        # Found 5: other hand-ins, the LMS zip beside the class, a second class, solutions/
        "m-reader": {"2": [textwrap.dedent(f"""\
            import os
            got = []
            for path in {reads!r}:
                try:
                    with open(path, 'rb') as handle:
                        got.append(path + ' READ ' + handle.read(4000).decode('latin-1'))
                except OSError as err:
                    got.append(path + ' refused ' + type(err).__name__)
            for folder in {lists!r}:
                try:
                    got.append(folder + ' LISTED ' + ' '.join(os.listdir(folder)))
                except OSError as err:
                    got.append(folder + ' refused ' + type(err).__name__)
            print('\\n'.join(got))
            threshold = 0.6""")]},
        # Found 3: a user and network namespace, then bridges that stall the machine
        "m-namespaces": {"2": [textwrap.dedent("""\
            import ctypes, socket
            libc = ctypes.CDLL(None, use_errno=True)
            said = []
            for name, flags in (('user', 0x10000000), ('net', 0x40000000),
                                ('user+net', 0x50000000), ('mount', 0x20000)):
                said.append('%s %d %d' % (name, libc.unshare(flags), ctypes.get_errno()))
            try:
                socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
                said.append('netlink OPEN')
            except OSError as err:
                said.append('netlink refused')
            said.append('shmget %d %d' % (libc.shmget(0, 300 << 20, 0o1000 | 0o600),
                                          ctypes.get_errno()))
            said.append('raw netlink %d %d' % (libc.socket(16, 3, 0), ctypes.get_errno()))
            print(', '.join(said))
            threshold = 0.6""")]},
        # Found 4: memory past --memory through memfd and SysV shared memory
        "m-memory": {"2": [textwrap.dedent("""\
            import ctypes, os
            libc = ctypes.CDLL(None, use_errno=True)
            print('shmget', libc.shmget(0, 300 << 20, 0o1000 | 0o600), ctypes.get_errno(),
                  flush=True)
            block, fds = b'x' * (1 << 20), []
            for _ in range(80):  # 15 MB each: RLIMIT_FSIZE caps one file, not how many
                fds.append(os.memfd_create('hog'))
                for _ in range(15):
                    os.write(fds[-1], block)
            print('wrote 1200 MB into memfds')
            threshold = 0.6""")]},
        # Found 7: the instructor's environment, searched for in the worker's own memory
        "m-memory-search": {"2": [textwrap.dedent(f"""\
            import ctypes, os, re
            needle = {ENV_SECRET[::-1].encode()!r}[::-1]  # made here: its own copy is skipped
            own = id(needle) + bytes.__basicsize__ - 1
            pattern = re.compile(needle)
            found = regions = 0
            with open('/proc/self/maps') as maps:
                lines = maps.read().splitlines()
            for line in lines:
                fields = line.split()
                start, end = (int(v, 16) for v in fields[0].split('-'))
                if not fields[1].startswith('r') or (fields[5:] or [''])[0] in (
                        '[vvar]', '[vsyscall]', '[vvar_vclock]') or end - start > 1 << 31:
                    continue
                regions += 1
                view = memoryview((ctypes.c_char * (end - start)).from_address(start)).cast('B')
                found += sum(start + m.start() != own for m in pattern.finditer(view))
            print('env secret found', found, 'in', regions, 'regions', len(os.environ))
            threshold = 0.6""")]},
        # Found 8: kernel keyrings, the user's and the session's
        "m-keys": {"2": [textwrap.dedent("""\
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            said = []
            key = libc.syscall(248, b'user', b'course-key', b'planted', 7, -4)  # add_key @u
            said.append('add_key %d %d' % (key, ctypes.get_errno()))
            buffer = ctypes.create_string_buffer(256)
            for ring in (-3, -4):  # the session's and the user's keyrings
                got = libc.syscall(250, 11, ring, buffer, 256)  # KEYCTL_READ
                said.append('read %d %d %d' % (ring, got, ctypes.get_errno()))
            print(', '.join(said))
            threshold = 0.6""")]},
        # Found 6's tool, everywhere: file handles past every folder's permissions
        "m-handles": {"2": [textwrap.dedent("""\
            import ctypes, os
            libc = ctypes.CDLL(None, use_errno=True)
            status = open('/proc/self/status').read()
            said = ['CapEff ' + status.split('CapEff:')[1].split()[0]]
            class Handle(ctypes.Structure):
                _fields_ = [('size', ctypes.c_uint), ('type', ctypes.c_int),
                            ('data', ctypes.c_ubyte * 128)]
            handle, mount_id = Handle(128, 0), ctypes.c_int()
            said.append('name_to_handle_at %d %d' % (libc.name_to_handle_at(
                -100, b'/usr', ctypes.byref(handle), ctypes.byref(mount_id), 0),
                ctypes.get_errno()))
            said.append('open_by_handle_at %d %d' % (libc.open_by_handle_at(
                os.open('/usr', os.O_RDONLY), ctypes.byref(handle), 0), ctypes.get_errno()))
            print(', '.join(said))
            threshold = 0.6""")]},
        # Found 12: a refusal in the learner's words
        "m-popen": {"1": ["import subprocess\nsubprocess.run(['true'])\n" + RIGHT["1"][0]],
                    "2": ["import socket\nsocket.create_connection(('example.org', 80))\n"
                          "threshold = 0.6"]},
    }


@pytest.fixture(scope="module")
def graded_classes(tmp_path_factory):
    """(out with attackers, out without), graded from a folder outside /tmp (where a worker's
    private /tmp would hide everything anyway): the walls, not the /tmp, must hold."""
    place = ROOT / f".test-walls-{os.getpid()}"
    work = tmp_path_factory.mktemp("walls")
    try:
        subs, apart = hand_in_with_and_without(place, HONEST, _attackers(place))
        hand_in(place / "other-class", "dave", {"2": [f"threshold = 0.6  # {SECRET}"]})
        (place / "secret.txt").write_text(SECRET)
        with zipfile.ZipFile(place / "download.zip", "w") as archive:
            archive.writestr("dave_1_2_02_threshold.ipynb", SECRET)
        os.environ["COURSE_INSTRUCTOR_TOKEN"] = ENV_SECRET  # the lanes inherit it; no worker may
        try:
            out, honest = work / "out", work / "honest"
            assert grade(subs, out, "--jobs", "2", "--memory", "128") == 0
            assert grade(apart, honest, "--jobs", "2", "--memory", "128") == 0
        finally:
            del os.environ["COURSE_INSTRUCTOR_TOKEN"]
        yield out, honest
    finally:
        shutil.rmtree(place, ignore_errors=True)


def _said(out: Path, learner: str, step: str = "2") -> str:
    return read_results(out)["learners"][learner]["notebooks"][NOTEBOOKS[step]]["output"]


def _notebook(out: Path, learner: str, step: str = "2") -> dict:
    return read_results(out)["learners"][learner]["notebooks"][NOTEBOOKS[step]]


@needs_root
def test_honest_learners_grade_as_if_no_attacker_were_there(graded_classes):
    out, honest = graded_classes
    rows, alone = read_grades(out), read_grades(honest)
    for learner in HONEST:
        assert rows[learner] == alone[learner], learner
    assert rows["alice"]["step_3"] != "0" and rows["carol"]["step_2"] == "0"


@needs_root
def test_no_other_hand_in_solution_or_instructor_file_is_readable(graded_classes):
    out, _ = graded_classes
    said = _said(out, "m-reader")
    assert "READ" not in said, said
    for line in said.splitlines():  # what a listing shows: only the allowlist's own folders
        if " LISTED " in line:
            assert set(line.split(" LISTED ")[1].split()) <= {"grader", "churn_course", ".venv",
                                                              ".pyenv"}, line
    assert SECRET not in (out / "results.json").read_text()
    assert SECRET not in "".join(p.read_text() for p in (out / "feedback").glob("*.md"))
    assert _notebook(out, "m-reader")["points"] == 1  # the attempt cost it nothing else


@needs_root
def test_no_namespace_can_be_made_so_no_bridges(graded_classes):
    said = _said(graded_classes[0], "m-namespaces")
    assert said.strip() == ("user -1 1, net -1 1, user+net -1 1, mount -1 1, netlink refused, "
                            "shmget -1 1, raw netlink -1 1"), said


@needs_root
def test_memory_past_the_limit_is_that_learners_error_and_no_one_elses(graded_classes):
    out, _ = graded_classes
    notebook = _notebook(out, "m-memory")
    assert notebook["status"] == "error", notebook
    assert "more memory than allowed (128 MB" in notebook["message"], notebook
    assert "wrote 1200 MB" not in notebook["output"]
    rows = read_grades(out)
    assert not any("error" in rows[learner]["status"] for learner in HONEST)


@needs_root
def test_the_instructors_environment_is_not_in_a_workers_memory(graded_classes):
    said = _said(graded_classes[0], "m-memory-search")
    assert said.startswith("env secret found 0 in"), said


@needs_root
def test_kernel_keyrings_are_out_of_reach(graded_classes):
    said = _said(graded_classes[0], "m-keys")
    assert said.strip() == "add_key -1 1, read -3 -1 1, read -4 -1 1", said


@needs_root
def test_no_capability_and_no_file_handles(graded_classes):
    said = _said(graded_classes[0], "m-handles")
    assert said.strip() == ("CapEff 0000000000000000, name_to_handle_at -1 1, "
                            "open_by_handle_at -1 1"), said


@needs_root
def test_refusals_are_said_in_the_learners_words(graded_classes):
    out, _ = graded_classes
    checks = read_results(out)["learners"]["m-popen"]["checks"]
    step1 = " ".join(c["message"] for c in checks if c["notebook"] == NOTEBOOKS["1"])
    assert ("while grading, notebooks can't start programs (`subprocess.Popen` in your step 1 "
            "cell, line 2)") in step1, step1
    assert "Errno" not in step1 and "BlockingIOError" not in step1
    step2 = " ".join(c["message"] for c in checks if c["notebook"] == NOTEBOOKS["2"])
    assert ("while grading, notebooks can't open network connections (`socket.getaddrinfo` in "
            "your step 2 cell, line 2)") in step2, step2


@pytest.fixture
def session_key():
    """A key in a fresh session keyring of this process, as a PAM login leaves one."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(250, 1, None) < 0:  # KEYCTL_JOIN_SESSION_KEYRING, anonymous
        pytest.skip("no kernel keyrings here")
    key = libc.syscall(248, b"user", b"instructor", SECRET.encode(), len(SECRET), -3)
    if key < 0:
        pytest.skip("keys can't be added here")
    yield key
    with contextlib.suppress(OSError):
        libc.syscall(250, 3, key)  # KEYCTL_REVOKE


def test_workers_do_not_inherit_the_session_keyring(session_key):
    """Even without the filter (the benchmark's wall-less mode), a worker's session keyring is
    the fork server's own new, empty one, never the instructor's."""
    from grader.batch.notebook import plan_notebook
    from grader.batch.pool import WorkerPool
    from grader.batch.protocol import Limits

    from .helpers import notebook_bytes

    code = textwrap.dedent("""\
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        buffer = ctypes.create_string_buffer(256)
        size = libc.syscall(250, 11, -3, buffer, 256)
        print('read', size, buffer.raw[:max(size, 0)])
        threshold = 0.6""")
    pool = WorkerPool(1, Limits(timeout=10), walls="none")
    [outcome] = pool.run([("mallory", plan_notebook(notebook_bytes("2", [code]), "2"))])
    said = outcome.reply["output"]
    assert said.startswith("read 0 b''"), said  # readable: it is its own, and empty


@needs_root_to_play_nobody
def test_walls_without_root():
    """What an instructor who isn't root gets: Landlock keeps learner code to the allowlist,
    says so before grading, and classmates' grades are untouched."""
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="course-instructor-"))  # pytest's own is root's alone
    try:
        _grade_as_nobody(home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _grade_as_nobody(home: Path) -> None:
    (home / "secret.txt").write_text(SECRET)
    code = textwrap.dedent(f"""\
        import os
        got = []
        for path in ({str(home / 'secret.txt')!r},
                     {str(home / 'subs' / 'alice' / NOTEBOOKS['2'])!r},
                     {str(ROOT / 'solutions' / NOTEBOOKS['2'])!r}):
            try:
                got.append('READ ' + open(path).read(50))
            except OSError as err:
                got.append(type(err).__name__)
        for path in ({str(home)!r}, '/tmp'):
            try:
                open(os.path.join(path, 'planted'), 'w').write('x')
                got.append('WROTE ' + path)
            except OSError as err:
                got.append(type(err).__name__)
        try:
            os.kill(os.getppid(), 0)
            got.append('SIGNALLED')
        except OSError as err:
            got.append(type(err).__name__)
        print(' '.join(got))
        threshold = 0.6""")
    hand_in(home / "subs", "mallory", {"2": [code]})
    hand_in(home / "subs", "alice", {"2": RIGHT["2"], "1": RIGHT["1"]})
    done = grade_as_nobody(home, "--jobs", "2")
    assert done.returncode == 0, done.stderr
    assert "Warning: learner code runs as you" in done.stderr  # said before grading
    out = home / "out"
    said = _said(out, "mallory")
    assert said.strip() == ("PermissionError PermissionError PermissionError PermissionError "
                            "PermissionError PermissionError"), said
    rows = read_grades(out)
    assert rows["alice"]["step_1"] == "2" and rows["alice"]["step_2"] == "1"
    assert not (home / "planted").exists()
