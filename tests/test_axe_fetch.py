"""The accessibility tests' one dependency outside Python: axe-core, fetched once with npm.
Without npm they are skipped with one sentence that says what to install, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import axe


def test_without_npm_the_reason_is_one_sentence_saying_what_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(axe, "CACHE", tmp_path / "axe" / "axe.min.js")
    monkeypatch.setattr(axe.shutil, "which", lambda name: None)
    with pytest.raises(axe.AxeUnavailable) as caught:
        axe.axe_source()
    reason = str(caught.value)
    assert "npm was not found" in reason and "apt-get install -y npm" in reason
    assert "\n" not in reason
    assert not (tmp_path / "axe").exists()  # nothing half-made


def test_a_fetched_copy_is_used_without_npm(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "axe.min.js"
    cache.write_text("window.axe = {};", encoding="utf-8")
    monkeypatch.setattr(axe, "CACHE", cache)
    monkeypatch.setattr(axe.shutil, "which", lambda name: None)
    assert axe.axe_source() == "window.axe = {};"
