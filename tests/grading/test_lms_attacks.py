"""A hostile learner among honest ones, by way of the download's names: whatever they name
their files or folders, the honest learners' grades equal a run without them.

- A Canvas upload named after a classmate (`x_<their id>_<file id>_01_customer_data-99.ipynb`,
  `x_LATE_...`): Canvas writes the learner's own prefix before it (lib/content_zipper.rb,
  `#get_filename`), and only that prefix says whose a file is.
- A GitHub Classroom repository of more files than any hand-in: that learner's `invalid`, read
  no further, not the end of the class's run.
- Learner ids that differ only in case, or that mimic another's hashed file name
  (` ana-24d4b96f` beside `Ana` and `ana`): every learner keeps a feedback file of their own.
"""

from __future__ import annotations

import hashlib
import os
import zipfile

from grader.batch import collect as collecting
from grader.batch.reports import feedback_names
from grader.spec import ALL_STEPS

from .conftest import grade, read_grades, read_results
from .helpers import NOTEBOOKS, RIGHT, WRONG, hand_in, notebook_bytes
from .test_github_shapes import _clone
from .test_lms_layouts import _zip

ONE, TWO = NOTEBOOKS["1"], NOTEBOOKS["2"]


def _without(rows: dict, learner: str) -> dict:
    return {k: v for k, v in rows.items() if k != learner}


# --- a Canvas upload named after a classmate ----------------------------------------------

HONEST = [
    (f"lopezana_123401_9000001_{ONE}", "1", RIGHT["1"]),
    (f"lopezana_123401_9000002_{TWO}", "2", RIGHT["2"]),
    (f"obrienben_123402_9000003_{ONE}", "1", RIGHT["1"]),
]
# What Canvas makes of eve's uploads: her own prefix, then the name she chose
HOSTILE = [
    (f"eve_123405_9000090_{ONE}", "1", RIGHT["1"]),
    # "replace" Ana's notebook with a wrong one, as her re-upload number 99
    ("eve_123405_9000099_x_123401_9000001_01_customer_data-99.ipynb", "1", WRONG["1"]),
    # mark Ben late
    ("eve_123405_9000100_x_LATE_123402_9000003_01_customer_data.ipynb", "1", WRONG["1"]),
    # a name starting with Ana's user id, so that Canvas's part reads two ways
    ("eve_123405_9000101_123401_02_threshold.ipynb", "2", WRONG["2"]),
    # mallory hands in nothing but a file named after Ana's: still hers alone (no split inside
    # her file's name leaves a name Canvas could have written)
    ("mallory_123406_9000102_x_123401_9000001_01_customer_data-99.ipynb", "1", WRONG["1"]),
]


def test_a_canvas_upload_named_after_a_classmate_reaches_no_one_else(tmp_path):
    def download(name, files):
        return _zip(tmp_path / name, [(n, notebook_bytes(step, answers))
                                      for n, step, answers in files])

    assert grade(download("honest.zip", HONEST), tmp_path / "honest") == 0
    assert grade(download("class.zip", HONEST + HOSTILE), tmp_path / "class") == 0
    honest, rows = read_grades(tmp_path / "honest"), read_grades(tmp_path / "class")
    assert _without(_without(rows, "123405"), "123406") == honest
    assert rows["123406"]["step_1"] == "0" and rows["123406"]["name"] == "mallory"
    assert rows["123401"]["step_1"] == "2" and rows["123402"]["late"] == "no"
    eve = read_results(tmp_path / "class")["learners"]["123405"]
    assert rows["123405"]["step_1"] == "2"  # her own upload, from her own prefix
    assert sum("x_123401_9000001" in item or "123401_02_threshold" in item
               or "x_LATE_123402" in item for item in eve["ignored_files"]) == 3
    ana = read_results(tmp_path / "class")["learners"]["123401"]
    assert not any("earlier upload" in item for item in ana["ignored_files"])


def test_a_lone_upload_whose_canvas_part_reads_two_ways_is_listed_not_placed(tmp_path):
    """With no other file, `eve_123405_9000101_123401_01_customer_data.ipynb` reads as user
    123405 (eve) or as user 9000101 named `eve_123405`: never guessed."""
    archive = _zip(tmp_path / "s.zip", [(n, notebook_bytes(step, a)) for n, step, a in HONEST]
                   + [("eve_123405_9000101_123401_01_customer_data.ipynb",
                       notebook_bytes("1", WRONG["1"]))])
    collection = collecting.collect(archive, ALL_STEPS)
    assert sorted(collection.learners) == ["123401", "123402"]
    assert [u.split(":")[0] for u in collection.unplaced] == [
        "eve_123405_9000101_123401_01_customer_data.ipynb"]


# --- one oversized repository -------------------------------------------------------------


def test_an_oversized_repository_is_that_learner_s_invalid(tmp_path, monkeypatch):
    """A repository of more files and folders than any hand-in holds (200,001 in the attack;
    here the cap is lowered to keep the test small): that learner's `invalid`, walked only up
    to the cap, and the class graded as without them."""
    monkeypatch.setattr(collecting, "MAX_LEARNER_ENTRIES", 40)
    honest = {"ana-lopez": {ONE: notebook_bytes("1", RIGHT["1"])},
              "bo": {ONE: notebook_bytes("1", WRONG["1"]), TWO: notebook_bytes("2", RIGHT["2"])}}
    flood = {f"data/part{d:02d}/f{i:03d}.csv": b"1" for d in range(20) for i in range(30)}
    hostile = {"eve": {ONE: notebook_bytes("1", RIGHT["1"]), **flood}}
    assert grade(_clone(tmp_path / "a", "week1", honest), tmp_path / "honest") == 0
    listed = []
    scandir = os.scandir

    def counting(path):
        listed.append(str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", counting)
    assert grade(_clone(tmp_path / "b", "week1", honest | hostile), tmp_path / "class") == 0
    monkeypatch.setattr(os, "scandir", scandir)
    assert sum("week1-eve/data/part" in p for p in listed) <= 3  # not all 20 of its folders
    rows = read_grades(tmp_path / "class")
    assert _without(rows, "eve") == read_grades(tmp_path / "honest")
    eve = read_results(tmp_path / "class")["learners"]["eve"]["notebooks"]
    assert {nb["status"] for nb in eve.values()} == {"invalid"}
    assert "more than 40 files and folders" in eve[ONE]["message"]


def test_a_zip_holding_a_repository_of_more_than_20000_files(tmp_path):
    archive = tmp_path / "week1-submissions.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr(f"week1-ana/{ONE}", notebook_bytes("1", RIGHT["1"]))
        out.writestr(f"week1-eve/{ONE}", notebook_bytes("1", RIGHT["1"]))
        for i in range(collecting.MAX_LEARNER_ENTRIES + 1):
            out.writestr(f"week1-eve/data/f{i}.txt", b"")
    collection = collecting.collect(archive, ALL_STEPS)
    assert collection.layout.startswith("GitHub Classroom")
    assert collection.learners["ana"].handins[ONE].usable
    eve = collection.learners["eve"]
    assert eve.handins and all("more than 20,000" in h.problem for h in eve.handins.values())


# --- feedback file names ------------------------------------------------------------------


def test_ids_that_differ_in_case_or_mimic_a_hashed_name_keep_their_own_feedback(tmp_path):
    mimic = " ana-" + hashlib.sha256(b"ana").hexdigest()[:8]  # `ana`'s name under the old rule
    for root, learners in (("honest", ["Ana", "ana", "bob"]),
                           ("class", ["Ana", "ana", "bob", mimic])):
        for index, learner in enumerate(learners):
            hand_in(tmp_path / root, learner, {"1": RIGHT["1"] if index % 2 else WRONG["1"]})
    hand_in(tmp_path / "class", mimic, {"1": ["raise SystemExit"]})
    assert grade(tmp_path / "honest", tmp_path / "out-honest") == 0
    assert grade(tmp_path / "class", tmp_path / "out") == 0
    rows = read_grades(tmp_path / "out")
    assert _without(rows, mimic) == read_grades(tmp_path / "out-honest")
    files = sorted((tmp_path / "out" / "feedback").glob("*.md"))
    assert len(files) == 4
    owners = sorted(f.read_text(encoding="utf-8").splitlines()[0] for f in files)
    assert owners == sorted(f"# Feedback for {learner}" for learner in rows)


def test_feedback_names_never_give_two_learners_one_file():
    learners = [" ana-24d4b96f", "Ana", "ana", "ANA", "ana~24d4b96f58da6d4a", "a/b", "a_b",
                "a:b", "李雷", "x" * 400, "x" * 401, ".", "..", "learner", ""]
    names = feedback_names(learners)
    assert len({n.casefold() for n in names.values()}) == len(learners)
    assert all("/" not in n and n not in (".", "..", "") for n in names.values())
    assert names["李雷"] == "李雷"  # a safe id, alone in its case, is its own name
    reordered = feedback_names(list(reversed(learners)))
    assert reordered == names  # the same files whatever order the class is listed in
