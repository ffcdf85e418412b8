"""Two learners graded at the same time can't reach each other's worker."""

from __future__ import annotations

import os

import pytest

from .conftest import grade, read_grades, read_results
from .helpers import NOTEBOOKS, hand_in

# Mallory looks for the other worker's folder and plants a threshold there, and tries to kill
# the other worker; Bob's notebook waits a moment, then reads the planted file if it exists.
MALLORY = """import glob, os, signal, time
found = planted = killed = 0
end = time.time() + 3
while time.time() < end and not planted:
    for folder in glob.glob('/tmp/course-grading-*'):
        if os.path.samefile(folder, '.'):
            continue
        found += 1
        try:
            open(os.path.join(folder, 'planted'), 'w').write('0.1')
            planted += 1
        except OSError:
            pass
    time.sleep(0.05)
for pid in range(2, 400000):
    try:
        if pid != os.getpid():
            os.kill(pid, signal.SIGKILL)
            killed += 1
    except OSError:
        pass
print('found', found > 0, 'planted', planted, 'killed', killed)
threshold = 0.6"""
BOB = """import os, time
time.sleep(2)
threshold = float(open('planted').read()) if os.path.exists('planted') else 0.6"""


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="workers get their own users only when the grader runs as root")
def test_one_learners_code_cannot_touch_another_learners_worker(tmp_path) -> None:
    hand_in(tmp_path / "subs", "bob", {"2": [BOB]})
    hand_in(tmp_path / "subs", "mallory", {"2": [MALLORY]})
    out = tmp_path / "out"
    assert grade(tmp_path / "subs", out, "--jobs", "2") == 0
    assert read_grades(out)["bob"]["step_2"] == "1"
    bob = read_results(out)["learners"]["bob"]["notebooks"][NOTEBOOKS["2"]]
    assert bob["status"] == "ok"
    said = read_results(out)["learners"]["mallory"]["notebooks"][NOTEBOOKS["2"]]["output"]
    assert "found True planted 0 killed 0" in said, said
