"""Downloads shaped as each LMS gives them (built here, awkward names and all), each mapped
to the right learners: Canvas's flat zip with late marks and re-uploads, Moodle's folder per
learner, GitHub Classroom's repositories, and today's folder per learner."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from grader.batch.collect import CollectError, collect
from grader.spec import ALL_STEPS

from .conftest import grade, read_grades, read_results
from .helpers import NOTEBOOKS, QUIZ_KEY, RIGHT, WRONG, notebook_bytes

ONE, TWO, QUIZ = NOTEBOOKS["1"], NOTEBOOKS["2"], NOTEBOOKS["quiz"]


def _zip(path: Path, entries: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path


def _canvas_download(tmp_path: Path) -> Path:
    answers = json.dumps({"format": "churn-course-quiz-answers", "version": 1, "answers": [
        {"question": q, "letter": c, "answered_at": "2026-11-26T10:00:00+00:00"}
        for q, c in QUIZ_KEY.items()]}).encode()
    return _zip(tmp_path / "submissions.zip", [
        (f"lopezana_123401_9000001_{ONE}", notebook_bytes("1", RIGHT["1"])),
        (f"lopezana_123401_9000001_{TWO}", notebook_bytes("2", RIGHT["2"])),
        # late, uploaded twice: Canvas renamed the second upload (a later, higher file id);
        # only that one counts
        (f"müllerjosé_LATE_123402_9000002_{ONE}", notebook_bytes("1", WRONG["1"])),
        ("müllerjosé_LATE_123402_9000012_01_customer_data-1.ipynb",
         notebook_bytes("1", RIGHT["1"])),
        (f"ngwen_LATE_123403_9000003_{QUIZ}", notebook_bytes("quiz", [""])),
        ("ngwen_LATE_123403_9000004_quiz_answers.json", answers),
        ("my notebook final.ipynb", notebook_bytes("1", RIGHT["1"])),  # whose? can't tell
    ])


def test_a_canvas_download_is_graded_per_canvas_user_id_with_late_marks(tmp_path):
    out = tmp_path / "out"
    assert grade(_canvas_download(tmp_path), out) == 0
    rows, results = read_grades(out), read_results(out)
    assert results["layout"].startswith("Canvas")
    assert sorted(rows) == ["123401", "123402", "123403"]
    assert {k: r["late"] for k, r in rows.items()} == {
        "123401": "no", "123402": "yes", "123403": "yes"}
    assert rows["123401"]["name"] == "lopezana" and rows["123402"]["name"] == "müllerjosé"
    assert rows["123401"]["step_1"] == "2" and rows["123401"]["step_2"] == "1"
    # the re-upload (right) was graded, not the first upload (wrong), and both are said
    assert rows["123402"]["step_1"] == "2"
    josé = results["learners"]["123402"]
    assert josé["late"] is True
    assert any("earlier upload" in item for item in josé["ignored_files"])
    assert any("re-upload" in note for note in josé["notebooks"][ONE]["notes"])
    # the quiz answers saved beside the quiz notebook travelled with it
    assert float(rows["123403"]["quiz"]) > 0
    # the file whose learner can't be told is listed, not dropped
    assert [u.split(":")[0] for u in results["unplaced"]] == ["my notebook final.ipynb"]


def test_a_moodle_download_maps_folders_to_participant_ids(tmp_path):
    root = tmp_path / "moodle"
    for folder, step, answers in [
        ("Ana López_5501_assignsubmission_file_", "1", RIGHT["1"]),
        ("Ben O Brien_5502_assignsubmission_file_", "2", WRONG["2"]),
        ("Zoë van der Berg_5503_assignsubmission_file_", "1", WRONG["1"]),
    ]:
        (root / folder).mkdir(parents=True)
        (root / folder / NOTEBOOKS[step]).write_bytes(notebook_bytes(step, answers))
    (root / "Ana López_5501_onlinetext_").mkdir()
    (root / "Ana López_5501_onlinetext_" / ONE).write_bytes(notebook_bytes("1"))
    collection = collect(root, ALL_STEPS)
    assert collection.layout.startswith("Moodle")
    assert sorted(collection.learners) == ["5501", "5502", "5503"]
    assert collection.learners["5501"].name == "Ana López"
    assert collection.learners["5503"].upload_prefix == (
        "Zoë van der Berg_5503_assignsubmission_file_")
    assert collection.learners["5501"].late is None  # Moodle's names say nothing of it
    assert [u.split(":")[0] for u in collection.unplaced] == [
        f"Ana López_5501_onlinetext_/{ONE}"]


def test_a_moodle_download_without_folders(tmp_path):
    archive = _zip(tmp_path / "moodle.zip", [
        (f"Ana López_5501_assignsubmission_file_{ONE}", notebook_bytes("1", RIGHT["1"])),
        (f"Ben O Brien_5502_assignsubmission_file_{TWO}", notebook_bytes("2", RIGHT["2"])),
    ])
    collection = collect(archive, ALL_STEPS)
    assert collection.layout.startswith("Moodle")
    assert {k: sorted(v.handins) for k, v in collection.learners.items()} == {
        "5501": [ONE], "5502": [TWO]}


def test_github_classroom_repositories_and_forcing_the_folder_layout(tmp_path):
    root = tmp_path / "churn-week1-submissions"
    for repo in ("churn-week1-ana-lopez", "churn-week1-bén", "churn-week1-kim99"):
        (root / repo / ".git").mkdir(parents=True)
        (root / repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
        (root / repo / "README.md").write_text("# week 1\n")
        (root / repo / ONE).write_bytes(notebook_bytes("1", RIGHT["1"]))
    collection = collect(root, ALL_STEPS)
    assert collection.layout.startswith("GitHub Classroom")
    assert "churn-week1-" in collection.layout
    assert sorted(collection.learners) == ["ana-lopez", "bén", "kim99"]
    assert not any(".git" in item for item in collection.learners["kim99"].ignored)
    forced = collect(root, ALL_STEPS, layout="folders")
    assert sorted(forced.learners) == [
        "churn-week1-ana-lopez", "churn-week1-bén", "churn-week1-kim99"]


def test_todays_folder_layout_is_still_recognised(tmp_path):
    for learner in ("alice", "bob"):
        (tmp_path / "subs" / learner).mkdir(parents=True)
        (tmp_path / "subs" / learner / ONE).write_bytes(notebook_bytes("1", RIGHT["1"]))
    collection = collect(tmp_path / "subs", ALL_STEPS)
    assert collection.layout.startswith("one folder per learner")
    assert sorted(collection.learners) == ["alice", "bob"]
    assert collection.learners["alice"].late is None


def test_an_ambiguous_download_asks_for_layout(tmp_path, capsys):
    archive = _zip(tmp_path / "mixed.zip", [
        (f"lopezana_123401_9000001_{ONE}", notebook_bytes("1", RIGHT["1"])),
        (f"Ben O Brien_5502_assignsubmission_file_/{ONE}", notebook_bytes("1", RIGHT["1"])),
        (f"Zoë_5503_assignsubmission_file_/{ONE}", notebook_bytes("1", RIGHT["1"])),
        (f"kim_123404_9000004_{ONE}", notebook_bytes("1", RIGHT["1"])),
    ])
    with pytest.raises(CollectError, match="--layout canvas or --layout moodle"):
        collect(archive, ALL_STEPS)
    assert grade(archive, tmp_path / "out") == 2
    assert "--layout" in capsys.readouterr().err
    forced = collect(archive, ALL_STEPS, layout="canvas")
    assert sorted(forced.learners) == ["123401", "123404"]
    assert len(forced.unplaced) == 2  # the Moodle-shaped files are listed, not dropped
