"""The serving panel redraws when any cell runs, in a real kernel driven as JupyterLab drives
one; what it says was read back without running a cell (a silent request runs no cell events)."""

from __future__ import annotations

import json

import pytest

from .lab_kernel import LabKernel

pytestmark = pytest.mark.slow

GIVEN = ("from grader import check\ncustomers = [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)]\n"
         "threshold = 0.6\ndef predict(feature):\n    return feature > threshold")
SHOWN = ("import json, re\nprint(json.dumps({k: re.sub(r'<[^>]+>', '', getattr(panel, k).value)"
         " for k in ('threshold_mark', 'stored_summary', 'stored_table')}))")


@pytest.fixture
def kernel(tmp_path):
    lab = LabKernel(tmp_path)
    lab.run("step4-given-02", GIVEN)
    lab.run("step4-given-08", "from churn_course.serving_panel import serving_panel\n"
            f"panel = serving_panel(store={str(tmp_path / 'stored.sqlite')!r})\n"
            "panel.batch_button.click()")
    yield lab
    lab.close()


def _panel(lab: LabKernel) -> dict[str, str]:
    out = lab.run("", SHOWN, silent=True)
    assert not out["error"], out
    return json.loads(out["text"])


def test_a_threshold_typed_in_a_new_cell_shows_at_once(kernel) -> None:
    assert "Every stored answer matches live predict now" in _panel(kernel)["stored_summary"]
    kernel.run("learner-cell", "threshold = 0.85")
    shown = _panel(kernel)
    assert "threshold 0.85" in shown["threshold_mark"]
    assert "1 of 4 stored answers are stale" in shown["stored_summary"]
    assert "threshold now 0.85" in shown["stored_summary"]


def test_a_predict_that_gives_no_answer_is_said_so_never_matches(kernel) -> None:
    kernel.run("learner-cell", "def predict(feature):\n    return feature > treshold")
    shown = _panel(kernel)
    assert "match" not in shown["stored_summary"]
    assert "Live predict gives no answer now" in shown["stored_summary"]
    assert "raised NameError" in shown["stored_summary"]
    kernel.run("learner-cell", "def predict(feature):\n    return feature > threshold")
    assert "Every stored answer matches live predict now" in _panel(kernel)["stored_summary"]
