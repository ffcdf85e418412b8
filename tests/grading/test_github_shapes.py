"""GitHub Classroom repositories as `gh classroom clone student-repos` clones them
(github/gh-classroom, cmd/gh-classroom/clone/student-repos/student-repos.go: into
`<assignment slug>-submissions/`, each repository under its name, `<slug>-<username>`), mapped
to exact usernames, for a class of one repository as for many."""

from __future__ import annotations

import zipfile

import pytest

from grader.batch.collect import CollectError, collect
from grader.spec import ALL_STEPS

from .conftest import grade, read_grades
from .helpers import NOTEBOOKS, RIGHT, WRONG, notebook_bytes

ONE = NOTEBOOKS["1"]


def _clone(root, slug, repos):
    """The folder gh classroom makes: `<slug>-submissions/<slug>-<user>/...` with a `.git`."""
    top = root / f"{slug}-submissions"
    for user, files in repos.items():
        repo = top / f"{slug}-{user}"
        (repo / ".git" / "objects").mkdir(parents=True)
        (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
        for relative, data in files.items():
            (repo / relative).parent.mkdir(parents=True, exist_ok=True)
            (repo / relative).write_bytes(data)
    return top


def test_usernames_with_hyphens_are_read_whole(tmp_path):
    top = _clone(tmp_path, "week1", {"ana-lopez": {ONE: notebook_bytes("1", RIGHT["1"])},
                                     "ana-smith": {ONE: notebook_bytes("1", WRONG["1"])}})
    assert grade(top, tmp_path / "out") == 0
    rows = read_grades(tmp_path / "out")
    assert sorted(rows) == ["ana-lopez", "ana-smith"]  # not "lopez" and "smith"
    assert rows["ana-lopez"]["step_1"] == "2" and rows["ana-smith"]["step_1"] == "0"


def test_a_class_of_one_repository(tmp_path):
    top = _clone(tmp_path, "week1", {"kim": {f"notebooks/{ONE}": notebook_bytes("1")}})
    collection = collect(top, ALL_STEPS)
    assert collection.layout.startswith("GitHub Classroom")
    assert list(collection.learners) == ["kim"]
    assert collection.learners["kim"].handins[ONE].found_as == f"notebooks/{ONE}"


def test_a_zip_of_the_submissions_folder(tmp_path):
    top = _clone(tmp_path, "churn-w2", {"bo": {ONE: notebook_bytes("1")},
                                        "kim-lee": {ONE: notebook_bytes("1")}})
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(top.rglob("*")):
            if path.is_file():
                out.write(path, path.relative_to(tmp_path).as_posix())
    collection = collect(archive, ALL_STEPS)
    assert collection.layout.startswith("GitHub Classroom")
    assert sorted(collection.learners) == ["bo", "kim-lee"]


def test_without_the_submissions_folder_usernames_are_not_guessed(tmp_path):
    """`week1-ana-lopez` and `week1-ana-smith` could be users lopez and smith of week1-ana:
    without gh classroom's folder the slug is not known, so the folders keep their names."""
    for repo in ("week1-ana-lopez", "week1-ana-smith"):
        (tmp_path / "class" / repo).mkdir(parents=True)
        (tmp_path / "class" / repo / ONE).write_bytes(notebook_bytes("1"))
    collection = collect(tmp_path / "class", ALL_STEPS)
    assert collection.layout.startswith("one folder per learner")
    assert sorted(collection.learners) == ["week1-ana-lopez", "week1-ana-smith"]
    with pytest.raises(CollectError, match="<assignment>-submissions"):
        collect(tmp_path / "class", ALL_STEPS, layout="github")
