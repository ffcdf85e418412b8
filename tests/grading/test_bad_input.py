"""Every kind of bad hand-in: each learner still gets a row, and no other learner is affected.

One class holds all the cases and is graded once (with a short timeout); each test then looks
at its own learner. `alice` hands in right answers throughout and must always get full marks.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from .conftest import grade, read_grades, read_results
from .helpers import NOTEBOOKS, RIGHT, WRONG, hand_in, learner_notebook, notebook_bytes

TIMEOUT = "3"
# How long the children learner code starts would sleep: unique to this test run, so looking
# for survivors never finds another run's on the same machine.
SLEEP = f"600.{os.getpid()}"
HALF = "customers = [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)]\n"


def _v3() -> bytes:
    nb3 = nbformat.convert(learner_notebook("1", RIGHT["1"]), 3)
    return nbformat.writes(nb3, version=3).encode()


def _no_code() -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("I wrote my answer here: customers = ...")]
    return nbformat.writes(nb).encode()


CASES: dict[str, dict[str, bytes | list[str]]] = {
    "alice": RIGHT,
    "not json": {"1": b"{this is not json", "2": RIGHT["2"]},
    "empty file": {"1": b"", "2": RIGHT["2"]},
    "format three": {"1": _v3()},
    "no code cells": {"1": _no_code()},
    "sys exit": {"1": [HALF + "import sys\nsys.exit()"], "2": ["raise SystemExit(3)"]},
    "os exit": {"1": ["import os\nos._exit(1)"], "2": RIGHT["2"]},
    "infinite loop": {"3": ["def predict(feature):\n    return feature > threshold",
                            "while True:\n    pass"], "2": RIGHT["2"]},
    "swallows interrupts": {"1": ["while True:\n    try:\n        while True:\n            pass\n"
                                  "    except KeyboardInterrupt:\n        pass"]},
    "swallows everything": {"1": ["while True:\n    try:\n        while True:\n            pass\n"
                                  "    except BaseException:\n        pass"]},
    "memory bomb": {"1": [HALF + "hog = []\nwhile True:\n    hog.append(bytearray(10**7))"],
                    "2": ["threshold = 0.6\nhuge = ' ' * 10**11"]},
    "prints 100 MB": {"4": notebook_bytes("4", RIGHT["4"], extra_cells=[
        "for _ in range(100):\n    print('x' * 1_000_000)"])},
    "deletes files": {"1": [HALF + "import os, shutil\nopen('mine.txt', 'w').write('x')\n"
                            "for name in os.listdir('.'):\n"
                            "    shutil.rmtree(name, ignore_errors=True)\n"
                            "    if os.path.exists(name):\n        os.remove(name)\n"
                            "shutil.rmtree(os.getcwd(), ignore_errors=True)"]},
    "starts a child": {"4": [f"import subprocess\nsubprocess.Popen(['sleep', '{SLEEP}'])\n"
                             "print(batch_results)\nprint(predict(0.7))"]},
}


@pytest.fixture(scope="module")
def bad_class(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    root = tmp_path_factory.mktemp("bad-class")
    for learner, notebooks in CASES.items():
        hand_in(root, learner, notebooks)
    (root / "alice" / "notes.txt").write_text("my notes")
    (root / "alice" / ".ipynb_checkpoints").mkdir()
    (root / "alice" / ".ipynb_checkpoints" / "01_customer_data-checkpoint.ipynb").write_text("{")
    (root / "README.txt").write_text("class of 2025")
    out = tmp_path_factory.mktemp("bad-out")
    assert grade(root, out, "--timeout", TIMEOUT, "--jobs", "2", "--memory", "256") == 0
    return out, read_grades(out), read_results(out)


def _notebook(bad_class: tuple, learner: str, step: str) -> dict:
    return bad_class[2]["learners"][learner]["notebooks"][NOTEBOOKS[step]]


def test_every_learner_has_a_row_and_alice_is_unaffected(bad_class):
    rows = bad_class[1]
    assert sorted(rows) == sorted(CASES)
    assert rows["alice"]["total"] == "21" and rows["alice"]["status"] == "ok"


def test_not_json(bad_class):
    nb = _notebook(bad_class, "not json", "1")
    assert nb["status"] == "invalid" and "not valid JSON" in nb["message"]
    assert bad_class[1]["not json"]["step_2"] == "1"  # the good notebook still counts
    assert bad_class[1]["not json"]["status"].startswith("invalid: 01_customer_data")


def test_empty_file(bad_class):
    nb = _notebook(bad_class, "empty file", "1")
    assert nb["status"] == "invalid" and nb["message"] == "the file is empty"
    assert "could not be read: the file is empty" in nb["result"]["problem"]


def test_nbformat_three_is_converted_and_graded(bad_class):
    nb = _notebook(bad_class, "format three", "1")
    assert nb["status"] == "ok" and nb["points"] == 2
    assert "converted from notebook format 3" in nb["notes"]


def test_notebook_without_code_cells(bad_class):
    nb = _notebook(bad_class, "no code cells", "1")
    assert nb["status"] == "invalid" and "no code cells" in nb["message"]


def test_sys_exit_and_raise_system_exit_do_not_stop_grading(bad_class):
    first, second = _notebook(bad_class, "sys exit", "1"), _notebook(bad_class, "sys exit", "2")
    assert first["status"] == "ok" and first["points"] == 0  # defined, but the cell failed
    assert "The cell that builds `customers` raised `SystemExit`" in \
        first["result"]["checks"][0]["message"]
    assert first["cell_errors"][0]["error"].startswith("SystemExit")
    assert second["status"] == "ok" and second["points"] == 0
    assert second["cell_errors"][0]["error"] == "SystemExit: 3"


def test_os_exit_is_an_error_for_that_notebook_only(bad_class):
    nb = _notebook(bad_class, "os exit", "1")
    assert nb["status"] == "error" and "os._exit" in nb["message"]
    assert bad_class[1]["os exit"]["step_2"] == "1"
    assert bad_class[1]["os exit"]["status"] == "error: 01_customer_data; missing: " \
        "03_predict_and_batch, 04_batch_and_realtime, 05_practice_quiz"


@pytest.mark.parametrize("learner, step", [("infinite loop", "3"),
                                           ("swallows interrupts", "1"),
                                           ("swallows everything", "1")])
def test_loops_time_out_and_are_recorded(bad_class, learner, step):
    nb = _notebook(bad_class, learner, step)
    assert nb["status"] == "timeout" and nb["points"] == 0
    assert float(TIMEOUT) <= nb["runtime"] < float(TIMEOUT) + 5
    assert "did not finish in time" in nb["result"]["problem"]
    assert bad_class[1][learner]["status"].startswith(f"timeout: {NOTEBOOKS[step][:-6]}")


def test_infinite_loop_learner_keeps_other_points(bad_class):
    assert bad_class[1]["infinite loop"]["step_2"] == "1"


def test_memory_bomb_hits_the_memory_limit(bad_class):
    grow, huge = _notebook(bad_class, "memory bomb", "1"), _notebook(bad_class, "memory bomb", "2")
    assert grow["status"] == "ok" and grow["points"] == 0  # defined, but the cell failed
    assert grow["cell_errors"][0]["error"].startswith("MemoryError")
    assert "raised `MemoryError`" in grow["result"]["checks"][0]["message"]
    assert huge["status"] == "ok" and huge["points"] == 0  # the same: its cell failed
    assert huge["cell_errors"][0]["error"].startswith("MemoryError")


def test_a_flood_of_output_is_capped(bad_class):
    nb = _notebook(bad_class, "prints 100 MB", "4")
    assert nb["status"] == "ok" and nb["points"] == 2
    assert len(nb["output"]) <= 100_000
    assert any(n.startswith("output capped:") for n in nb["notes"])


def test_deleting_files_in_the_working_directory_is_harmless(bad_class):
    nb = _notebook(bad_class, "deletes files", "1")
    assert nb["status"] == "ok" and nb["points"] == 2


def test_stray_files_are_listed_not_graded(bad_class):
    results = bad_class[2]
    assert results["learners"]["alice"]["ignored_files"] == ["notes.txt"]
    assert results["ignored"] == ["README.txt: not inside a learner's folder"]


def test_a_started_child_process_does_not_survive(bad_class):
    nb = _notebook(bad_class, "starts a child", "4")
    assert nb["status"] == "ok"
    assert _sleepers() == []


def _sleepers() -> list[int]:
    """Live `sleep SLEEP` processes (this run's own: the duration is unique to it, so another
    test run's sleepers on the same machine don't count; zombies don't either)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path("/proc", entry, "cmdline").read_bytes().split(b"\0")
            state = Path("/proc", entry, "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if cmdline[:2] == [b"sleep", SLEEP.encode()] and state != "Z":
            found.append(int(entry))
    return found


def test_a_child_that_was_allowed_to_start_is_killed_with_its_group(tmp_path):
    """Even where starting processes is allowed, the whole process group dies with the worker."""
    from grader.batch import Limits, grade_folder

    hand_in(tmp_path / "subs", "kid", {"4": [
        f"import subprocess\nchild = subprocess.Popen(['sleep', '{SLEEP}'])\n"
        "print('child', child.pid)\nprint(batch_results)\nprint(predict(0.7))"]})
    result = grade_folder(tmp_path / "subs", limits=Limits(timeout=10, processes=100_000))
    grade_ = result.learners["kid"].notebooks[NOTEBOOKS["4"]]
    assert grade_.status == "ok" and "child " in grade_.output, grade_.cell_errors
    assert _sleepers() == []


@pytest.mark.parametrize("attack", [
    "import grader.probe\ngrader.probe.take_snapshot = lambda *a, **k: {'forged': 1}",
    "import grader.values\n"
    "grader.values.describe = lambda v, depth=0: {'t': 'float', 'v': '0.6'}",
    "import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.len = lambda x: 4",
    "import grader.probe\ngrader.probe.probe_predict = lambda p: []\n"
    "grader.probe._run_captured.__code__ = (lambda f, *a: {'outcome': 'returned'}).__code__",
    "import grader.checks\nfor checks in grader.checks.REGISTRY.values():\n"
    "    checks.clear()",
])
def test_tampering_with_the_grader_inside_the_worker_earns_nothing(tmp_path, attack):
    hand_in(tmp_path / "subs", "mallory", {"2": [WRONG["2"][0] + "\n" + attack]})
    hand_in(tmp_path / "subs", "alice", {"2": RIGHT["2"]})
    out = tmp_path / "out"
    assert grade(tmp_path / "subs", out) == 0
    rows = read_grades(out)
    assert rows["mallory"]["step_2"] == "0" and rows["alice"]["step_2"] == "1"
    nb = read_results(out)["learners"]["mallory"]["notebooks"][NOTEBOOKS["2"]]
    assert nb["status"] == "ok" and len(nb["result"]["checks"]) == 1


def test_tampering_while_being_probed_is_an_error(tmp_path):
    sneaky = ("def predict(feature):\n"
              "    import grader.values\n"
              "    grader.values.describe = lambda v, depth=0: {'t': 'bool', 'v': True}\n"
              "    return 'yes'")
    hand_in(tmp_path / "subs", "mallory", {"3": [sneaky, RIGHT["3"][1]]})
    out = tmp_path / "out"
    assert grade(tmp_path / "subs", out) == 0
    nb = read_results(out)["learners"]["mallory"]["notebooks"][NOTEBOOKS["3"]]
    assert nb["status"] == "error" and "changed the grader" in nb["message"]
    assert read_grades(out)["mallory"]["step_3"] == "0"


def test_unicode_and_spaces_in_learner_names(tmp_path, graded):
    names = ["Zoë Ünïcode", "ana maría", "李雷", "o'brien, pat"]
    for name in names:
        hand_in(tmp_path / "subs", name, {"2": RIGHT["2"]})
    code, rows, results = graded(tmp_path / "subs", tmp_path / "out")
    assert code == 0 and sorted(rows) == sorted(names)
    assert all(rows[n]["step_2"] == "1" for n in names)
    for name in names:
        text = (tmp_path / "out" / "feedback" / f"{name}.md").read_text(encoding="utf-8")
        assert text.startswith(f"# Feedback for {name}")


def test_missing_notebooks_only_cost_their_own_points(tmp_path, graded):
    hand_in(tmp_path / "subs", "pat", {"3": RIGHT["3"]})
    _, rows, results = graded(tmp_path / "subs", tmp_path / "out")
    assert rows["pat"]["step_3"] == "6" and rows["pat"]["total"] == "6"
    statuses = {k: v["status"] for k, v in results["learners"]["pat"]["notebooks"].items()}
    assert list(statuses.values()) == ["missing", "missing", "ok", "missing", "missing"]


def test_file_named_loosely_is_still_found(tmp_path, graded):
    folder = tmp_path / "subs" / "sam"
    folder.mkdir(parents=True)
    (folder / "01_customer_data (1).ipynb").write_bytes(notebook_bytes("1", RIGHT["1"]))
    _, rows, results = graded(tmp_path / "subs", tmp_path / "out")
    assert rows["sam"]["step_1"] == "2"
    assert "graded 01_customer_data (1).ipynb as 01_customer_data.ipynb" in \
        results["learners"]["sam"]["notebooks"][NOTEBOOKS["1"]]["notes"]
