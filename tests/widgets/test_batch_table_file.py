"""The batch job's table as a file: written in place on the desktop, and whole (built in memory,
saved at once) where SQLite can't work in place, as in the browser's storage. Either way the
learner gets a valid SQLite file beside the notebook, and Stored answers from it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from widget_text import shown

from churn_course import stored_batch
from churn_course.serving_panel import serving_panel


def _rows(path: Path) -> list[tuple]:
    """The table as any SQLite tool reads the file."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT customer_id, feature, churn FROM predictions "
                            "ORDER BY rowid").fetchall()
    conn.close()
    return rows


@pytest.mark.parametrize("in_place", [True, False], ids=["in-place", "whole-file"])
def test_run_batch_writes_a_real_table_and_stored_answers_from_it(
        solved_namespace: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        in_place: bool) -> None:
    monkeypatch.setattr(stored_batch, "IN_PLACE", in_place)
    table = tmp_path / stored_batch.DEFAULT_FILE
    panel = serving_panel(solved_namespace, store=table)
    assert panel.store.in_place is in_place
    panel.batch_button.click()
    assert shown(panel.batch_message) == ""
    assert _rows(table) == [(101, 0.2, 0), (102, 0.8, 1), (103, 0.5, 0), (104, 0.9, 1)]
    panel.mode.value = "stored"
    panel.customer_id.value, panel.customer_value.value = 102, 0.8
    panel.serve_button.click()
    assert panel.badge.value.startswith("⚠ Churn"), panel.badge.value
    assert "stored" in panel.badge.value and "(customer 102)" in panel.badge.value
    # A second run replaces the first, and a new panel (a re-run cell, a new kernel) reads it.
    solved_namespace["customers"] = [(201, 0.95)]
    panel.batch_button.click()
    assert _rows(table) == [(201, 0.95, 1)]
    again = serving_panel(solved_namespace, store=table)
    assert [a.customer_id for a in again.store.answers()] == [201]
    assert again.store.lookup(102) is None


def test_a_corrupt_table_left_behind_is_replaced_whole(
        solved_namespace: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    """What an earlier version of the site left in a learner's browser storage."""
    monkeypatch.setattr(stored_batch, "IN_PLACE", False)
    table = tmp_path / stored_batch.DEFAULT_FILE
    table.write_bytes(b"SQLite format 3\x00" + b"\x00" * 40)
    panel = serving_panel(solved_namespace, store=table)
    panel.batch_button.click()
    assert shown(panel.batch_message) == ""
    assert len(_rows(table)) == 4
    assert [p.name for p in tmp_path.iterdir()] == [stored_batch.DEFAULT_FILE]
