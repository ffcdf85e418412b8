"""The messages between grading processes are typed records: checked by mypy, and refused
whole when they don't fit."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.batch.protocol import (
    READY,
    ForkRequest,
    Handshake,
    LaneJob,
    LaneSettings,
    Limits,
    ProtocolError,
    VerdictHeader,
    WorkerJob,
    decode,
    encode,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_protocol_and_every_process_that_speaks_it_type_check():
    if shutil.which("mypy", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("mypy is not installed (it is in the [test] extra)")
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def test_records_travel_whole():
    job = WorkerJob("3", [("c1", "x = 1")], [("c1", "x = 1")], [("quiz_answers.json", b"\x00{}")],
                    Limits(timeout=5))
    assert decode(WorkerJob, encode(job)) == job
    settings = LaneSettings(2, Limits(), ["/srv/subs"], "auto", 1234)
    assert decode(LaneSettings, encode(settings)) == settings
    header = VerdictHeader(1, "ok", 2, 2.0, 0.1)
    assert decode(VerdictHeader, encode(header)) == header
    assert b"\n" not in encode(job)  # one record per line where lines frame them


@pytest.mark.parametrize("text", [
    '{"slot": "0", "uid": null, "workdir": null}',  # a number as text
    '{"slot": 0, "uid": null}',  # a field missing
    '{"slot": 0, "uid": null, "workdir": null, "extra": 1}',  # a field unknown
    '{"slot": true, "uid": null, "workdir": null}',  # a bool is not a number here
    "[0, null, null]", "not json",
])
def test_a_message_that_does_not_fit_is_refused(text):
    with pytest.raises(ProtocolError):
        decode(ForkRequest, text)


def test_a_lane_job_keeps_its_pairs():
    job = decode(LaneJob, '{"i": 3, "unit": "01.ipynb", "sha": "ab", "handin": {"data": ""},'
                          ' "files": [["quiz_answers.json", {"path": "/x"}]]}')
    assert job.files == [("quiz_answers.json", {"path": "/x"})]
    with pytest.raises(ProtocolError):
        decode(LaneJob, '{"i": 3, "unit": "u", "sha": "ab", "handin": {}, "files": [["a"]]}')


def test_the_handshake_is_three_bytes_the_lane_trusts():
    said = Handshake("unprivileged", "full").message()
    assert said[:1] == READY and len(said) == 3
    assert Handshake.read(said + b'{"user": "root"}') == Handshake("unprivileged", "full")
    assert Handshake.read(b"\x15the sandbox could not be built") is None
    assert Handshake.read(READY + b"zz") is None
