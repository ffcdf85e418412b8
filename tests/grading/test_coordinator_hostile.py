"""The coordinator, its grading lanes and its incremental reports, attacked: by a learner (who
controls only what they hand in and the code that runs in the sandbox) and by an unlucky
instructor (edits between runs, a forged or damaged OUT folder)."""

from __future__ import annotations

import json
import zipfile

import nbformat
import pytest

import grader.batch.notebook as notebook
import grader.batch.reports as reports
from grader.batch.gradebook import Gradebook

from .conftest import grade, read_grades, read_results
from .helpers import hand_in, learner_notebook, notebook_bytes


def test_a_lone_surrogate_printed_or_raised_by_learner_code_breaks_no_report(tmp_path):
    """Learner code can print or raise text no file can hold ('\\ud800'); before, writing
    the class's reports stopped on it with a traceback."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    code = "threshold = 0.6\nprint('x\\ud800')\nraise ValueError('b\\udcff')"
    hand_in(subs, "ana", {"2": [code]})
    hand_in(subs, "bob", {"2": ["threshold = 0.6"]})
    assert grade(subs, out) == 0
    assert read_grades(out)["bob"]["step_2"] == "1"
    ana = read_results(out)["learners"]["ana"]["notebooks"]["02_prediction_threshold.ipynb"]
    assert ana["cell_errors"][0]["error"] == "ValueError: b?"
    assert "ValueError: b?" in (out / "feedback" / "ana.md").read_text(encoding="utf-8")


def test_a_reports_state_of_the_wrong_shape_is_ignored_not_a_crash(tmp_path):
    """`.reports-state.json` is only a cache: valid JSON of another shape (forged, or left by
    another version) means 'write everything again'."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    hand_in(subs, "bob", {"2": ["threshold = 0.6"]})
    assert grade(subs, out) == 0
    for forged in ({"learners": {"bob": "x"}, "results": []},
                   {"learners": {"bob": [1]}, "results": [1]}, [], {"results": {}}):
        (out / ".reports-state.json").write_text(json.dumps(forged))
        (out / "feedback" / "bob.md").unlink()
        assert grade(subs, out) == 0
        assert "Feedback for bob" in (out / "feedback" / "bob.md").read_text(encoding="utf-8")
        assert read_results(out)["learners"]["bob"]["total"] == 1


def test_a_file_changed_while_graded_is_not_remembered_as_that_contents_verdict(tmp_path,
                                                                               monkeypatch):
    """Ana and Bob hand in the same bytes; Ana's file is replaced after it was hashed, before
    a lane read it. Both are told to grade again; the next run must then grade Bob's
    unchanged notebook, not reuse 'it changed while the class was being graded' for its bytes
    (before, that verdict was stored as theirs, and came back on every run)."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    hand_in(subs, "ana", {"2": ["threshold = 0.6"]})
    hand_in(subs, "bob", {"2": ["threshold = 0.6"]})
    path = subs / "ana" / "02_prediction_threshold.ipynb"
    record = Gradebook.record_submissions

    def then_ana_changes_hers(self, *args):
        record(self, *args)
        path.write_bytes(path.read_bytes().replace(b"threshold = 0.6", b"threshold = 0.7"))

    monkeypatch.setattr(Gradebook, "record_submissions", then_ana_changes_hers)
    assert grade(subs, out) == 0
    told = read_results(out)["learners"]["bob"]["notebooks"]["02_prediction_threshold.ipynb"]
    assert told["status"] == "invalid" and "grade again" in told["message"]
    monkeypatch.setattr(Gradebook, "record_submissions", record)
    assert grade(subs, out) == 0
    rows = read_grades(out)
    assert (rows["ana"]["step_2"], rows["bob"]["step_2"]) == ("0", "1")
    assert rows["bob"]["status"].startswith("missing")  # not 'invalid'


def test_an_old_format_notebook_is_bounded_before_nbformat_converts_it(monkeypatch):
    """nbformat validates every cell and output while converting a format-3 notebook: 20 MB of
    tiny outputs cost a grading lane about 15 s and 550 MB (measured), per hand-in. Outputs are
    never graded, so they are dropped first (with the prose and every metadata: only the code
    cells are converted), and too many cells are refused before."""
    nb3 = nbformat.convert(learner_notebook("2", ["threshold = 0.6"]), 3)
    cells = nb3.worksheets[0].cells
    too_many = nbformat.writes(nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet(
        cells=cells * (1 + notebook.MAX_CELLS // len(cells)))]), version=3).encode()
    next(c for c in cells if c.cell_type == "code").outputs = [
        nbformat.v3.new_output("stream", "x")] * 5000
    data = nbformat.writes(nb3, version=3).encode()
    given = []
    convert = nbformat.convert
    monkeypatch.setattr(nbformat, "convert",
                        lambda nb, version: given.append([len(c.get("outputs", ())) for sheet
                                                          in nb.worksheets for c in sheet.cells])
                        or convert(nb, version))
    plan = notebook.plan_notebook(data, "2")
    assert "threshold = 0.6" in [c.source for c in plan.sources]
    assert "converted from notebook format 3" in plan.notes
    code = sum(c.cell_type == "code" for c in cells)
    assert given == [[0] * code]  # only the code cells go to nbformat, without their outputs
    with pytest.raises(notebook.InvalidNotebook, match="more than 2000 cells"):
        notebook.plan_notebook(too_many, "2")
    assert len(given) == 1


def test_a_zip_with_a_name_falsely_marked_utf8_is_a_one_line_error(tmp_path, capsys):
    """A member name flagged UTF-8 whose bytes aren't: Python's zipfile refuses the whole
    archive; before, with a traceback."""
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for learner in ("ana", "bo\u00e9"):
            handle.writestr(f"{learner}/02_prediction_threshold.ipynb",
                            notebook_bytes("2", ["threshold = 0.6"]))
    archive.write_bytes(archive.read_bytes().replace("bo\u00e9".encode(), b"bo\xc3("))
    assert grade(archive, tmp_path / "out") == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "marked as UTF-8 but is not" in error
    assert "bo\\xc3(" in error


def test_ctrl_c_while_the_reports_are_written_is_told_and_the_next_run_writes_them(
        tmp_path, monkeypatch, capsys):
    subs, out = tmp_path / "subs", tmp_path / "out"
    for learner, answer in (("ana", "threshold = 0.6"), ("bob", "threshold = 0.7"),
                            ("cy", "threshold = 0.6")):
        hand_in(subs, learner, {"2": [answer]})
    assert grade(subs, out) == 0
    (subs / "bob" / "02_prediction_threshold.ipynb").write_bytes(
        notebook_bytes("2", ["threshold = 0.6"]))
    (subs / "cy" / "02_prediction_threshold.ipynb").unlink()
    rendered = reports.feedback_markdown

    def interrupted_at_cy(learner, *args):
        if learner.learner == "cy":
            raise KeyboardInterrupt
        return rendered(learner, *args)

    monkeypatch.setattr(reports, "feedback_markdown", interrupted_at_cy)
    capsys.readouterr()
    assert grade(subs, out) == 130
    error = capsys.readouterr().err.strip()
    assert "Traceback" not in error and "interrupted while writing the reports" in error
    monkeypatch.setattr(reports, "feedback_markdown", rendered)
    assert grade(subs, out) == 0
    assert [(r["step_2"], r["status"].startswith("missing")) for r in read_grades(out).values()] \
        == [("1", True), ("1", True), ("0", True)]
    assert read_results(out)["learners"]["cy"]["notebooks"][
        "02_prediction_threshold.ipynb"]["status"] == "missing"
    assert "not handed in" in (out / "feedback" / "cy.md").read_text(encoding="utf-8")
