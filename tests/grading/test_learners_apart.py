"""One learner's code can't affect another's: within a run, across runs, and on the host.

Each test plays a hostile learner beside honest ones, then asserts what the instructor would
notice: every honest learner keeps full marks, every learner has a row, nothing the hostile code
started or wrote outlives the run, and the folders above the workers keep their modes. They are
robust to other grading runs on the machine (other runs' workers have other user ids, which is
one of the things tested).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.batch.sandbox import BLOCK_SIZE, WORKER_UID_BASE, worker_uids_mapped

from .conftest import grade, read_grades, read_results
from .helpers import NOTEBOOKS, RIGHT, hand_in

ROOT = Path(__file__).resolve().parents[2]
needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or not worker_uids_mapped(),
    reason="needs root with worker user ids: workers get user ids and namespaces of their own "
           "only when the grader runs as root (as non-root, learner code runs as you; as root "
           "of a user namespace without those ids, as that root: see 'Know the limits')")
HOST_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm")


@pytest.fixture
def host_modes():
    """The folders above the workers' folders keep their modes, whatever learner code did."""
    before = {p: os.stat(p).st_mode for p in HOST_FOLDERS if os.path.isdir(p)}
    yield
    assert {p: os.stat(p).st_mode for p in before} == before


def _output(out: Path, learner: str, step: str) -> str:
    return read_results(out)["learners"][learner]["notebooks"][NOTEBOOKS[step]]["output"]


def _status(out: Path, learner: str, step: str) -> str:
    return read_results(out)["learners"][learner]["notebooks"][NOTEBOOKS[step]]["status"]


def _alive_worker_process(pid: int) -> bool:
    """Is `pid` still a process of some grading worker's user id?"""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    uids = [int(v) for v in re.search(r"^Uid:\s+(.*)$", text, re.M).group(1).split()]
    state = re.search(r"^State:\s+(\S)", text, re.M).group(1)
    return state != "Z" and any(u >= WORKER_UID_BASE for u in uids)


# ------------------------------------------------------------------ within one run
MALLORY = """import glob, os, signal, time
found = killed = 0
end = time.time() + 2
while time.time() < end:
    found += sum(not os.path.samefile(f, '.') for f in glob.glob('/tmp/course-grading-*'))
    for pid in map(int, filter(str.isdigit, os.listdir('/proc'))):
        try:
            if pid != os.getpid():
                os.kill(pid, signal.SIGKILL)
                killed += 1
        except OSError:
            pass
    try:
        os.kill(-1, signal.SIGKILL)  # everything of my own user id but me
    except OSError:
        pass
    time.sleep(0.05)
print('found', found, 'killed', killed, 'uid', os.getuid())
threshold = 0.6"""
BOB = """import os, time
time.sleep(2.5)
print('uid', os.getuid())
threshold = 0.6"""


@needs_root
def test_one_learners_code_cannot_touch_another_learners_worker(tmp_path, host_modes) -> None:
    hand_in(tmp_path / "subs", "bob", {"2": [BOB]})
    hand_in(tmp_path / "subs", "mallory", {"2": [MALLORY]})
    out = tmp_path / "out"
    assert grade(tmp_path / "subs", out, "--jobs", "2") == 0
    assert read_grades(out)["bob"]["step_2"] == "1"
    said = _output(out, "mallory", "2")
    assert "found 0 killed 0" in said, said
    mallory_uid = int(said.split()[-1])
    bob_uid = int(_output(out, "bob", "2").split()[-1])
    assert mallory_uid != bob_uid and min(mallory_uid, bob_uid) >= WORKER_UID_BASE


@needs_root
def test_a_learner_in_one_run_cannot_touch_a_learner_in_another_run(tmp_path, host_modes):
    """Two grading runs at once (another section, another course): different user ids."""
    hand_in(tmp_path / "other", "bob", {"2": [BOB.replace("2.5", "6")]})
    other = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(tmp_path / "other"),
                              "-o", str(tmp_path / "other-out"), "-q"], cwd=ROOT,
                             stderr=subprocess.PIPE, text=True)
    try:
        hand_in(tmp_path / "subs", "mallory", {"2": [MALLORY.replace("+ 2", "+ 5")]})
        assert grade(tmp_path / "subs", tmp_path / "out", "--jobs", "1") == 0
    finally:
        _, err = other.communicate(timeout=120)
    assert other.returncode == 0, err
    assert read_grades(tmp_path / "other-out")["bob"]["step_2"] == "1"
    said = _output(tmp_path / "out", "mallory", "2")
    assert "found 0 killed 0" in said, said
    bob_uid = int(_output(tmp_path / "other-out", "bob", "2").split()[-1])
    mallory_uid = int(said.split()[-1])
    blocks = {(uid - WORKER_UID_BASE) // BLOCK_SIZE for uid in (bob_uid, mallory_uid)}
    assert len(blocks) == 2  # each run had a block of user ids of its own


# --------------------------------------------- 1. a forged "grader error" stops nobody
FORGERIES = {
    "encoder": "import json\njson._default_encoder.encode = "
               "lambda o: '{\"grader_error\": \"FORGED-BY-LEARNER\"}'\nthreshold = 0.6",
    "pipe": "import os\nfor fd in range(3, 64):\n    try:\n"
            "        os.write(fd, b'{\"grader_error\": \"FORGED-BY-LEARNER\"}')\n"
            "    except OSError:\n        pass\nos._exit(0)",
    "bytes": "import os\nfor fd in range(3, 64):\n    try:\n"
             "        os.write(fd, b'\\x15FORGED-BY-LEARNER')\n"
             "    except OSError:\n        pass\nos._exit(0)",
}


def test_a_forged_grader_error_is_only_that_learners_error(tmp_path, capsys, host_modes):
    for name, code in FORGERIES.items():
        hand_in(tmp_path / "subs", f"forger-{name}", {"2": [code]})
    hand_in(tmp_path / "subs", "alice", {"2": RIGHT["2"], "1": RIGHT["1"]})
    out = tmp_path / "out"
    for _ in range(2):  # and again: nothing forged is cached as the grader's
        assert grade(tmp_path / "subs", out, "--jobs", "2") == 0
        rows = read_grades(out)
        assert set(rows) == {"alice", *(f"forger-{n}" for n in FORGERIES)}
        assert rows["alice"]["step_1"] == "2" and rows["alice"]["step_2"] == "1"
        for name in FORGERIES:
            assert _status(out, f"forger-{name}", "2") == "error"
            assert rows[f"forger-{name}"]["status"].startswith(f"error: {NOTEBOOKS['2'][:-6]};")
    printed = capsys.readouterr()
    assert "FORGED" not in printed.out + printed.err
    assert "FORGED" not in (out / "grades.csv").read_text()


# ------------------------------------------------- 2. nothing of a worker outlives it
SURVIVOR = """import os, resource, signal, time
soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
try:
    resource.setrlimit(resource.RLIMIT_NPROC, (hard + 10, hard + 10))
    print('raised')
except (ValueError, OSError):
    print('could not raise')
read, write = os.pipe()
try:
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(write, str(os.getpid()).encode().ljust(12))
            time.sleep(1.5)  # until its worker has answered and ended
            while True:  # kill anything of my user id, forever
                try:
                    os.kill(-1, signal.SIGKILL)
                except OSError:
                    pass
                time.sleep(0.01)
        os._exit(0)
    print('survivor', int(os.read(read, 12)))
except OSError as err:
    print('fork refused', err.errno)
threshold = 0.6"""
LATER = "import time\ntime.sleep(1)\nthreshold = 0.6"


@needs_root
def test_no_process_of_a_learner_outlives_its_worker(tmp_path, host_modes):
    from grader.batch import Limits, grade_folder

    hand_in(tmp_path / "subs", "a-survivor", {"2": [SURVIVOR]})
    hand_in(tmp_path / "subs", "b-later", {"2": [LATER]})
    hand_in(tmp_path / "subs", "c-later", {"2": [LATER + "\n"]})
    book = tmp_path / "book.sqlite"
    for processes in (0, 5):  # none allowed (the default), then some
        limits = Limits(timeout=10, processes=processes)
        result = grade_folder(tmp_path / "subs", jobs=1, limits=limits, gradebook=book)
        said = result.learners["a-survivor"].notebooks[NOTEBOOKS["2"]].output
        assert "could not raise" in said, said
        if processes == 0:
            assert "fork refused" in said, said
        else:
            survivor = int(said.split("survivor")[1].split()[0])
            assert not _alive_worker_process(survivor)
        for later in ("b-later", "c-later"):  # graded after it, in the same slot
            grade_ = result.learners[later].notebooks[NOTEBOOKS["2"]]
            assert (grade_.status, grade_.points) == ("ok", 1), grade_.message


# ------------------------------------------------ 4. a private, capped /tmp; no network
def _listener() -> socket.socket:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server


@needs_root
def test_a_worker_sees_only_its_own_files_and_no_network(tmp_path, host_modes):
    server = _listener()
    port = server.getsockname()[1]
    # SUBMISSIONS outside /tmp (which every worker gets a private copy of anyway): not in view
    subs, out = ROOT / f".test-submissions-{os.getpid()}-{tmp_path.name}", tmp_path / "out"
    marker = f"course-test-{os.getpid()}-{tmp_path.name}"
    code = textwrap.dedent(f"""\
        import os, socket
        said = []
        written = 0
        try:
            for i in range(100):
                with open('/tmp/{marker}-%d' % i, 'wb') as handle:
                    for _ in range(16):
                        handle.write(b'x' * 2**20)
                        written += 1
        except OSError:
            pass
        said.append('tmp %d' % written)
        for place in ({str(subs)!r}, {str(out)!r}, {str(ROOT)!r}, '/etc', '/', '/var/tmp',
                      '/dev/shm'):
            try:
                open(os.path.join(place, '{marker}'), 'w').write('x')
                said.append('wrote ' + place)
            except OSError:
                pass
        try:
            said.append('sees submissions %d' % len(os.listdir({str(subs)!r})))
        except OSError:
            said.append('sees submissions 0')
        try:
            socket.create_connection(('127.0.0.1', {port}), timeout=1).close()
            said.append('reached the host')
        except OSError as err:
            said.append(type(err).__name__)
        inside = socket.socket()
        inside.bind(('127.0.0.1', 0))
        inside.listen()
        socket.create_connection(inside.getsockname(), timeout=1).close()
        said.append('own loopback works')
        print(', '.join(said))
        threshold = 0.6""")
    hand_in(subs, "explorer", {"2": [code]})
    hand_in(subs, "alice", {"2": RIGHT["2"]})
    try:
        assert grade(subs, out, "--jobs", "2", "--memory", "64") == 0
    finally:
        server.close()
        shutil.rmtree(subs)
    said = _output(out, "explorer", "2")
    assert _status(out, "explorer", "2") == "ok", said
    megabytes = int(said.split("tmp ")[1].split(",")[0])
    assert 16 <= megabytes <= 72, said  # the private /tmp is capped near --memory
    assert "wrote" not in said and "reached the host" not in said, said
    assert "sees submissions 0" in said and "own loopback works" in said, said
    assert read_grades(out)["alice"]["step_2"] == "1"
    for folder in (*HOST_FOLDERS, out, ROOT, "/etc"):
        assert not list(Path(folder).glob(f"{marker}*")), folder


@needs_root
def test_learner_code_keeps_no_capability_to_read_what_is_closed_or_covered(tmp_path, host_modes):
    """Where Python lives below a folder only root may pass (a root-owned pyenv in /root, as on
    the course's own machine), the worker once kept the capability to read every file: then
    learner code read root-only files and, by file handle, the covered-up submissions."""
    from grader.batch.sandbox import _lock_folder

    subs, out = ROOT / f".test-submissions-{os.getpid()}-{tmp_path.name}", tmp_path / "out"
    hand_in(subs, "alice", {"2": RIGHT["2"]})  # made first: the hostile code knows its inode
    inode = os.stat(subs).st_ino
    code = textwrap.dedent(f"""\
        import ctypes, os, struct
        said = []
        status = open('/proc/self/status').read()
        said.append('CapEff ' + status.split('CapEff:')[1].split()[0])
        try:
            said.append('listed the root-only folder %d' % len(os.listdir({_lock_folder()!r})))
        except OSError:
            pass
        libc = ctypes.CDLL(None, use_errno=True)
        class Handle(ctypes.Structure):
            _fields_ = [('size', ctypes.c_uint), ('type', ctypes.c_int),
                        ('data', ctypes.c_ubyte * 128)]
        handle, mount_id = Handle(128, 0), ctypes.c_int()
        if libc.name_to_handle_at(-100, {str(ROOT).encode()!r}, ctypes.byref(handle),
                                  ctypes.byref(mount_id), 0) == 0 and handle.type == 1:
            forged = Handle(8, 1)  # inode and generation 0: ext4 then checks no generation
            struct.pack_into('II', forged.data, 0, {inode}, 0)
            base = os.open({str(ROOT)!r}, os.O_RDONLY)
            fd = libc.open_by_handle_at(base, ctypes.byref(forged), os.O_RDONLY | os.O_DIRECTORY)
            if fd >= 0:
                said.append('opened the submissions: ' + ' '.join(sorted(os.listdir(fd))))
        print(', '.join(said))
        threshold = 0.6""")
    hand_in(subs, "mallory", {"2": [code]})
    try:
        assert grade(subs, out, "--jobs", "2") == 0
    finally:
        shutil.rmtree(subs)
    said = _output(out, "mallory", "2")
    assert _status(out, "mallory", "2") == "ok", said
    assert "CapEff 0000000000000000" in said, said
    assert "listed" not in said and "opened the submissions" not in said, said
    assert read_grades(out)["alice"]["step_2"] == "1"
    assert read_grades(out)["mallory"]["step_2"] == "1"


# --------------------------------------- 5. the clean-up never touches the host
def test_the_clean_up_stays_inside_the_worker_folder(tmp_path):
    from grader.batch.sandbox import remove_tree

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    outside.chmod(0o751)
    work = tmp_path / "work"
    (work / "a" / "b").mkdir(parents=True)
    (work / "a" / "b" / "file").write_text("x")
    (work / "link").symlink_to(outside)
    (work / "a" / "up").symlink_to(tmp_path)
    (work / "a" / "b").chmod(0)
    (work / "a").chmod(0)
    work.chmod(0)
    assert remove_tree(str(work))
    assert not work.exists() and not os.path.lexists(work)
    assert stat.S_IMODE(outside.stat().st_mode) == 0o751
    assert (outside / "keep.txt").read_text() == "mine"
    before = tmp_path.stat().st_mode
    link = tmp_path / "replaced"
    link.symlink_to(outside)  # a work folder replaced by a link: the link goes, not its target
    assert remove_tree(str(link))
    assert outside.exists() and tmp_path.stat().st_mode == before


HOSTILE_CLEANUP = """import os
here = os.getcwd()
for attempt in (lambda: os.rename(here, here + '-moved'),
                lambda: os.chmod(os.path.dirname(here), 0o700),
                lambda: os.chmod('/tmp', 0o700)):
    try:
        attempt()
    except OSError:
        pass
os.makedirs('deep/er/still', exist_ok=True)
os.symlink('/tmp', 'deep/tmp')
for folder in ('deep/er/still', 'deep/er', 'deep', '.'):
    try:
        os.chmod(folder, 0)
    except OSError:
        pass
threshold = 0.6"""


@pytest.mark.parametrize("walls", ["auto", "landlock"])
def test_hostile_permissions_do_not_break_the_clean_up(tmp_path, host_modes, walls):
    from grader.batch.notebook import plan_notebook
    from grader.batch.pool import WorkerPool
    from grader.batch.sandbox import Limits

    from .helpers import notebook_bytes

    plan = plan_notebook(notebook_bytes("2", [HOSTILE_CLEANUP]), "2")
    pool = WorkerPool(1, Limits(timeout=10), walls=walls)
    folders = []
    original = pool._start

    def start(key, plan_, attempt=0):  # note each worker's folder, to check it is gone after
        item = original(key, plan_, attempt)
        folders.append(item.workdir)
        return item

    pool._start = start  # type: ignore[method-assign]
    outcomes = list(pool.run([("hostile", plan), ("honest", plan_notebook(
        notebook_bytes("2", RIGHT["2"]), "2"))]))
    assert [o.status for o in outcomes] == ["ok", "ok"]
    assert pool.problems == []
    if walls == "landlock":  # else each worker's folder was in its own /tmp, gone with it
        assert folders and not any(os.path.lexists(f) for f in folders)
        assert not any(os.path.lexists(f + "-moved") for f in folders)


# --------------------------- 3. user ids are reused safely after a run crashed
CRASHED_RUN = """import os, signal, sys, time
from grader.batch.sandbox import UidBlock
block = UidBlock()
base = block.acquire()
ready, said = os.pipe()
pid = os.fork()
if pid == 0:  # a learner's process that outlives its run (it never held the run's lock)
    os.close(block._fd)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.setsid()
    os.setresgid(base, base, base)
    os.setresuid(base, base, base)
    os.write(said, b"x")
    time.sleep(600)
    os._exit(0)
os.read(ready, 1)  # it runs as a worker id now
print(base, pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # the run crashes, holding its block
"""


@needs_root
def test_user_ids_of_a_crashed_run_are_emptied_before_reuse():
    from grader.batch.sandbox import UidBlock

    done = subprocess.run([sys.executable, "-c", CRASHED_RUN], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    base, survivor = (int(v) for v in done.stdout.split())
    if not _alive_worker_process(survivor):  # the crash left it behind, with the lock released
        pytest.skip("another grading run took that block of ids (and emptied it) first")
    held = []
    try:
        while len(held) < 64:  # take blocks until we get that one (or another run did)
            block = UidBlock()
            held.append(block)
            if block.acquire() == base:
                break
        assert not _alive_worker_process(survivor)
    finally:
        for block in held:
            block.release()
        if _alive_worker_process(survivor):
            os.kill(survivor, 9)


# ------------------------- what the walls were is the grader's word, not the learner's
FORGED_WALLS = """import json
_real = json._default_encoder.encode
json._default_encoder.encode = lambda o: _real(dict(o, user='unprivileged',
                                                    isolation='full'))
threshold = 0.6"""


def test_a_learner_cannot_claim_stronger_walls_than_it_had(tmp_path):
    from grader.batch.notebook import plan_notebook
    from grader.batch.pool import WorkerPool
    from grader.batch.sandbox import Limits

    from .helpers import notebook_bytes

    pool = WorkerPool(1, Limits(timeout=10), walls="landlock")
    [outcome] = pool.run([("forger", plan_notebook(notebook_bytes("2", [FORGED_WALLS]), "2"))])
    assert outcome.status == "ok" and outcome.reply["isolation"] == "landlock"
    assert outcome.reply["user"] == ("root" if os.geteuid() == 0 else "same user")


def test_with_the_landlock_walls_a_worker_writes_only_in_its_own_folder(tmp_path, host_modes):
    """What an instructor who isn't root gets (here as root without capabilities): the shared
    temporary folders, the course and the instructor's files are out of reach."""
    from grader.batch.notebook import plan_notebook
    from grader.batch.pool import WorkerPool
    from grader.batch.sandbox import Limits

    from .helpers import notebook_bytes

    marker = f"course-test-{os.getpid()}-{tmp_path.name}"
    (tmp_path / "secret.txt").write_text("not for learners")
    places = (*HOST_FOLDERS, str(ROOT), str(tmp_path))
    code = (f"import os\nsaid = []\nfor folder in {places!r}:\n    try:\n"
            f"        open(folder + '/{marker}', 'w').write('x')\n"
            "        said.append('wrote ' + folder)\n"
            "    except OSError:\n        pass\n"
            f"for path in ({str(tmp_path / 'secret.txt')!r}, {str(ROOT / 'solutions')!r}):\n"
            "    try:\n        open(path).read() if path.endswith('.txt') else os.listdir(path)\n"
            "        said.append('read ' + path)\n    except OSError:\n        pass\n"
            "try:\n    os.kill(os.getppid(), 0)\n    said.append('may signal the server')\n"
            "except OSError:\n    pass\n"
            "open('mine.txt', 'w').write('x')\nprint(said, sorted(os.listdir('.')))\n"
            "threshold = 0.6")
    pool = WorkerPool(1, Limits(timeout=10), walls="landlock")
    [outcome] = pool.run([("litter", plan_notebook(notebook_bytes("2", [code]), "2"))])
    assert outcome.status == "ok" and outcome.reply["isolation"] == "landlock", outcome
    assert outcome.reply["output"].strip() == "[] ['mine.txt']", outcome.reply["output"]
    assert not any(os.path.lexists(f"{folder}/{marker}") for folder in places)


@needs_root
def test_python_that_lives_in_tmp_still_imports_inside_the_private_tmp(tmp_path, host_modes):
    """A checkout (and its .venv) in /tmp, as a CI clone may be: the worker's private /tmp
    covers it, so the places Python imports from are mounted back, read-only, and nothing
    else of the host's /tmp. Here an import path in a root-only folder under /tmp stands for
    it; before the fix every lazy import there failed and honest learners lost their marks."""
    lib = tmp_path / "closed" / "lib"
    lib.mkdir(parents=True)
    os.chmod(tmp_path / "closed", 0o700)
    (lib / "course_lib_in_tmp.py").write_text("THRESHOLD = 0.6\n")
    (tmp_path / "closed" / "secret.txt").write_text("not for learners")
    code = textwrap.dedent(f"""\
        import course_lib_in_tmp, os
        threshold = course_lib_in_tmp.THRESHOLD
        try:
            open(course_lib_in_tmp.__file__, 'a')
            print('wrote the library')
        except OSError:
            pass
        print('secret seen' if os.path.exists({str(tmp_path / 'closed' / 'secret.txt')!r})
              else 'secret hidden')""")
    hand_in(tmp_path / "subs", "alice", {"2": [code]})
    env = dict(os.environ, PYTHONPATH=str(lib))
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(tmp_path / "subs"),
                          "-o", str(tmp_path / "out"), "-q"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    said = _output(tmp_path / "out", "alice", "2")
    assert read_grades(tmp_path / "out")["alice"]["step_2"] == "1", said
    assert "secret hidden" in said and "wrote the library" not in said, said
