"""Moodle downloads and grading worksheets shaped as Moodle's own code writes them, each mapped
to the right participants and exported back.

The shapes come from moodle/moodle: folder and file names from `downloader::get_student_prefix`
and `#load_submissionplugin_filelist` (mod/assign/classes/downloader.php, Moodle 4.1 and later:
`Full Name_<participant id>_assignsubmission_file/`, "Participant" under blind marking, a
group's name and id for team submissions), the feedback importer that reads both folder forms
(mod/assign/feedback/file/importziplib.php, `is_valid_filename_for_import`), the worksheet's
columns (mod/assign/gradingtable.php: `get_string('recordid', 'assign')`, "Participant N" as
`hiddenuser` followed by the id, `grade`, `maxgrade` through `format_float`, `submissionteam` for
team submissions) in the language packs' de, fr, es and pt strings, and the importer that finds
them by `get_string()` and reads grades with `unformat_float`
(mod/assign/feedback/offline/importgradeslib.php, locallib.php `process_import_grades`).
"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from grader.batch.collect import collect
from grader.cli import main
from grader.spec import ALL_STEPS

from .conftest import grade, read_grades, read_results
from .helpers import NOTEBOOKS, RIGHT, WRONG, notebook_bytes
from .test_lms_layouts import _zip

ONE = NOTEBOOKS["1"]


def _write(path, rows, separator=","):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _rows(path, separator=","):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")),
                           delimiter=separator))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A Moodle 4.1 download in folders: no trailing `_` after the plugin's name."""
    root = tmp_path_factory.mktemp("moodle41")
    subs = root / "download"
    for folder, answers in [("Ana López_5501_assignsubmission_file", RIGHT["1"]),
                            ("Ben O Brien_5502_assignsubmission_file", WRONG["1"])]:
        (subs / folder).mkdir(parents=True)
        (subs / folder / ONE).write_bytes(notebook_bytes("1", answers))
    (subs / "Ana López_5501_assignsubmission_onlinetext").mkdir()
    (subs / "Ana López_5501_assignsubmission_onlinetext" / "onlinetext.html").write_text("hi")
    assert grade(subs, root / "out") == 0
    return root


def test_moodle_4_1_folders_are_participants(run):
    results = read_results(run / "out")
    assert results["layout"].startswith("Moodle")
    rows = read_grades(run / "out")
    assert sorted(rows) == ["5501", "5502"]
    assert rows["5501"]["name"] == "Ana López" and rows["5501"]["step_1"] == "2"
    assert rows["5502"]["step_1"] == "0" and results["unplaced"] == []
    forced = collect(run / "download", ALL_STEPS, layout="moodle")
    assert sorted(forced.learners) == ["5501", "5502"]


# (language, Identifier's text before the id, the headings, the worksheet's decimal mark)
WORKSHEETS = [
    ("en", "Participant ", ["Identifier", "Full name", "Email address", "Status", "Grade",
                            "Maximum Grade", "Grade can be changed"], "."),
    ("de", "Teilnehmer/in", ["ID", "Vollständiger Name", "E-Mail-Adresse", "Status",
                             "Bewertung", "Bestwertung", "Bewertung kann geändert werden"], ","),
    ("fr", "Participant", ["Identifiant", "Nom complet", "Adresse de courriel", "Statut",
                           "Note", "Note maximale", "La note peut être modifiée"], ","),
    ("es", "Participante", ["Identificador", "Nombre completo", "Dirección de correo",
                            "Estado", "Calificación", "Calificación máxima",
                            "La calificación puede ser cambiada"], ","),
    ("pt", "Participante", ["Identificador", "Nome completo", "Endereço de email", "Estado",
                            "Nota", "Nota máxima", "A nota pode ser alterada"], ","),
]


@pytest.mark.parametrize(("language", "participant", "headings", "mark"), WORKSHEETS,
                         ids=[w[0] for w in WORKSHEETS])
def test_worksheets_in_five_languages_are_filled_in_their_own_decimal_mark(
        run, capsys, language, participant, headings, mark):
    maximum = f"100{mark}00"  # format_float(100, 2)
    sheet = _write(run / f"worksheet-{language}.csv", [headings] + [
        [f"{participant}{pid}", name, f"{pid}@example.org", "-", "", maximum, "Yes"]
        for pid, name in [(5501, "Ana López"), (5502, "Ben O Brien"), (5509, "Cy Dropped")]])
    target = run / f"import-{language}.csv"
    assert main(["export", "moodle", str(run / "out"), "--gradebook-csv", str(sheet),
                 "-o", str(target)]) == 0
    said = capsys.readouterr().out
    assert f"2 learner(s) into column {headings[4]!r}" in said and "Cy Dropped" in said
    rows = _rows(target)
    assert rows[0] == headings
    assert rows[1][4] == f"9{mark}52"  # 2 of 21 points, on 100: 9.52, written as Moodle does
    assert rows[2][4] == "0" and rows[3][4] == ""
    assert [r[5] for r in rows[1:]] == [maximum] * 3


def test_a_worksheet_in_another_language_is_named_with_options(run, capsys):
    headings = ["Identificativo", "Nome completo", "Stato", "Valutazione",
                "Valutazione massima"]
    sheet = _write(run / "worksheet-it.csv", [headings, ["Partecipante5501", "Ana López", "-",
                                                         "", "42,00"]], ";")
    target = run / "import-it.csv"
    assert main(["export", "moodle", str(run / "out"), "--gradebook-csv", str(sheet),
                 "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert "--id-column" in err and "'Identificativo'" in err
    assert main(["export", "moodle", str(run / "out"), "--gradebook-csv", str(sheet),
                 "-o", str(target), "--id-column", "Identificativo", "--column", "Valutazione",
                 "--max-column", "Valutazione massima"]) == 0
    capsys.readouterr()
    rows = _rows(target, ";")
    assert rows[1] == ["Partecipante5501", "Ana López", "-", "4", "42,00"]  # 2/21 of 42


def test_blind_marking_downloads_and_worksheets(tmp_path, capsys):
    """Blind marking: the download says "Participant" (in the site's language) for every name
    and the worksheet has no full name, unless the marker may see identities."""
    subs = tmp_path / "blind"
    for folder, answers in [("Participant_7001_assignsubmission_file", RIGHT["1"]),
                            ("Teilnehmerin_7002_assignsubmission_file", WRONG["1"])]:
        (subs / folder).mkdir(parents=True)
        (subs / folder / ONE).write_bytes(notebook_bytes("1", answers))
    assert grade(subs, tmp_path / "out") == 0
    assert sorted(read_grades(tmp_path / "out")) == ["7001", "7002"]
    hidden = _write(tmp_path / "hidden.csv", [
        ["Identifier", "Status", "Grade", "Maximum Grade"],
        ["Participant 7001", "-", "", "21.00"], ["Participant 7002", "-", "", "21.00"]])
    assert main(["export", "moodle", str(tmp_path / "out"), "--gradebook-csv", str(hidden),
                 "-o", str(tmp_path / "i.csv")]) == 0
    assert [r[2] for r in _rows(tmp_path / "i.csv")[1:]] == ["2", "0"]
    seen = _write(tmp_path / "seen.csv", [  # mod/assign:viewblinddetails: real names shown
        ["ID", "Vollständiger Name", "Status", "Bewertung", "Bestwertung"],
        ["Teilnehmer/in7001", "Ana López", "-", "", "21,00"],
        ["Teilnehmer/in7002", "Ben O Brien", "-", "", "21,00"]])
    assert main(["export", "moodle", str(tmp_path / "out"), "--gradebook-csv", str(seen),
                 "-o", str(tmp_path / "j.csv")]) == 0
    assert "left as they were" not in capsys.readouterr().out
    assert [r[3] for r in _rows(tmp_path / "j.csv")[1:]] == ["2", "0"]


def test_team_downloads_are_never_read_as_participants(tmp_path, capsys):
    """A team download names files after the group and the *group's* id (downloader.php,
    `get_student_prefix`), or "Default group" and no id for learners in none."""
    team = [(f"Team Red_42_assignsubmission_file_{ONE}", notebook_bytes("1", RIGHT["1"])),
            (f"Ana López_5501_assignsubmission_file_{ONE}", notebook_bytes("1", WRONG["1"]))]
    certain = _zip(tmp_path / "certain.zip", team + [
        (f"Default group_assignsubmission_file_{ONE}", notebook_bytes("1", RIGHT["1"]))])
    assert grade(certain, tmp_path / "refused") == 2
    err = capsys.readouterr().err
    assert "team download" in err and "'Default group_assignsubmission_file_" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "refused" / "grades.csv").exists()
    # without a "Default group", the names can't tell: export checks against the worksheet
    assert grade(_zip(tmp_path / "team.zip", team), tmp_path / "out") == 0
    # the team assignment's own worksheet has a "Group" column: refused in one line
    team_sheet = _write(tmp_path / "team.csv", [
        ["Identifier", "Full name", "Status", "Group", "Grade", "Maximum Grade"],
        ["Participant 42", "Ben O Brien", "-", "Team Red", "", "100.00"],
        ["Participant 5501", "Ana López", "-", "Team Blue", "", "100.00"]])
    assert main(["export", "moodle", str(tmp_path / "out"), "--gradebook-csv",
                 str(team_sheet), "-o", str(tmp_path / "i.csv")]) == 2
    err = capsys.readouterr().err
    assert "team assignment" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "i.csv").exists()
    # without that column, participant 42 is someone else: never given the team's grade
    sheet = _write(tmp_path / "individual.csv", [
        ["Identifier", "Full name", "Status", "Grade", "Maximum Grade"],
        ["Participant 42", "Ben O Brien", "-", "", "100.00"],
        ["Participant 5501", "Ana López", "-", "", "100.00"]])
    assert main(["export", "moodle", str(tmp_path / "out"), "--gradebook-csv", str(sheet),
                 "-o", str(tmp_path / "j.csv")]) == 0
    said = capsys.readouterr().out
    assert "1 learner(s)" in said and "'Team Red'" in said and "Ben O Brien" in said
    rows = _rows(tmp_path / "j.csv")
    assert rows[1][3] == "" and rows[2][3] == "0"


def test_a_grade_on_a_scale_is_refused(run, capsys):
    sheet = _write(run / "scale.csv", [["Identifier", "Full name", "Grade", "Scale"],
                                       ["Participant 5501", "Ana López", "", "Good\nBad"]])
    assert main(["export", "moodle", str(run / "out"), "--gradebook-csv", str(sheet),
                 "-o", str(run / "s.csv")]) == 2
    assert "scale" in capsys.readouterr().err


def test_feedback_goes_back_under_the_4_1_folder_names(run):
    target = run / "feedback.zip"
    assert main(["export", "moodle", str(run / "out"), "--feedback-zip", str(target)]) == 0
    with zipfile.ZipFile(target) as archive:  # importziplib reads fullname_id_plugintype_name_
        assert sorted(archive.namelist()) == [
            "Ana López_5501_assignsubmission_file_feedback.html",
            "Ben O Brien_5502_assignsubmission_file_feedback.html"]
