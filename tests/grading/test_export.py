"""Grades back to the LMS: a Canvas-shaped gradebook CSV filled in and read back, Moodle's
grading worksheet, a plain CSV, and feedback files named for the LMS's bulk upload."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from grader.cli import main

from .conftest import grade, read_grades
from .helpers import NOTEBOOKS, RIGHT, WRONG, notebook_bytes
from .test_lms_layouts import _canvas_download

CANVAS_EXPORT = (
    "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Week 1 quiz (55501),"
    "Batch vs Real-Time Serving (55502),Current Score,Unposted Current Score,Final Score\r\n"
    "    Points Possible,,,,,10,100,(read only),(read only),(read only)\r\n"
    '"López, Ana",123401,A001,alopez,MLOps 101,8,,80,80,80\r\n'
    '"Müller, José",123402,A002,jmuller,MLOps 101,9,,90,90,90\r\n'
    '"Ng, Wen",123403,A003,wng,MLOps 101,,,,,\r\n'
    '"Student, Test",999999,,,MLOps 101,,,,,\r\n')


@pytest.fixture(scope="module")
def canvas_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("canvas")
    assert grade(_canvas_download(root), root / "out") == 0
    (root / "export.csv").write_text(CANVAS_EXPORT, encoding="utf-8", newline="")
    return root


def _rows(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def test_canvas_gradebook_round_trip(canvas_run, capsys):
    out, target = canvas_run / "out", canvas_run / "import.csv"
    # two assignment columns: which one is not guessed
    assert main(["export", "canvas", str(out), "--gradebook-csv",
                 str(canvas_run / "export.csv"), "-o", str(target)]) == 2
    assert "--column" in capsys.readouterr().err and not target.exists()

    assert main(["export", "canvas", str(out), "--gradebook-csv",
                 str(canvas_run / "export.csv"), "-o", str(target),
                 "--column", "real-time serving"]) == 0
    said = capsys.readouterr().out
    assert "3 learner(s) into column 'Batch vs Real-Time Serving (55502)'" in said
    assert "Student, Test (ID 999999)" in said  # the unmatched row is listed
    before, after = _rows(canvas_run / "export.csv"), _rows(target)
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")  # Canvas's BOM kept
    assert after[0] == before[0] and after[1] == before[1]  # its header rows, as they were
    assert len(after) == len(before)
    grades = read_grades(out)
    column = before[0].index("Batch vs Real-Time Serving (55502)")
    for row_before, row_after in zip(before[2:], after[2:], strict=True):
        learner = row_after[1]
        other = [c for i, c in enumerate(row_after) if i != column]
        assert other == [c for i, c in enumerate(row_before) if i != column]
        if learner in grades:  # scaled to the column's 100 points possible
            g = grades[learner]
            expected = round(float(g["total"]) / float(g["max_total"]) * 100, 2)
            assert float(row_after[column]) == pytest.approx(expected)
        else:
            assert row_after[column] == ""  # the test student: left as it was
    assert float(after[3][column]) > 0  # José: his right re-upload counted, not the first


def test_feedback_zip_named_as_canvas_named_the_hand_ins(canvas_run):
    target = canvas_run / "feedback.zip"
    assert main(["export", "canvas", str(canvas_run / "out"), "--gradebook-csv",
                 str(canvas_run / "export.csv"), "-o", str(canvas_run / "i.csv"),
                 "--column", "55502", "--feedback-zip", str(target)]) == 0
    with zipfile.ZipFile(target) as archive:
        names = sorted(archive.namelist())
        assert names == ["lopezana_123401_9000001_feedback.html",
                         "müllerjosé_LATE_123402_9000012_feedback.html",
                         "ngwen_LATE_123403_9000003_feedback.html"]
        assert b"Feedback for 123401" in archive.read(names[0])


def test_moodle_worksheet_and_plain_csv(tmp_path, capsys):
    root = tmp_path / "moodle"
    for folder, step, answers in [("Ana López_5501_assignsubmission_file_", "1", RIGHT["1"]),
                                  ("Ben O Brien_5502_assignsubmission_file_", "1", WRONG["1"])]:
        (root / folder).mkdir(parents=True)
        (root / folder / NOTEBOOKS[step]).write_bytes(notebook_bytes(step, answers))
    assert grade(root, tmp_path / "out") == 0
    worksheet = tmp_path / "worksheet.csv"
    worksheet.write_text(
        "Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
        "Last modified (submission),Last modified (grade),Feedback comments\n"
        "Participant 5501,Ana López,ana@example.org,Submitted for grading,,42.00,Yes,-,-,\n"
        "Participant 5502,Ben O Brien,ben@example.org,Submitted for grading,,42.00,Yes,-,-,\n"
        "Participant 5509,Cy Dropped,cy@example.org,No submission,,42.00,Yes,-,-,\n",
        encoding="utf-8")
    target = tmp_path / "import.csv"
    assert main(["export", "moodle", str(tmp_path / "out"), "--gradebook-csv", str(worksheet),
                 "-o", str(target), "--feedback-zip", str(tmp_path / "fb.zip")]) == 0
    assert "Cy Dropped (Participant 5509)" in capsys.readouterr().out
    rows = {r["Identifier"]: r for r in csv.DictReader(io.StringIO(target.read_text()))}
    assert rows["Participant 5501"]["Grade"] == "4"  # 2 of 21 points, scaled to 42
    assert rows["Participant 5502"]["Grade"] == "0"
    assert rows["Participant 5509"]["Grade"] == ""
    with zipfile.ZipFile(tmp_path / "fb.zip") as archive:  # Moodle reads name_id_plugin_file
        assert sorted(archive.namelist()) == [
            "Ana López_5501_assignsubmission_file_feedback.html",
            "Ben O Brien_5502_assignsubmission_file_feedback.html"]

    assert main(["export", "plain", str(tmp_path / "out"), "-o", str(tmp_path / "p.csv")]) == 0
    plain = list(csv.DictReader(io.StringIO((tmp_path / "p.csv").read_text())))
    assert [(r["learner"], r["name"], r["score"], r["max_score"]) for r in plain] == [
        ("5501", "Ana López", "2", "21"), ("5502", "Ben O Brien", "0", "21")]


def test_export_errors_are_one_line(tmp_path, capsys):
    assert main(["export", "canvas", str(tmp_path), "--gradebook-csv", "x.csv",
                 "-o", str(tmp_path / "i.csv")]) == 2
    assert "no results.json" in capsys.readouterr().err


def test_a_name_typed_as_a_formula_stays_text(tmp_path):
    """A Moodle full name is what the learner typed in their profile: in grades.csv and in
    the plain export it must open in a spreadsheet as text, not run as a formula."""
    folder = tmp_path / "moodle" / "=HYPERLINK(\"x\")_5507_assignsubmission_file_"
    folder.mkdir(parents=True)
    (folder / NOTEBOOKS["1"]).write_bytes(notebook_bytes("1", RIGHT["1"]))
    assert grade(tmp_path / "moodle", tmp_path / "out") == 0
    assert read_grades(tmp_path / "out")["5507"]["name"] == "'=HYPERLINK(\"x\")"
    assert main(["export", "plain", str(tmp_path / "out"), "-o", str(tmp_path / "p.csv")]) == 0
    row = next(csv.DictReader(io.StringIO((tmp_path / "p.csv").read_text())))
    assert row["name"] == "'=HYPERLINK(\"x\")"


def test_plain_export_writes_formula_looking_ids_and_names_as_text(tmp_path):
    """A learner picks the name an LMS puts on their files; the plain CSV opens in a
    spreadsheet, so a name or id starting like a formula must arrive there as text."""
    root = tmp_path / "moodle"
    for folder in ("=HYPERLINK(1)_5501_assignsubmission_file_",
                   "@SUM(1)_5502_assignsubmission_file_", "Ana López_5503_assignsubmission_file_"):
        (root / folder).mkdir(parents=True)
        (root / folder / NOTEBOOKS["1"]).write_bytes(notebook_bytes("1", RIGHT["1"]))
    assert grade(root, tmp_path / "out") == 0
    assert main(["export", "plain", str(tmp_path / "out"), "-o", str(tmp_path / "p.csv")]) == 0
    plain = list(csv.DictReader(io.StringIO((tmp_path / "p.csv").read_text())))
    assert [(r["learner"], r["name"], r["score"]) for r in plain] == [
        ("5501", "'=HYPERLINK(1)", "2"), ("5502", "'@SUM(1)", "2"), ("5503", "Ana López", "2")]


def test_plain_export_writes_formula_looking_learner_folders_as_text(tmp_path):
    root = tmp_path / "subs"
    for learner in ("-2+3", "+cmd", "ana"):
        (root / learner).mkdir(parents=True)
        (root / learner / NOTEBOOKS["1"]).write_bytes(notebook_bytes("1", RIGHT["1"]))
    assert grade(root, tmp_path / "out") == 0
    assert main(["export", "plain", str(tmp_path / "out"), "-o", str(tmp_path / "p.csv")]) == 0
    plain = list(csv.DictReader(io.StringIO((tmp_path / "p.csv").read_text())))
    assert sorted(r["learner"] for r in plain) == ["'+cmd", "'-2+3", "ana"]
    assert all(r["score"] == "2" for r in plain)
