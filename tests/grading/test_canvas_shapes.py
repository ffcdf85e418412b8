"""Canvas downloads and gradebook exports shaped as Canvas's own code writes them, each mapped to
the right learners and exported back.

The shapes come from instructure/canvas-lms: file names from `ContentZipper#get_filename` and
`#add_upload_submission` (lib/content_zipper.rb), anonymous ids from
`Anonymity.generate_short_id` (lib/anonymity.rb: five base58 characters), the gradebook export
from `GradebookExporter#csv_data` and `CsvWithI18n.csv_i18n_settings` (lib/gradebook_exporter.rb,
lib/csv_with_i18n.rb: `;` and decimal commas where the user's locale has them, "N/A" for an
anonymous assignment's unposted scores), and the feedback names from
`AbstractAssignment#infer_comment_context_from_filename` (app/models/abstract_assignment.rb).
"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from grader.batch.collect import collect
from grader.batch.lms import canvas
from grader.cli import main
from grader.spec import ALL_STEPS

from .conftest import grade, read_grades, read_results
from .helpers import NOTEBOOKS, RIGHT, WRONG, notebook_bytes
from .test_lms_layouts import _zip

ONE, TWO = NOTEBOOKS["1"], NOTEBOOKS["2"]
NAMES = {s.notebook for s in ALL_STEPS}


# --- anonymous grading ----------------------------------------------------------------------

# get_filename: `anon_<anonymous_id>` in place of name and user id; LATE first when late
ANONYMOUS = [
    (f"anon_Xk3Qp_9000050_{ONE}", "1", RIGHT["1"]),
    (f"anon_Xk3Qp_9000053_{TWO}", "2", RIGHT["2"]),
    (f"LATE_anon_b7ZtR_9000051_{ONE}", "1", WRONG["1"]),
    (f"anon_23456_9000052_{ONE}", "1", RIGHT["1"]),  # base58 ids can be all digits
]


@pytest.fixture(scope="module")
def anonymous_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("anonymous")
    download = _zip(root / "submissions.zip", [(name, notebook_bytes(step, answers))
                                               for name, step, answers in ANONYMOUS])
    assert grade(download, root / "out") == 0
    return root


def test_anonymous_grading_gives_one_learner_per_anonymous_id(anonymous_run):
    rows, results = read_grades(anonymous_run / "out"), read_results(anonymous_run / "out")
    assert "graded anonymously" in results["layout"]
    assert sorted(rows) == ["anon_23456", "anon_Xk3Qp", "anon_b7ZtR"]
    assert {k: r["late"] for k, r in rows.items()} == {
        "anon_23456": "no", "anon_Xk3Qp": "no", "anon_b7ZtR": "yes"}
    assert rows["anon_Xk3Qp"]["step_1"] == "2" and rows["anon_Xk3Qp"]["step_2"] == "1"
    assert rows["anon_b7ZtR"]["step_1"] == "0" and rows["anon_23456"]["step_1"] == "2"
    assert results["unplaced"] == []
    statuses = {nb["status"] for nb in results["learners"]["anon_Xk3Qp"]["notebooks"].values()}
    assert "invalid" not in statuses


def test_anonymous_scores_wait_for_posting_and_feedback_goes_back_by_anonymous_id(
        anonymous_run, capsys):
    out = anonymous_run / "out"
    gradebook = anonymous_run / "gradebook.csv"
    gradebook.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Churn (55502)\n"
                         "    Points Possible,,,,,100.00\n"
                         "\"López, Ana\",123401,,alopez,MLOps,N/A\n", encoding="utf-8")
    assert main(["export", "canvas", str(out), "--gradebook-csv", str(gradebook),
                 "-o", str(anonymous_run / "import.csv")]) == 2
    err = capsys.readouterr().err
    assert "anonymous" in err and "posted" in err and len(err.strip().splitlines()) == 1
    assert not (anonymous_run / "import.csv").exists()
    # Re-Upload Submissions reads `anon_<id>_<file id>` once the LATE part is dropped
    assert main(["export", "canvas", str(out), "--feedback-zip",
                 str(anonymous_run / "fb.zip")]) == 0
    assert "under the name of the learner's own upload" in capsys.readouterr().out
    with zipfile.ZipFile(anonymous_run / "fb.zip") as archive:
        assert sorted(archive.namelist()) == ["LATE_anon_b7ZtR_9000051_feedback.html",
                                              "anon_23456_9000052_feedback.html",
                                              "anon_Xk3Qp_9000050_feedback.html"]
        assert b"Feedback for anon_Xk3Qp" in archive.read("anon_Xk3Qp_9000050_feedback.html")


def test_an_unposted_anonymous_column_is_refused(tmp_path, capsys):
    download = _zip(tmp_path / "s.zip", [(f"lopezana_123401_9000001_{ONE}",
                                          notebook_bytes("1", RIGHT["1"]))])
    assert grade(download, tmp_path / "out") == 0
    gradebook = tmp_path / "g.csv"
    gradebook.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Churn (55502)\n"
                         ",,,,,Manual Posting\n    Points Possible,,,,,100.00\n"
                         "\"López, Ana\",123401,,alopez,MLOps,N/A\n", encoding="utf-8")
    assert main(["export", "canvas", str(tmp_path / "out"), "--gradebook-csv", str(gradebook),
                 "-o", str(tmp_path / "i.csv")]) == 2
    assert "not posted yet" in capsys.readouterr().err


# --- a gradebook export in a locale with decimal commas -------------------------------------

# CsvWithI18n: `;` between fields where the locale's decimal mark is a comma, a byte order mark;
# format_numbers: I18n.n(points, precision: 2); Ruby's CSV quotes only a field holding `;`
SEMICOLON_EXPORT = (
    "\ufeffStudent;ID;SIS User ID;SIS Login ID;Section;Woche 1 (55501);"
    "Batch vs Echtzeit (55502);Current Score;Unposted Current Score\r\n"
    ";;;;;Manual Posting;;;\r\n"
    "    Points Possible;;;;;10,00;100,00;(read only);(read only)\r\n"
    'López, Ana;123401;A001;alopez;MLOps 101;8,50;;85,00;85,00\r\n'
    'Müller, José;123402;A002;jmuller;"MLOps 101; MLOps 102";9,00;;90,00;90,00\r\n'
    'Student, Test;999999;;;MLOps 101;;;;\r\n')


def test_a_semicolon_export_with_decimal_commas_is_filled_as_it_was_written(tmp_path, capsys):
    download = _zip(tmp_path / "s.zip", [
        (f"lopezana_123401_9000001_{ONE}", notebook_bytes("1", RIGHT["1"])),
        (f"lopezana_123401_9000002_{TWO}", notebook_bytes("2", RIGHT["2"])),
        (f"müllerjosé_123402_9000003_{ONE}", notebook_bytes("1", RIGHT["1"]))])
    assert grade(download, tmp_path / "out") == 0
    export = tmp_path / "export.csv"
    export.write_bytes(SEMICOLON_EXPORT.encode("utf-8"))
    target = tmp_path / "import.csv"
    assert main(["export", "canvas", str(tmp_path / "out"), "--gradebook-csv", str(export),
                 "-o", str(target), "--column", "Echtzeit"]) == 0
    assert "2 learner(s) into column 'Batch vs Echtzeit (55502)'" in capsys.readouterr().out
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    before = SEMICOLON_EXPORT.lstrip("\ufeff").splitlines()
    after = raw.decode("utf-8-sig").splitlines()
    assert after[:3] == before[:3]  # the header, Manual Posting and Points Possible rows
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    grades = read_grades(tmp_path / "out")
    ana = round(float(grades["123401"]["total"]) / float(grades["123401"]["max_total"]) * 100, 2)
    assert rows[3][6] == f"{ana:g}".replace(".", ",")  # 3 of 21 points: 14,29
    assert "," in rows[3][6] and rows[3][5] == "8,50" and rows[3][7] == "85,00"
    assert after[4].startswith('Müller, José;123402;A002;jmuller;"MLOps 101; MLOps 102";9,00;')
    assert after[5] == before[5]  # the test student: as it was


def test_the_first_and_last_name_export_and_a_read_only_column(tmp_path, capsys):
    download = _zip(tmp_path / "s.zip", [(f"lopezana_123401_9000001_{ONE}",
                                          notebook_bytes("1", RIGHT["1"]))])
    assert grade(download, tmp_path / "out") == 0
    export = tmp_path / "export.csv"
    export.write_text("LastName,FirstName,ID,SIS Login ID,Section,Churn (55502),Current Score\n"
                      "    Points Possible,,,,,21.00,(read only)\n"
                      "López,Ana,123401,alopez,MLOps 101,,\n", encoding="utf-8")
    assert main(["export", "canvas", str(tmp_path / "out"), "--gradebook-csv", str(export),
                 "-o", str(tmp_path / "i.csv"), "--column", "Churn"]) == 0
    assert list(csv.reader(io.StringIO((tmp_path / "i.csv").read_text())))[2][5] == "2"
    assert main(["export", "canvas", str(tmp_path / "out"), "--gradebook-csv", str(export),
                 "-o", str(tmp_path / "j.csv"), "--column", "Current Score"]) == 2
    assert "read only" in capsys.readouterr().err


# --- reading names ------------------------------------------------------------------------


def test_late_is_canvas_s_only_in_capitals_and_names_are_lower_case():
    """sanitize_user_name lower-cases the name; get_filename adds "LATE" in capitals."""
    late = canvas.readings(f"ngwen_LATE_123403_9000003_{ONE}", False)
    assert [(r.name, r.late, r.learner) for r in late] == [("ngwen", True, "123403")]
    named = canvas.readings(f"ngwen_late_123403_9000003_{ONE}", False)
    assert [(r.name, r.late, r.learner) for r in named] == [("ngwen_late", False, "123403")]
    # a name of Canvas's other scripts, empty when the name was all punctuation
    assert [r.learner for r in canvas.readings(f"李雷_123405_9000005_{ONE}", False)] == ["123405"]
    assert [r.learner for r in canvas.readings(f"_123406_9000006_{ONE}", False)] == ["123406"]
    # fifteen-digit global ids of a sharded Canvas
    wide = canvas.readings(f"ana_100000000123401_100000009000001_{ONE}", False)
    assert [r.learner for r in wide] == ["100000000123401"]


def test_a_name_read_two_ways_is_confirmed_by_the_learner_s_other_files_or_listed(tmp_path):
    download = _zip(tmp_path / "s.zip", [
        # group "team_7": the name keeps a trailing _7; the course file settles it
        (f"team_7_123411_9100011_{ONE}", notebook_bytes("1", RIGHT["1"])),
        # the same group's other file, read two ways, confirmed by the one above
        ("team_7_123411_9100012_notes.txt", b"notes"),
        # another group's lone file, read two ways and confirmed by nothing: listed
        ("crew_9_123412_9100013_notes.txt", b"notes"),
    ])
    collection = collect(download, ALL_STEPS)
    assert sorted(collection.learners) == ["123411"]
    assert collection.learners["123411"].name == "team_7"
    assert any("notes.txt" in item for item in collection.learners["123411"].ignored)
    assert len(collection.unplaced) == 1
    assert collection.unplaced[0].startswith("crew_9_123412_9100013_notes.txt: ")
    assert "user 9 or 123412" in collection.unplaced[0]


def test_the_latest_upload_is_the_highest_file_id(tmp_path):
    """Two uploads of one file: Canvas gives the later a higher id (and renames it `-1`)."""
    download = _zip(tmp_path / "s.zip", [
        (f"ana_123401_9000009_{ONE}", notebook_bytes("1", RIGHT["1"])),
        ("ana_123401_9000004_01_customer_data-1.ipynb", notebook_bytes("1", WRONG["1"])),
    ])
    collection = collect(download, ALL_STEPS)
    ana = collection.learners["123401"]
    assert ana.handins[ONE].found_as == ONE
    assert any("earlier upload" in item and "9000004" in item for item in ana.ignored)
    assert ana.upload_prefix == "ana_123401_9000009_"  # feedback goes to the file graded
