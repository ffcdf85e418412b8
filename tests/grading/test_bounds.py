"""Everything a worker reports, and every parse of a hand-in, is bounded (issue 15, Found 9):
a 2 KB notebook can't write megabytes into OUT, an old-format notebook's metadata costs
nothing, and notebook 06 is parsed once for its four steps."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from grader.batch import lane
from grader.batch.pool import Outcome
from grader.batch.protocol import LaneJob
from grader.spec import PART2, unit

from .conftest import grade, read_grades, read_results
from .helpers import NOTEBOOKS, RIGHT, hand_in, notebook_bytes

ROOT = Path(__file__).resolve().parents[2]
LONG = "_A = '<' * 1_500_000\n"


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_long_parameters_and_type_names_stay_short_in_every_report(tmp_path):
    """`def predict(a: _A, b: _A, ...)` with a 1.5 MB annotation wrote 54 MB into OUT (each
    parameter was described whole, then quoted in the message, the feedback and the
    gradebook); a type named by a megabyte of text is the same trick on a value."""
    hand_in(tmp_path / "subs", "amp", {
        "3": [LONG + "def predict(a: _A, b: _A, c: _A, d: _A):\n    return a > threshold",
              RIGHT["3"][1]],
        "2": ["threshold = type('T' * 1_000_000, (), {})()"]})
    out = tmp_path / "out"
    assert grade(tmp_path / "subs", out) == 0
    assert _size(out) < 1_000_000
    checks = read_results(out)["learners"]["amp"]["notebooks"]
    defined = checks[NOTEBOOKS["3"]]["result"]["checks"][0]
    assert defined["message"].startswith("`predict` needs 4 inputs (a: '<<<")
    assert len(defined["message"]) < 1200
    threshold = checks[NOTEBOOKS["2"]]["result"]["checks"][0]
    assert threshold["message"].startswith("`threshold` is a TTT") and \
        len(threshold["message"]) < 400


def _v3(metadata: object, prose: int = 0) -> bytes:
    """An nbformat-3 notebook of one code cell after `prose` Markdown cells, with `metadata`
    as the notebook's (and, when it is short, as every sheet's and prose cell's too)."""
    short = len(json.dumps(metadata)) < 1000
    code = {"cell_type": "code", "input": "threshold = 0.6", "language": "python",
            "outputs": [], "metadata": {}, "prompt_number": 1}
    cell = {"cell_type": "markdown", "source": "Step 2", "metadata": metadata if short else {}}
    return json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": metadata,
                       "worksheets": [{"cells": [cell] * prose + [code],
                                       "metadata": metadata if short else {}}]}).encode()


def test_an_old_format_notebook_is_read_for_its_code_only(tmp_path):
    """nbformat converts only the code cells: metadata it would refuse (or spend seconds and
    gigabytes validating) is never handed to it."""
    hand_in(tmp_path / "subs", "old", {"2": _v3(["not", "a", "mapping"], prose=3)})
    out = tmp_path / "out"
    assert grade(tmp_path / "subs", out) == 0
    assert read_grades(out)["old"]["step_2"] == "1"
    notes = read_results(out)["learners"]["old"]["notebooks"][NOTEBOOKS["2"]]["notes"]
    assert "converted from notebook format 3" in notes


PEAK = """
import re, sys
from grader.batch.notebook import plan_notebook
data = open(sys.argv[1], 'rb').read()
def peak():
    status = open('/proc/self/status').read()
    return int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) // 1024
def rss():
    status = open('/proc/self/status').read()
    return int(re.search(r'VmRSS:\\s+(\\d+)', status).group(1)) // 1024
open('/proc/self/clear_refs', 'w').write('5')  # the peak so far (and the parent's) forgotten
before = rss()
plan = plan_notebook(data, '2')
assert [c.source for c in plan.cells] == ['threshold = 0.6'], plan
print(peak() - before)
"""


def test_a_large_old_format_notebook_costs_what_parsing_its_json_costs(tmp_path):
    """19 MB of nbformat-3 metadata took a lane 1.06 GB more memory (and 10 s of CPU) to plan,
    all of it nbformat's; now planning costs what reading its JSON does (about 310 MB)."""
    metadata = {f"k{i}": [i, {"a": [1, 2]}] for i in range(560_000)}
    path = tmp_path / "old.ipynb"
    path.write_bytes(_v3(metadata))
    assert 18 * 2**20 < path.stat().st_size < 20 * 2**20
    grown = subprocess.run([sys.executable, "-c", PEAK, str(path)], capture_output=True,
                           text=True, cwd=ROOT, check=True).stdout
    assert int(grown) < 500, grown  # MB beyond what the interpreter held before


class _Pool:
    """A pool that runs nothing: every notebook 'times out' (planning is what is counted)."""

    def run(self, plans):
        for key, _plan in plans:
            yield Outcome(key, "timeout", 0.0, message="not run")


def test_notebook_06_is_parsed_once_for_its_four_steps(monkeypatch):
    parsed = []
    read = lane.read_notebook
    monkeypatch.setattr(lane, "read_notebook", lambda data: parsed.append(1) or read(data))
    nb06 = (ROOT / "notebooks" / PART2[0].notebook).read_bytes()
    units = [(NOTEBOOKS["1"], notebook_bytes("1", RIGHT["1"])),
             *[(unit(step), nb06) for step in PART2],
             (NOTEBOOKS["2"], notebook_bytes("2", RIGHT["2"]))]
    jobs = [LaneJob(index, name, hashlib.sha256(content).hexdigest(),
                    {"data": base64.b64encode(content).decode()})
            for index, (name, content) in enumerate(units)]
    verdicts = []
    lane.grade_jobs(jobs, _Pool(), lambda i, grade, w, again: verdicts.append(grade.status))
    assert verdicts == ["timeout"] * 6
    assert len(parsed) == 3  # 01, 06 (once for steps 5-8), 02


def test_bounds_hold_without_the_worker(tmp_path):
    """The same bounds on the learner's own kernel (`check(N)` describes values the same
    way), so the inline verdict is the graded one."""
    from grader.values import MAX_NAME, describe

    def predict(a: "<" * 10_000, b=">" * 10_000):  # noqa: F722, B008
        return a

    described = describe(predict)
    assert all(len(p) <= MAX_NAME for p in described["params"])
    assert len(json.dumps(described)) < 1000
