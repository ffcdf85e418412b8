"""The quiz widget in a real kernel, driven as JupyterLab drives it: re-running the quiz cell
and restarting the kernel both bring back the answers given, with one score everywhere."""

from __future__ import annotations

import pytest

from .lab_kernel import LabKernel


SHOW = "from churn_course.quiz import answer, quiz\nq = quiz()\nq"
PICK = ("for number, letter in [(1, 'C'), (2, 'B'), (3, 'A'), (3, 'C')]:\n"
        "    view = q.view(number)\n    view.options.value = letter\n"
        "    view.check_button.click()")
READ = ("from grader import check\n"
        "print([q.view(n).options.value for n in (1, 2, 3, 4)])\n"
        "print([q.view(n).feedback.value.split('</b>')[0].split('<b>')[1] for n in (1, 2, 3)])\n"
        "print(q.score.value)\nprint(check('quiz').points)")


def test_rebuilt_after_a_re_run_and_after_a_kernel_restart(tmp_path) -> None:
    lab = LabKernel(tmp_path)
    try:
        lab.run("stepquiz-given-04", SHOW)
        lab.run("scratch", PICK)
        before = lab.run("scratch-read", READ)["text"]
        assert before.splitlines() == [
            "['C', 'B', 'C', None]", "['✓ Right!', '✗ Not yet.', '✗ Not quite.']",
            "Score: 1 / 10 answered right", "1"]
        assert lab.run("stepquiz-given-04", SHOW)["error"] == ""  # the cell re-run
        assert lab.run("scratch-read", READ)["text"] == before
        lab.manager.restart_kernel(now=True)
        lab.client.wait_for_ready(timeout=60)
        lab.run("stepquiz-given-04", SHOW)
        assert lab.run("scratch-read", READ)["text"] == before
        out = lab.run("answer-cell", "answer(2, 'A')\nprint(q.score.value)")["text"]
        assert out.splitlines()[-2:] == ["Score: 2 / 10 answered right"] * 2
    finally:
        lab.close()
