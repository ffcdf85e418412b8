"""Zips as an LMS gives them, and the ways they go wrong."""

from __future__ import annotations

import unicodedata
import warnings
import zipfile
from pathlib import Path

from .conftest import grade, read_grades, read_results
from .helpers import NOTEBOOKS, RIGHT, WRONG, notebook_bytes

ONE = NOTEBOOKS["1"]


def _zip(path: Path, entries: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are the point of one test
        for name, data in entries:
            archive.writestr(name, data)
    return path


def test_a_zip_with_a_wrapper_folder(tmp_path):
    archive = _zip(tmp_path / "download.zip", [
        (f"week1/alice/{ONE}", notebook_bytes("1", RIGHT["1"])),
        (f"week1/bob/{ONE}", notebook_bytes("1", WRONG["1"])),
        ("__MACOSX/week1/._alice", b"junk"),
    ])
    assert grade(archive, tmp_path / "out") == 0
    rows = read_grades(tmp_path / "out")
    assert sorted(rows) == ["alice", "bob"]
    assert rows["alice"]["step_1"] == "2" and rows["bob"]["step_1"] == "0"


def test_a_zip_with_duplicate_learner_ids(tmp_path):
    """The same learner's notebook twice: identical copies are fine, different ones are not
    guessed at; a name in two Unicode spellings is one learner."""
    nfc, nfd = unicodedata.normalize("NFC", "José"), unicodedata.normalize("NFD", "José")
    right, wrong = notebook_bytes("1", RIGHT["1"]), notebook_bytes("1", WRONG["1"])
    archive = _zip(tmp_path / "dupes.zip", [
        (f"twice/{ONE}", right), (f"twice/{ONE}", right),
        (f"clash/{ONE}", right), (f"clash/{ONE}", wrong),
        (f"{nfc}/{ONE}", right), (f"{nfd}/{NOTEBOOKS['2']}", notebook_bytes("2", RIGHT["2"])),
    ])
    assert grade(archive, tmp_path / "out") == 0
    rows = read_grades(tmp_path / "out")
    assert sorted(rows) == sorted(["clash", nfc, "twice"])
    assert rows["twice"]["step_1"] == "2"
    assert rows[nfc]["step_1"] == "2" and rows[nfc]["step_2"] == "1"
    clash = read_results(tmp_path / "out")["learners"]["clash"]["notebooks"][ONE]
    assert clash["status"] == "invalid" and "more than once" in clash["message"]


def test_a_zip_with_unsafe_paths_writes_nothing_outside(tmp_path):
    archive = _zip(tmp_path / "evil.zip", [
        (f"alice/{ONE}", notebook_bytes("1", RIGHT["1"])),
        (f"../escaped/{ONE}", notebook_bytes("1", RIGHT["1"])),
        (f"alice/../../up/{ONE}", notebook_bytes("1", RIGHT["1"])),
        ("/abs/01_customer_data.ipynb", notebook_bytes("1", RIGHT["1"])),
    ])
    out = tmp_path / "out"
    assert grade(archive, out) == 0
    assert sorted(read_grades(out)) == ["alice"]
    ignored = read_results(out)["ignored"]
    assert len(ignored) == 3 and all("unsafe path" in item for item in ignored)
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "up").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.zip", "out"]


def test_an_empty_submissions_folder_is_the_instructors_error(tmp_path, capsys):
    (tmp_path / "subs").mkdir()
    assert grade(tmp_path / "subs", tmp_path / "out" / "week3") == 2
    assert "no learner folders" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["subs"], "no empty OUT left behind"
    (tmp_path / "kept").mkdir()  # an OUT that was there before is left where it was
    assert grade(tmp_path / "subs", tmp_path / "kept") == 2
    assert (tmp_path / "kept").is_dir()
