"""Checks inside a real Jupyter kernel, on learner notebooks with wrong answers typed in."""

from pathlib import Path

import nbformat
from kernels import PrivateKernelManager
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
                   kernel_manager_class=PrivateKernelManager,
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


def test_the_mode_exercise_is_judged_through_the_kernel(tmp_path) -> None:
    """The learner's template, filled in with one wrong pick and one typo, as typed in the
    notebook: the kernel's `check("mode")` speaks to each."""
    nb = nbformat.read(ROOT / "notebooks" / "04b_choose_the_mode.ipynb", as_version=4)
    template = next(c for c in nb.cells if "answer" in c.metadata.get("tags", [])).source
    filled = template
    for key, words in (
            ("daily_email", ('"ahead"', "True", '"a day"', '"nobody"', '"real time"')),
            ("support_call", ('"at request"', "True", '"none"', '"seconds"', '"Real-Time"')),
            ("card_fraud", ('"at request"', "False", '"none"', '"under a second"',
                            '"realtime"')),
            ("news_feed", ('"both"', "True", '"minutes"', '"under a second"', '"hybird"')),
            ("first_session", ('"at request"', '"no"', '"none"', '"under a second"',
                               '"real time"')),
    ):
        start = filled.index(f'"{key}"')
        end = filled.index("},", start)
        entry = filled[start:end]
        for word in words:
            entry = entry.replace("...", word, 1)
        filled = filled[:start] + entry + filled[end:]
    nb = _fill_and_run("04b_choose_the_mode.ipynb", [filled], tmp_path)
    verdict = _text(next(c for c in nb.cells if "check" in c.metadata.get("tags", [])))
    assert "Choose the mode: 4 of 7 checks passed." in verdict
    assert "they argue for batch, not real time" in verdict  # the daily email
    assert 'did you mean "hybrid"?' in verdict  # the news feed
    assert "1 more part not started yet: Scenario 6: a monthly report" in verdict
