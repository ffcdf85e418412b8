"""Hand-ins as Jupyter and LMS downloads really make them."""

from __future__ import annotations

import zipfile

from grader.cli import main

from .conftest import grade, read_grades, read_results
from .helpers import NOTEBOOKS, RIGHT, WRONG, hand_in, notebook_bytes


def test_a_jupyter_duplicate_does_not_cost_the_step(tmp_path) -> None:
    folder = hand_in(tmp_path / "subs", "dee", {"1": RIGHT["1"]})
    (folder / "01_customer_data-Copy1.ipynb").write_bytes(notebook_bytes("1", WRONG["1"]))
    assert grade(tmp_path / "subs", tmp_path / "out") == 0
    assert read_grades(tmp_path / "out")["dee"]["step_1"] == "2"
    ignored = read_results(tmp_path / "out")["learners"]["dee"]["ignored_files"]
    assert ignored == ["01_customer_data-Copy1.ipynb: a copy of 01_customer_data.ipynb, "
                       "not graded"]


def test_an_unreadable_answers_file_in_a_zip_costs_only_that_learner(tmp_path) -> None:
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr(f"ana/{NOTEBOOKS['2']}", notebook_bytes("2", RIGHT["2"]))
        out.writestr(f"bob/{NOTEBOOKS['2']}", notebook_bytes("2", RIGHT["2"]))
        out.writestr(f"bob/{NOTEBOOKS['quiz']}", notebook_bytes("quiz", RIGHT["quiz"]))
        out.writestr("bob/quiz_answers.json", b'{"format": "churn-course-quiz-answers"}' * 50)
    data = bytearray(archive.read_bytes())
    start = data.index(b'{"format"')  # corrupt the stored answers: its CRC no longer matches
    data[start + 5] ^= 0xFF
    archive.write_bytes(bytes(data))
    assert grade(archive, tmp_path / "out") == 0
    rows = read_grades(tmp_path / "out")
    assert rows["ana"]["step_2"] == "1" and rows["bob"]["step_2"] == "1"
    ignored = read_results(tmp_path / "out")["learners"]["bob"]["ignored_files"]
    assert len(ignored) == 1 and ignored[0].startswith("quiz_answers.json: could not be read")


def test_timeouts_must_be_finite_numbers(tmp_path, capsys) -> None:
    hand_in(tmp_path / "subs", "ana", {"2": RIGHT["2"]})
    for bad in ("inf", "nan", "0", "-3"):
        try:
            code = main(["grade", str(tmp_path / "subs"), "-o", str(tmp_path / "out"),
                         "--timeout", bad])
        except SystemExit as exit_:
            code = exit_.code
        assert code == 2
        assert "must be a number greater than 0" in capsys.readouterr().err


def test_names_that_are_not_utf8_are_shown_escaped_and_still_graded(tmp_path):
    """A folder or file named in another system's encoding (bytes that aren't UTF-8): it used
    to stop the whole run with a traceback."""
    import os

    subs = tmp_path / "subs"
    folder = os.path.join(os.fsencode(subs), b"ana\xff")
    os.makedirs(folder)
    with open(os.path.join(folder, b"02_prediction_threshold.ipynb"), "wb") as handle:
        handle.write(notebook_bytes("2", RIGHT["2"]))
    with open(os.path.join(folder, b"notes\xfe.txt"), "wb") as handle:
        handle.write(b"mine")
    assert grade(subs, tmp_path / "out") == 0
    assert read_grades(tmp_path / "out")["ana\\xff"]["step_2"] == "1"
    assert read_results(tmp_path / "out")["learners"]["ana\\xff"]["ignored_files"] == [
        "notes\\xfe.txt"]
