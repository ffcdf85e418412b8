"""What the instructor's own process does, and doesn't, at scale: learner notebooks are parsed
and judged in the grading lanes, never here; an unchanged file is not read again, a changed one
always is; a re-run writes only what changed and still leaves every report whole."""

from __future__ import annotations

import os
import shutil

import grader.batch.harness as harness
import grader.batch.lane as lane
import grader.batch.lanes as lanes
import grader.batch.notebook as notebook
import grader.batch.readers as readers
from grader.batch.gradebook import Gradebook

from .conftest import grade, read_grades, read_results
from .helpers import RIGHT, WRONG, hand_in


def _verdicts(results: dict) -> dict:
    """What a learner would notice: per notebook, its status and every check's verdict."""
    return {learner: {name: (nb["status"], nb["notes"],
                             [(c["id"], c["passed"], c["points"], c["message"])
                              for c in nb["result"]["checks"]])
                      for name, nb in row["notebooks"].items()}
            for learner, row in results["learners"].items()}


def _class(subs):
    hand_in(subs, "ana", {"1": RIGHT["1"], "2": RIGHT["2"], "3": RIGHT["3"]})
    hand_in(subs, "bob", {"1": WRONG["1"], "2": RIGHT["2"]})
    hand_in(subs, "cy", {"2": WRONG["2"], "3": WRONG["3"]})


def test_the_coordinating_process_never_parses_or_judges_a_learner_notebook(tmp_path,
                                                                            monkeypatch):
    def not_here(*args, **kwargs):
        raise AssertionError("learner notebooks are planned and judged in the grading lanes")

    for module, name in [(notebook, "plan_notebook"), (notebook, "load_notebook"),
                         (harness, "judge"), (harness, "ask"), (lane, "plan_notebook"),
                         (lane, "grade_jobs"), (lane, "read_job")]:
        monkeypatch.setattr(module, name, not_here)
    _class(tmp_path / "subs")
    assert grade(tmp_path / "subs", tmp_path / "out") == 0
    rows = read_grades(tmp_path / "out")
    assert (rows["ana"]["step_1"], rows["ana"]["step_3"], rows["bob"]["step_1"]) == ("2", "6", "0")
    assert rows["cy"]["step_2"] == "0" and rows["cy"]["status"].startswith("missing")


def test_a_file_rewritten_with_the_same_size_and_times_is_graded_again(tmp_path):
    """Hashes are remembered by each file's stat identity; a rewrite changes its change time
    (which no user code can set back), so it is never mistaken for the file graded before."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    hand_in(subs, "ana", {"2": ["threshold = 0.6"]})
    assert grade(subs, out) == 0
    assert read_grades(out)["ana"]["step_2"] == "1"
    path = subs / "ana" / "02_prediction_threshold.ipynb"
    state = path.stat()
    data = path.read_bytes()
    wrong = data.replace(b"threshold = 0.6", b"threshold = 0.7")
    assert len(wrong) == len(data) and wrong != data
    path.write_bytes(wrong)
    os.utime(path, ns=(state.st_atime_ns, state.st_mtime_ns))  # same size, same mtime
    assert grade(subs, out) == 0
    assert read_grades(out)["ana"]["step_2"] == "0"
    with Gradebook(out / "gradebook.sqlite") as book:
        assert book.runs()[-1]["graded"] == 1


def test_an_unchanged_rerun_reads_no_hand_in_and_writes_no_report(tmp_path, monkeypatch):
    subs, out = tmp_path / "subs", tmp_path / "out"
    _class(subs)
    assert grade(subs, out) == 0
    files = sorted(p for p in out.rglob("*") if p.is_file() and "gradebook" not in p.name)
    before = {p: p.stat().st_ino for p in files}

    def no_reading(self, *args):
        raise AssertionError(f"{self.path} was read again, unchanged")

    monkeypatch.setattr(readers.FileRef, "read", no_reading)
    monkeypatch.setattr(readers.FileRef, "__call__", no_reading)
    assert grade(subs, out) == 0
    assert read_grades(out)["ana"]["total"] == "9"
    assert {p: p.stat().st_ino for p in files} == before  # not one report written again
    with Gradebook(out / "gradebook.sqlite") as book:
        assert book.runs()[-1]["graded"] == 0


def test_a_rerun_after_changes_leaves_every_report_as_a_fresh_run_would(tmp_path):
    subs, out, fresh = tmp_path / "subs", tmp_path / "out", tmp_path / "fresh"
    _class(subs)
    assert grade(subs, out) == 0
    hand_in(subs, "bob", {"1": RIGHT["1"]})  # bob fixes step 1
    hand_in(subs, "dee", {"4": RIGHT["4"]})  # a late learner
    (out / "feedback" / "cy.md").unlink()  # an instructor tidied up by hand
    (out / ".reports-state.json").write_text("{not json")  # and a damaged state file
    assert grade(subs, out) == 0
    assert grade(subs, fresh) == 0
    assert _verdicts(read_results(out)) == _verdicts(read_results(fresh))
    assert read_grades(out) == read_grades(fresh)
    for name in ("ana", "bob", "cy", "dee"):
        assert (out / "feedback" / f"{name}.md").read_text() == \
            (fresh / "feedback" / f"{name}.md").read_text()
    assert read_grades(out)["bob"]["step_1"] == "2"


def test_results_json_keeps_unchanged_learners_lines_and_rewrites_the_changed(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    _class(subs)
    assert grade(subs, out) == 0
    first = read_results(out)
    hand_in(subs, "cy", {"2": RIGHT["2"]})
    assert grade(subs, out) == 0
    second = read_results(out)
    assert second["learners"]["ana"] == first["learners"]["ana"]
    assert second["learners"]["cy"]["notebooks"]["02_prediction_threshold.ipynb"][
        "status"] == "ok"
    assert second["learners"]["cy"]["total"] == first["learners"]["cy"]["total"] + 1
    assert set(second["learners"]) == {"ana", "bob", "cy"}


def test_a_grading_lane_that_dies_stops_the_run_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(lanes, "BOOT", "import sys; print('lane broken', file=sys.stderr); "
                                       "sys.exit(5)")
    hand_in(tmp_path / "subs", "ana", {"2": RIGHT["2"]})
    out = tmp_path / "out"
    assert grade(tmp_path / "subs", out) == 2
    err = capsys.readouterr().err
    assert "a grading lane stopped before it was done (exit status 5: lane broken)" in err
    assert not (out / "grades.csv").exists()
    with Gradebook(out / "gradebook.sqlite") as book:
        assert book.graded_count() == 0


def test_many_notebooks_spread_over_lanes_each_come_back_once(tmp_path):
    subs = tmp_path / "subs"
    for index in range(30):  # enough for two lanes, each a few jobs ahead
        value = "0.6" if index % 2 else f"0.{index % 9 + 1}"  # every hand-in its own bytes
        code = [f"threshold = {value}  # {index}"]
        hand_in(subs, f"l{index:02d}", {"2": code})
    assert grade(subs, tmp_path / "out", "--jobs", "2") == 0
    rows = read_grades(tmp_path / "out")
    assert len(rows) == 30
    for index in range(30):
        expected = "1" if index % 2 or index % 9 + 1 == 6 else "0"
        assert rows[f"l{index:02d}"]["step_2"] == expected, index
    with Gradebook(tmp_path / "out" / "gradebook.sqlite") as book:
        assert book.runs()[-1]["graded"] == book.graded_count() == 30


def test_large_verdicts_come_back_whole(tmp_path):
    """Verdicts carrying 100 kB of printed output each, read from the lanes' pipes in pieces."""
    subs = tmp_path / "subs"
    for index in range(12):
        hand_in(subs, f"l{index:02d}", {"2": [f"threshold = 0.6\nprint('{index}' * 200_000)"]})
    assert grade(subs, tmp_path / "out", "--jobs", "2") == 0
    rows = read_grades(tmp_path / "out")
    assert [rows[f"l{i:02d}"]["step_2"] for i in range(12)] == ["1"] * 12
    results = read_results(tmp_path / "out")["learners"]
    for index in range(12):
        output = results[f"l{index:02d}"]["notebooks"]["02_prediction_threshold.ipynb"]["output"]
        assert output.startswith(str(index) * 1000) and len(output) >= 100_000


def test_text_printed_by_the_environment_does_not_mix_into_the_verdicts(tmp_path, monkeypatch):
    """A sitecustomize (or any library) printing to stdout as a lane starts, and again while it
    grades: the lane's verdicts still come through whole."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import atexit, sys\n"
        "print('hello from the environment')\n"
        "atexit.register(print, 'goodbye', '\\t{\"i\": 0}')\n")
    monkeypatch.setenv("PYTHONPATH", str(site))
    _class(tmp_path / "subs")
    assert grade(tmp_path / "subs", tmp_path / "out") == 0
    rows = read_grades(tmp_path / "out")
    assert (rows["ana"]["total"], rows["bob"]["total"]) == ("9", "1")


def test_a_run_killed_outright_leaves_its_folder_to_the_next_run_to_remove(tmp_path):
    """The grading lanes work in one temporary folder per run, removed at the end; a run killed
    with SIGKILL can't, so the next run removes it, once no run holds its lock. A live run's
    folder is never touched."""
    import fcntl
    import tempfile
    import time

    def run_folder(locked: bool) -> tuple[str, int]:
        folder = tempfile.mkdtemp(prefix=lanes.SCRATCH + "test-")
        fd = os.open(os.path.join(folder, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        if locked:
            fcntl.flock(fd, fcntl.LOCK_EX)
        with open(os.path.join(folder, "left-behind"), "w") as handle:
            handle.write("a worker's file")
        old = time.time() - 2 * lanes.STALE_AFTER
        os.utime(folder, (old, old))
        return folder, fd

    dead, dead_fd = run_folder(locked=False)
    live, live_fd = run_folder(locked=True)
    os.close(dead_fd)
    try:
        hand_in(tmp_path / "subs", "ana", {"2": RIGHT["2"]})
        assert grade(tmp_path / "subs", tmp_path / "out") == 0
        assert not os.path.exists(dead)
        assert os.path.exists(os.path.join(live, "left-behind"))
    finally:
        os.close(live_fd)
        shutil.rmtree(live, ignore_errors=True)
        shutil.rmtree(dead, ignore_errors=True)


def test_a_lane_killed_mid_run_stops_the_run_keeping_every_verdict_received(tmp_path,
                                                                           monkeypatch, capsys):
    real = lanes.Lanes.run
    seen: dict = {}

    def kill_a_lane_after_the_first_verdict(self, jobs, count):
        for number, verdict in enumerate(real(self, jobs, count)):
            yield verdict
            if number == 0:
                seen["pids"] = [lane.process.pid for lane in self._lanes]
                seen["scratch"] = self._scratch
                self._lanes[0].process.kill()

    monkeypatch.setattr(lanes.Lanes, "run", kill_a_lane_after_the_first_verdict)
    subs, out = tmp_path / "subs", tmp_path / "out"
    for index in range(24):
        hand_in(subs, f"l{index:02d}", {"2": [f"threshold = 0.6  # {index}\n"
                                              "import time; time.sleep(0.3)"]})
    assert grade(subs, out, "--jobs", "2") == 2
    err = capsys.readouterr().err
    assert "a grading lane stopped before it was done (exit status -9)" in err
    with Gradebook(out / "gradebook.sqlite") as book:
        kept = book.graded_count()
        assert 1 <= kept < 24 and book.runs()[-1]["outcome"] == "interrupted"
    for pid in seen["pids"]:  # every lane has ended, and the run's folder is gone
        assert not os.path.exists(f"/proc/{pid}") or \
            open(f"/proc/{pid}/stat").read().split(")")[1].split()[0] == "Z"
    assert not os.path.exists(seen["scratch"])
    monkeypatch.setattr(lanes.Lanes, "run", real)
    assert grade(subs, out, "--jobs", "2") == 0  # and the next run carries on
    with Gradebook(out / "gradebook.sqlite") as book:
        assert book.runs()[-1]["graded"] == 24 - kept
    assert len(read_grades(out)) == 24
