"""A Canvas group assignment, downloaded as Canvas gives it (each group's files once, under
the group's name and one member's user id), graded, and exported with the group set's export
so that every member's gradebook row carries the group's score
(grader/batch/lms/canvas_groups.py says how Canvas behaves, with its sources)."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest

from grader.batch.lms.canvas_groups import GroupsError, read_groups
from grader.cli import main

from .conftest import grade, read_grades
from .helpers import NOTEBOOKS, RIGHT, WRONG, notebook_bytes

ONE = NOTEBOOKS["1"]

# Canvas names a group's files after the group ("Équipe Ünïcode 1" -> "équipeünïcode1": lower
# case, spaces dropped) and one member's user id; the second number is the file's id.
DOWNLOAD = [
    (f"équipeünïcode1_123401_9100001_{ONE}", RIGHT["1"]),
    (f"teamlate_LATE_123404_9100004_{ONE}", WRONG["1"]),
    # two members of one group have hand-ins (a member moved, two downloads merged): the
    # later upload (the higher file id) stands for the group
    (f"bothin_123407_9100009_{ONE}", RIGHT["1"]),
    (f"bothin_123406_9100006_{ONE}", WRONG["1"]),
    (f"ngwen_123403_9100003_{ONE}", RIGHT["1"]),  # in no group: graded and exported alone
    # "Team_7": Canvas drops "_<digits>_" from names, but not a trailing "_7"; the name alone
    # also reads as user 7 with file id 123411, so the group's second file (another file id
    # under the same prefix) tells which (a group's lone file would be listed, not placed)
    (f"team_7_123411_9100011_{ONE}", WRONG["1"]),
    ("team_7_123411_9100012_quiz_answers.json", None),
]

# People > Groups > Export, as Canvas writes it for someone allowed to read SIS ids
GROUPS = (
    "name,canvas_user_id,user_id,login_id,sections,group_name,canvas_group_id,group_id\n"
    '"López, Ana",123401,A001,alopez,MLOps 101,Équipe Ünïcode 1,801,\n'
    '"Müller, José",123402,A002,jmuller,"MLOps 101 and MLOps 102",Équipe Ünïcode 1,801,\n'
    '"Ng, Wen",123403,A003,wng,MLOps 101,,,\n'
    '"Kim, Sun",123404,A004,skim,MLOps 101,Team Late,802,\n'
    '"Lee, Bo",123405,A005,blee,MLOps 101,Team Late,802,\n'
    '"Olsen, Per",123406,A006,polsen,MLOps 101,Both In,803,\n'
    '"Park, Jae",123407,A007,jpark,MLOps 101,Both In,803,\n'
    '"Quinn, Ro",123408,A008,rquinn,MLOps 101,Both In,803,\n'
    '"Reyes, Lu",123409,A009,lreyes,MLOps 101,Empty Nest,804,\n'
    '"Sato, Aki",123410,A010,asato,MLOps 101,Empty Nest,804,\n'
    '"Tan, Mei",123411,A011,mtan,MLOps 101,Team_7,805,\n'
    '"Ueda, Ko",123412,A012,kueda,MLOps 101,Team_7,805,\n')

GRADEBOOK = (
    "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Churn group project (55503)\r\n"
    "    Points Possible,,,,,20\r\n"
    + "".join(f'"{name}",{uid},A{uid[-3:]},x,MLOps 101,\r\n' for name, uid in [
        ("López, Ana", "123401"), ("Müller, José", "123402"), ("Ng, Wen", "123403"),
        ("Kim, Sun", "123404"), ("Lee, Bo", "123405"), ("Olsen, Per", "123406"),
        ("Park, Jae", "123407"), ("Quinn, Ro", "123408"), ("Reyes, Lu", "123409"),
        ("Sato, Aki", "123410"), ("Tan, Mei", "123411"), ("Ueda, Ko", "123412"),
        ("Student, Test", "999999")]))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("groups")
    with zipfile.ZipFile(root / "submissions.zip", "w") as archive:
        for name, answers in DOWNLOAD:
            archive.writestr(name, notebook_bytes("1", answers) if answers is not None
                             else b'{"answers": []}')
    assert grade(root / "submissions.zip", root / "out") == 0
    (root / "groups.csv").write_text(GROUPS, encoding="utf-8")
    (root / "gradebook.csv").write_text(GRADEBOOK, encoding="utf-8", newline="")
    return root


def _rows(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def _export(run, *extra):
    return main(["export", "canvas", str(run / "out"), "--gradebook-csv",
                 str(run / "gradebook.csv"), "-o", str(run / "import.csv"), *extra])


def test_grading_stays_per_hand_in(run):
    grades = read_grades(run / "out")
    assert sorted(grades) == ["123401", "123403", "123404", "123406", "123407", "123411"]
    assert grades["123401"]["name"] == "équipeünïcode1"  # Canvas put the group's name there
    assert grades["123411"]["name"] == "team_7"
    assert grades["123404"]["late"] == "yes"


def test_every_member_gets_the_group_score(run, capsys):
    assert _export(run, "--groups", str(run / "groups.csv")) == 0
    said = capsys.readouterr().out
    rows = {r[1]: r for r in _rows(run / "import.csv")[2:]}
    score = {uid: row[5] for uid, row in rows.items()}
    grades = read_grades(run / "out")

    def scaled(learner):
        g = grades[learner]
        return f"{round(float(g['total']) / float(g['max_total']) * 20, 2):g}"

    right, wrong = scaled("123401"), scaled("123404")
    assert float(right) > float(wrong) == 0
    assert score["123401"] == score["123402"] == right
    assert score["123404"] == score["123405"] == wrong  # the late group's, for both members
    # Both In: the later upload (123407's, right) for all three members, not 123406's own
    assert scaled("123406") == wrong and scaled("123407") == right
    assert score["123406"] == score["123407"] == score["123408"] == right
    assert score["123411"] == score["123412"] == wrong
    assert score["123403"] == scaled("123403")  # no group: as without --groups
    assert score["123409"] == score["123410"] == score["999999"] == ""  # left as they were
    assert "10 learner(s) into column 'Churn group project (55503)'" in said
    assert ("group 'Both In': 2 members handed in; used 123407's hand-in, the latest upload"
            in said and "not used: 123406" in said)
    assert "Empty Nest (123409, 123410)" in said
    assert "Student, Test (ID 999999)" in said


def test_without_groups_only_the_hand_in_members_are_filled(run):
    assert _export(run) == 0
    rows = {r[1]: r[5] for r in _rows(run / "import.csv")[2:]}
    assert rows["123401"] != "" and rows["123402"] == ""


def test_feedback_zip_holds_one_file_per_group(run, capsys):
    target = run / "feedback.zip"
    assert _export(run, "--groups", str(run / "groups.csv"), "--feedback-zip", str(target)) == 0
    assert "5 feedback file(s) (one per group" in capsys.readouterr().out
    with zipfile.ZipFile(target) as archive:
        names = sorted(archive.namelist())
        # "team_7" holds an all-digit part, which Re-Upload Submissions could read as the user
        # id: its file goes without the name
        assert names == ["123411_9100011_feedback.html",
                         "bothin_123407_9100009_feedback.html",
                         "ngwen_123403_9100003_feedback.html",
                         "teamlate_LATE_123404_9100004_feedback.html",
                         "équipeünïcode1_123401_9100001_feedback.html"]
        assert b"Feedback for 123407" in archive.read(names[1])


def test_plain_export_has_a_row_per_member(run):
    target = run / "plain.csv"
    assert main(["export", "plain", str(run / "out"), "-o", str(target),
                 "--groups", str(run / "groups.csv")]) == 0
    rows = {r["learner"]: r for r in csv.DictReader(io.StringIO(target.read_text()))}
    assert sorted(rows) == ["123401", "123402", "123403", "123404", "123405", "123406",
                            "123407", "123408", "123411", "123412"]
    assert rows["123402"]["name"] == "Müller, José"
    assert (rows["123402"]["group"], rows["123402"]["graded_from"]) == (
        "Équipe Ünïcode 1", "123401")
    assert rows["123402"]["score"] == rows["123401"]["score"] == "2"
    assert rows["123405"]["late"] == "yes"  # the group's hand-in was late
    assert rows["123406"]["graded_from"] == "123407"
    assert (rows["123403"]["group"], rows["123403"]["graded_from"]) == ("", "123403")


def test_columns_in_any_order_without_sis_ids(run):
    """Someone who may not read SIS ids gets no user_id/group_id columns; columns may come in
    any order and with others beside them; Canvas translates `name`, its first column."""
    other = run / "groups-other.csv"
    other.write_text(
        "group_name,Name,extra,canvas_user_id,login_id,sections\n"
        "Équipe Ünïcode 1,\"López, Ana\",x,123401,alopez,A\n"
        "Équipe Ünïcode 1,\"Müller, José\",x,123402,jmuller,A\n"
        ",\"Ng, Wen\",x,123403,wng,A\n", encoding="utf-8")
    groups = read_groups(other)
    assert {k: (m.name, m.group) for k, m in groups.members.items()} == {
        "123401": ("López, Ana", "Équipe Ünïcode 1"),
        "123402": ("Müller, José", "Équipe Ünïcode 1")}
    assert groups.outside == 1
    translated = run / "grupos.csv"
    translated.write_text("Nombre,canvas_user_id,login_id,secciones,group_name\n"
                          '"López, Ana",123401,alopez,A,Équipe 1\n', encoding="utf-8")
    assert read_groups(translated).members["123401"].name == "López, Ana"
    assert _export(run, "--groups", str(other)) == 0
    rows = {r[1]: r[5] for r in _rows(run / "import.csv")[2:]}
    assert rows["123402"] == rows["123401"] != "" and rows["123405"] == ""


@pytest.mark.parametrize(("content", "message"), [
    (None, "can't read the groups CSV"),
    (b"name,user,group_name\nAna,123401,A\n", "no 'canvas_user_id' column"),
    (b"name,canvas_user_id,sections\nAna,123401,A\n", "can't tell groups apart"),
    (b"canvas_user_id,group_name\n123401,A\n123401,B\n", "123401 is in two groups"),
    (b"canvas_user_id,group_name\n123401,\n", "places nobody in a group"),
    (b"canvas_user_id,group_name\n123401,\xe9quipe\n", "is not UTF-8"),
    (b"", "is empty"),
])
def test_a_groups_file_that_cant_be_used_is_one_line(run, capsys, content, message):
    path = run / "bad-groups.csv"
    path.unlink(missing_ok=True)
    if content is not None:
        path.write_bytes(content)
    target = run / "never.csv"
    assert main(["export", "canvas", str(run / "out"), "--gradebook-csv",
                 str(run / "gradebook.csv"), "-o", str(target), "--groups", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not target.exists()
    with pytest.raises(GroupsError, match=re.escape(message)):
        read_groups(path)


def test_moodle_with_groups_says_it_is_not_for_moodle(run, capsys):
    assert main(["export", "moodle", str(run / "out"), "--gradebook-csv",
                 str(run / "gradebook.csv"), "-o", str(run / "m.csv"), "--groups",
                 str(run / "groups.csv")]) == 2
    assert "--groups reads Canvas's group set export" in capsys.readouterr().err


def test_learners_named_by_login_match_the_login_id_column(tmp_path):
    """Hand-ins in folders named after the Canvas login: --id-column "SIS Login ID" (the
    gradebook's name for it) reads the groups export's login_id."""
    for login, answers in (("alopez", RIGHT["1"]), ("skim", WRONG["1"])):
        (tmp_path / "subs" / login).mkdir(parents=True)
        (tmp_path / "subs" / login / ONE).write_bytes(notebook_bytes("1", answers))
    assert grade(tmp_path / "subs", tmp_path / "out") == 0
    (tmp_path / "groups.csv").write_text(GROUPS, encoding="utf-8")
    target = tmp_path / "plain.csv"
    assert main(["export", "plain", str(tmp_path / "out"), "-o", str(target), "--groups",
                 str(tmp_path / "groups.csv"), "--id-column", "SIS Login ID"]) == 0
    rows = {r["learner"]: (r["score"], r["graded_from"])
            for r in csv.DictReader(io.StringIO(target.read_text()))}
    assert rows == {"alopez": ("2", "alopez"), "jmuller": ("2", "alopez"),
                    "skim": ("0", "skim"), "blee": ("0", "skim")}


def test_without_upload_order_the_best_hand_in_stands_for_the_group(tmp_path):
    """Folders say nothing of which hand-in came last: the highest score is used, and said."""
    from types import SimpleNamespace

    from grader.batch.lms.canvas_groups import share

    path = tmp_path / "g.csv"
    path.write_text("canvas_user_id,group_name\n1,A\n2,A\n3,A\n", encoding="utf-8")
    results = {"1": SimpleNamespace(total=3.0, upload_prefix=""),
               "2": SimpleNamespace(total=5.0, upload_prefix="")}
    shared = share(read_groups(path), results)
    assert shared.source == {"1": "2", "2": "2", "3": "2"}
    [choice] = shared.choices
    assert (choice.used, choice.others) == ("2", ["1"]) and "highest score" in choice.why


def test_a_groups_file_saved_with_semicolons_reads_the_same(run, tmp_path):
    """A spreadsheet in a decimal-comma locale saves CSV with `;`: the same groups."""
    rows = list(csv.reader(io.StringIO(GROUPS)))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    (tmp_path / "groups.csv").write_text("\ufeff" + buffer.getvalue(), encoding="utf-8")
    semicolons = read_groups(tmp_path / "groups.csv")
    commas = read_groups(run / "groups.csv")
    assert semicolons.members == commas.members and semicolons.groups == commas.groups
