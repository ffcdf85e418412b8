"""The instructor's side of the sandbox: a planted module, formulas in learner ids, look-alike
names, hidden folders, OUT inside SUBMISSIONS, SIGTERM, absurd limits, and who may read grades."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

from grader.cli import main

from .conftest import grade, read_grades, read_results
from .helpers import NOTEBOOKS, RIGHT, hand_in

ROOT = Path(__file__).resolve().parents[2]


def test_a_module_planted_in_the_current_folder_is_not_imported(tmp_path):
    marker = tmp_path / "planted-ran"
    for name in ("tqdm", "dataclasses", "json"):
        (tmp_path / f"{name}.py").write_text(f"open({str(marker)!r}, 'a').write('{name}')\n")
    hand_in(tmp_path / "subs", "ana", {"2": RIGHT["2"]})
    done = subprocess.run([sys.executable, "-m", "grader", "grade", "subs", "-o", "out"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not marker.exists(), marker.read_text()
    assert read_grades(tmp_path / "out")["ana"]["step_2"] == "1"


def test_learner_ids_that_look_like_formulas_are_text_in_grades_csv(tmp_path):
    for learner in ("=HYPERLINK(1)", "+1", "-2", "@sum", "ana"):
        hand_in(tmp_path / "subs", learner, {"2": RIGHT["2"]})
    out = tmp_path / "out"
    assert grade(tmp_path / "subs", out) == 0
    rows = read_grades(out)
    assert set(rows) == {"'=HYPERLINK(1)", "'+1", "'-2", "'@sum", "ana"}
    assert all(row["step_2"] == "1" for row in rows.values())
    assert "=HYPERLINK(1)" in read_results(out)["learners"]  # the real id, where it is data


def test_look_alike_and_hidden_learner_folders_are_not_lost(tmp_path):
    nfc, nfd = unicodedata.normalize("NFC", "José"), unicodedata.normalize("NFD", "José")
    hand_in(tmp_path / "subs", nfc, {"1": RIGHT["1"], "2": RIGHT["2"]})
    hand_in(tmp_path / "subs", nfd, {"1": RIGHT["1"], "2": RIGHT["2"]})
    hand_in(tmp_path / "subs", ".hidden", {"2": RIGHT["2"]})
    out = tmp_path / "out"
    assert grade(tmp_path / "subs", out) == 0
    rows = read_grades(out)
    assert sorted(rows) == sorted([nfc, nfd])
    assert all(row["step_1"] == "2" and row["step_2"] == "1" for row in rows.values())
    ignored = read_results(out)["ignored"]
    assert any("different Unicode forms" in item for item in ignored), ignored
    assert ".hidden: a hidden folder, not a learner" in ignored


def test_out_inside_the_submissions_is_not_a_learner(tmp_path):
    subs = tmp_path / "subs"
    hand_in(subs, "ana", {"2": RIGHT["2"]})
    for _ in range(2):
        assert grade(subs, subs / "graded") == 0
        assert sorted(read_grades(subs / "graded")) == ["ana"]
    assert any("grader's own output" in item for item in read_results(subs / "graded")["ignored"])


def test_sigterm_stops_like_ctrl_c(tmp_path):
    hand_in(tmp_path / "subs", "slow", {"2": ["import time\ntime.sleep(60)\nthreshold = 0.6"]})
    book = tmp_path / "out" / "gradebook.sqlite"
    process = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(tmp_path / "subs"),
                                "-o", str(tmp_path / "out"), "-q", "--timeout", "120"],
                               cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        while True:  # until the run is recorded and its worker is busy
            try:
                with sqlite3.connect(book) as db:
                    if db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]:
                        break
            except sqlite3.Error:
                pass
            assert process.poll() is None, process.stderr.read()
            time.sleep(0.1)
        time.sleep(1)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143, err
    assert "stopped (SIGTERM)" in err and "Traceback" not in err
    with sqlite3.connect(book) as db:
        assert db.execute("SELECT outcome FROM runs").fetchall() == [("interrupted",)]


def test_absurd_limits_are_one_line_errors(tmp_path, capsys):
    hand_in(tmp_path / "subs", "ana", {"2": RIGHT["2"]})
    for option, value in (("--timeout", "3000000"), ("--memory", "99999999999"),
                          ("--jobs", "100000")):
        try:
            code = main(["grade", str(tmp_path / "subs"), "-o", str(tmp_path / "out"), option,
                         value])
        except SystemExit as exit_:
            code = exit_.code
        assert code == 2
        err = capsys.readouterr().err
        assert "must be at most" in err and "Traceback" not in err


def test_grades_are_readable_by_the_instructor_only(tmp_path):
    hand_in(tmp_path / "subs", "ana", {"2": RIGHT["2"]})
    out = tmp_path / "out"
    assert grade(tmp_path / "subs", out) == 0
    for path in (out, out / "grades.csv", out / "results.json", out / "gradebook.sqlite",
                 out / "feedback", out / "feedback" / "ana.html"):
        assert not stat.S_IMODE(os.stat(path).st_mode) & 0o077, path
    assert NOTEBOOKS["2"] in read_results(out)["learners"]["ana"]["notebooks"]


def test_escape_sequences_in_a_learner_id_never_reach_the_instructors_terminal(tmp_path, capsys):
    """A learner who names their own folder (the folders layout; Moodle's full names) chooses
    text the summary prints: control characters in it are shown escaped, not sent."""
    hostile = "ev\x1b[2J\x1b]0;pwned\x07il\u202e"
    hand_in(tmp_path / "subs", hostile, {"2": RIGHT["2"]})
    hand_in(tmp_path / "subs", "ana", {"2": RIGHT["2"]})
    out = tmp_path / "out"
    assert main(["grade", str(tmp_path / "subs"), "-o", str(out), "--jobs", "2"]) == 0
    said = capsys.readouterr()
    printed = said.out + said.err
    assert "\x1b" not in printed and "\x07" not in printed and "\u202e" not in printed
    assert "ev\\x1b[2J\\x1b]0;pwned\\x07il\\u202e/" in printed  # still there, to be seen
    assert read_grades(out)[hostile]["step_2"] == "1"  # the id itself is the learner's, as given
    # export lists the file's rows it could not match, by the names learners gave the LMS
    (tmp_path / "canvas.csv").write_text("Student,ID,Serving (55502)\nAna,ana,\n"
                                         "\"Ev\x1b[2Jil\",999,\n", encoding="utf-8")
    assert main(["export", "canvas", str(out), "--gradebook-csv", str(tmp_path / "canvas.csv"),
                 "-o", str(tmp_path / "import.csv")]) == 0
    said = capsys.readouterr()
    assert "Ev\\x1b[2Jil (ID 999)" in said.out and "\x1b" not in said.out + said.err


def test_a_learners_words_are_inert_in_the_markdown_feedback(tmp_path):
    """The feedback `.md` quotes what a learner's code said (an exception's text, a value in a
    check's message, their id): rendered, none of it becomes HTML, a link, emphasis or a line
    of its own, whatever backticks it holds."""
    import mistune

    hostile = ('threshold = "x`<img src=x onerror=alert(1)>[a](javascript:alert(2))`"\n'
               'raise Exception("x`\\n\\n<img src=x onerror=\\"alert(3)\\">'
               '[open me](javascript:alert(4))\\n\\n**Total: 21 / 21 points** `")')
    hand_in(tmp_path / "subs", "ev<i>e", {"2": [hostile]})
    out = tmp_path / "out"
    assert grade(tmp_path / "subs", out) == 0
    [md] = (out / "feedback").glob("*.md")
    text = md.read_text(encoding="utf-8")
    rendered = mistune.html(text)
    assert "<img" not in rendered and "<a " not in rendered and "href" not in rendered
    assert "<i>" not in rendered and "Feedback for ev&lt;i&gt;e</h1>" in rendered
    assert rendered.count("<strong>Total") == 1
    assert "<strong>Total: 0 / 21 points</strong>" in rendered
    assert "alert(4)" in rendered and "Total: 21 / 21 points" in rendered  # quoted, inert
    assert "<blockquote>" in rendered and "<h" not in rendered.split("<blockquote>")[1].split(
        "</blockquote>")[0]  # the quoted error stays in its quote: no heading, no new block
