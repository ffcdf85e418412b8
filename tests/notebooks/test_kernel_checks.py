"""Checks inside a real Jupyter kernel, on learner notebooks with wrong answers typed in."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


def _fill_and_run(notebook: str, answers: list[str], tmp_path: Path,
                  extra: str = "") -> nbformat.NotebookNode:
    nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
    cells = [c for c in nb.cells if "answer" in c.metadata.get("tags", [])]
    for cell, code in zip(cells, answers, strict=True):
        cell.source = code
    if extra:
        nb.cells.append(nbformat.v4.new_code_cell(extra))
    NotebookClient(nb, timeout=60, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb


def _text(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "")
                   for o in cell.outputs)


def test_a_predict_that_loops_forever_is_stopped_and_threshold_restored(tmp_path) -> None:
    nb = _fill_and_run("03_predict_and_batch.ipynb",
                       ["def predict(feature):\n    while True:\n        pass",
                        "batch_results = []"], tmp_path, extra="print(threshold)")
    verdict = _text(next(c for c in nb.cells if "check" in c.metadata.get("tags", [])))
    assert "did not finish within a second" in verdict
    assert _text(nb.cells[-1]).strip() == "0.6"


def test_step4_mistake_is_caught_through_the_kernel(tmp_path) -> None:
    nb = _fill_and_run("04_batch_and_realtime.ipynb",
                       ["print(batch_results)\nprint(predict(105))"], tmp_path)
    verdict = _text(next(c for c in nb.cells if "check" in c.metadata.get("tags", [])))
    assert "You called `predict(105)`" in verdict
    assert "✔ 1 check passed" in verdict  # printing the batch
