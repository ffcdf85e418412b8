"""Grading on Dask workers (`grade --cluster`): the same verdicts as a local run; a worker
killed mid-chunk loses no notebook and counts none twice, and the worker Dask starts in its
place grades like the first; a cluster that can't grade says what to do. Every cluster started
here is closed and its processes are checked gone."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

import pytest

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

from grader.batch.cluster import ClusterPool  # noqa: E402
from grader.batch.sandbox import Limits  # noqa: E402
from grader.spec import ALL_STEPS  # noqa: E402

from .conftest import grade, read_grades, read_results  # noqa: E402
from .helpers import RIGHT, WRONG, hand_in, notebook_bytes  # noqa: E402

STEPS = {s.key: s for s in ALL_STEPS}


def _job(index: int, data: bytes, step: str = "1") -> dict:
    """A job as the coordinator sends it to a Dask worker: the bytes go along."""
    import base64
    import hashlib

    return {"i": index, "unit": STEPS[step].notebook, "sha": hashlib.sha256(data).hexdigest(),
            "handin": {"data": base64.b64encode(data).decode()}, "files": []}


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _verdicts(results: dict) -> dict:
    """What a learner would notice: per notebook, its status and every check's verdict."""
    return {learner: {name: (nb["status"], [(c["id"], c["passed"], c["points"], c["message"])
                                           for c in nb["result"]["checks"]])
                      for name, nb in row["notebooks"].items()}
            for learner, row in results["learners"].items()}


def test_a_local_cluster_of_two_workers_gives_the_verdicts_of_a_local_run(tmp_path):
    subs = tmp_path / "subs"
    hand_in(subs, "ana", {"1": RIGHT["1"], "2": RIGHT["2"], "3": RIGHT["3"], "4": RIGHT["4"]})
    hand_in(subs, "ben", {"1": WRONG["1"], "2": WRONG["2"], "3": WRONG["3"], "4": WRONG["4"]})
    hand_in(subs, "cy", {"1": ["customers = [(101, 0.2)]\nraise ValueError('oops')"],
                         "3": ["def predict(feature):\n    while True:\n        pass",
                               "batch_results = []"],
                         "2": ["threshold = 0.6\nwhile True:\n    pass"]})
    hand_in(subs, "dee", {"2": ["threshold = 0.6"], "quiz": RIGHT["quiz"]})
    assert grade(subs, tmp_path / "local", "--timeout", "1.5") == 0
    assert grade(subs, tmp_path / "cluster", "--timeout", "1.5", "--cluster", "local:2") == 0
    local, cluster = read_results(tmp_path / "local"), read_results(tmp_path / "cluster")
    assert _verdicts(cluster) == _verdicts(local)
    assert cluster["statuses"] == local["statuses"]
    assert cluster["statuses"]["timeout"] == 1  # the deadline held inside the Dask task
    assert read_grades(tmp_path / "cluster") == read_grades(tmp_path / "local")


def test_bad_cluster_addresses_are_one_line(tmp_path, capsys):
    hand_in(tmp_path / "subs", "ana", {"1": RIGHT["1"]})
    assert grade(tmp_path / "subs", tmp_path / "out", "--cluster", "nowhere:1") == 2
    assert "tcp://scheduler:8786, or local:N" in capsys.readouterr().err


def test_grading_workers_on_a_dask_host_never_import_its_main_script(tmp_path, monkeypatch):
    """In a Dask worker, `__main__` is whatever started the worker (a script that made a
    LocalCluster): the forked grading workers must not import it again, once per notebook."""
    import json
    import sys
    import types

    from grader.batch.cluster import grade_chunk

    marker = tmp_path / "imported"
    script = tmp_path / "instructor_script.py"
    script.write_text(f"import pathlib\npathlib.Path({str(marker)!r}).write_text('again')\n")
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", main)
    job = _job(0, notebook_bytes("1", RIGHT["1"]))
    answer = json.loads(grade_chunk([job], 1, Limits(timeout=10).to_dict()))
    assert [json.loads(line.split("\t")[0])["status"] for line in answer["results"]] == ["ok"]
    assert not marker.exists()


HANDLES = """import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
status = open('/proc/self/status').read()
said = ['CapEff ' + status.split('CapEff:')[1].split()[0]]
for path in ('/etc/shadow', %r):
    try:
        open(path, 'rb').read(10)
        said.append('READ ' + path)
    except OSError as err:
        said.append(type(err).__name__)
class Handle(ctypes.Structure):
    _fields_ = [('size', ctypes.c_uint), ('type', ctypes.c_int), ('data', ctypes.c_ubyte * 128)]
handle, mount_id = Handle(128, 0), ctypes.c_int()
said.append('name_to_handle_at %%d' %% libc.name_to_handle_at(
    -100, b'/usr', ctypes.byref(handle), ctypes.byref(mount_id), 0))
print(', '.join(said))
threshold = 0.6"""


@pytest.mark.skipif(os.geteuid() != 0, reason="the full walls need root")
def test_a_cluster_worker_gets_the_same_walls_and_no_capability(tmp_path):
    """Found 6: Dask's root-only scratch folders on sys.path once kept CAP_DAC_READ_SEARCH, and
    `open_by_handle_at` read the hidden submissions and /etc/shadow. A 20-character TMPDIR
    too, as SLURM's per-job folders are (issue 19: sockets whose path was too long)."""
    subs = tmp_path / "subs"
    victim = subs / "alice" / "02_prediction_threshold.ipynb"
    hand_in(subs, "mallory", {"2": [HANDLES % str(victim)]})
    hand_in(subs, "alice", {"2": RIGHT["2"]})
    tmp = tmp_path / ("t" * 20)
    tmp.mkdir()
    out = tmp_path / "out"
    old = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(tmp)
    import tempfile

    tempfile.tempdir = None
    try:
        assert grade(subs, out, "--cluster", "local:1", "--jobs", "1") == 0
    finally:
        if old is None:
            del os.environ["TMPDIR"]
        else:
            os.environ["TMPDIR"] = old
        tempfile.tempdir = None
    results = read_results(out)
    said = results["learners"]["mallory"]["notebooks"]["02_prediction_threshold.ipynb"]["output"]
    assert said.strip() == ("CapEff 0000000000000000, FileNotFoundError, FileNotFoundError, "
                            "name_to_handle_at -1"), said
    assert read_grades(out)["alice"]["step_2"] == "1"

def _children(pid: int) -> list[int]:
    """This process's own children (from /proc), so a test kills only what it started."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    if int(handle.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


def _is_dask_worker(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"spawn_main" in handle.read()
    except OSError:
        return False


def test_local_cluster_loses_nothing_when_a_worker_dies_mid_chunk(tmp_path):
    """`--cluster local:2`, one Dask worker killed while its grading pool runs: Dask's nanny
    starts a new one, which grades like the first; the lost chunk is graded again; the
    verdicts are a local run's."""
    subs = tmp_path / "subs"
    for index in range(16):
        code = (RIGHT["1"] if index % 3 else WRONG["1"])[0]
        hand_in(subs, f"l{index:02d}", {"1": [f"{code}\nimport time; time.sleep(0.25)  # {index}"]})
    killed: list[int] = []

    def kill_a_grading_worker() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            for child in _children(os.getpid()):
                if _is_dask_worker(child) and _children(child):  # its pool is up: grading
                    time.sleep(0.5)
                    os.kill(child, signal.SIGKILL)
                    killed.append(child)
                    return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_grading_worker)
    killer.start()
    try:
        assert grade(subs, tmp_path / "cluster", "--timeout", "10", "--cluster", "local:2") == 0
    finally:
        killer.join()
    assert killed and _gone(killed[0])
    assert grade(subs, tmp_path / "local", "--timeout", "10") == 0
    local, cluster = read_results(tmp_path / "local"), read_results(tmp_path / "cluster")
    assert _verdicts(cluster) == _verdicts(local)
    assert read_grades(tmp_path / "cluster") == read_grades(tmp_path / "local")
    assert not [c for c in _children(os.getpid()) if _is_dask_worker(c)]  # all closed
    assert cluster["statuses"]["ok"] == 16


def test_a_restarted_local_worker_grades_like_the_first():
    """Dask's nanny reads `distributed.worker.daemon` again when it restarts a worker that
    died; `local:N` keeps it off for the cluster's whole life, so the new worker can start the
    grading pool (a daemon process can't have children)."""
    import json

    from grader.batch.cluster import grade_chunk

    limits = Limits(timeout=10).to_dict()
    with ClusterPool("local:1")._client() as client:
        (first,) = client.run(os.getpid).values()
        os.kill(first, signal.SIGKILL)
        deadline, now = time.monotonic() + 120, {}
        while time.monotonic() < deadline:  # wait for the nanny's new worker
            try:
                now = client.run(os.getpid)
            except (OSError, KeyError, ValueError):
                now = {}
            if now and first not in now.values():
                break
            time.sleep(0.2)
        assert now and first not in now.values(), "no worker was started again"
        job = _job(0, notebook_bytes("1", RIGHT["1"]))
        answer = json.loads(client.submit(grade_chunk, [job], 1, limits, pure=False).result())
    assert "grader_error" not in answer, answer
    assert [json.loads(line.split("\t")[0])["points"] for line in answer["results"]] == [2]


def test_a_cluster_that_can_t_grade_says_what_to_do(tmp_path, capsys):
    """Workers started as Dask starts them by default (daemon processes) can't start the
    grading pool: one line naming every worker and what to set, no traceback."""
    hand_in(tmp_path / "subs", "ana", {"1": RIGHT["1"]})
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None, local_directory=str(tmp_path),
                                  silence_logs=logging.CRITICAL) as cluster:
        code = grade(tmp_path / "subs", tmp_path / "out", "--cluster",
                     cluster.scheduler_address)
    err = capsys.readouterr().err
    assert code == 2
    assert "no Dask worker can grade" in err and "DASK_DISTRIBUTED__WORKER__DAEMON=False" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
