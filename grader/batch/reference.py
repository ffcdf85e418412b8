"""The same plan, run the slow, familiar way: one real Jupyter kernel per notebook (nbclient).

This is how nbgrader and otter execute submissions. It is not used for grading; it exists so
the parity test can show that the fast worker and a real kernel give identical verdicts (the
same questions, answered by the same probe, judged by the same harness), and so the benchmark
has a kernel-per-notebook baseline measured on the same machine.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .notebook import Plan

MARKER = "<<<course-grader-answers>>>"
ROOT = Path(__file__).resolve().parents[2]

# The kernel answers the plan's questions, and tells what each cell the checks read printed as
# it ran (the inline recorder heard it: nbclient sends no cell ids, so runs are told by source).
_PROBE_CELL = """\
import json as _course_json
from grader.inline import recorded_runs as _course_runs
from grader.probe import answer_all as _course_answer_all
from grader.questions import question_from_data as _course_question
_course_heard = {{r.source: r.printed for r in _course_runs()}}
print({marker!r} + _course_json.dumps({{
    "answers": _course_answer_all(tuple(_course_question(q) for q in _course_json.loads(
        {questions!r})), get_ipython().user_ns),
    "printed": [_course_heard.get(s) for s in {told!r}]}}))
"""


def run_in_kernel(plan: Plan, timeout: float = 30.0, kernel_name: str = "python3") -> dict:
    """Execute the plan's cells in a fresh kernel, then answer the plan's questions there;
    return a reply shaped like a worker's (`protocol.Reply`) for `harness.judge`."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from ..questions import question_data
    from .protocol import CellRun, Reply

    told = [c.source for c in plan.sources]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c.source, id=c.id) for c in plan.cells]
    questions = json.dumps([question_data(q) for q in plan.questions])
    nb.cells.append(nbformat.v4.new_code_cell(_PROBE_CELL.format(
        marker=MARKER, questions=questions, told=told)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="course-kernel-") as workdir:
        env["COURSE_PROGRESS_FILE"] = os.path.join(workdir, "progress.json")
        client = NotebookClient(nb, timeout=int(timeout), kernel_name=kernel_name,
                                allow_errors=True, resources={"metadata": {"path": workdir}})
        try:
            client.execute(env=env)
        except (CellTimeoutError, DeadKernelError) as err:
            return Reply((), (), problem=type(err).__name__).to_data()
    said = None
    for output in nb.cells[-1].get("outputs", []):
        for line in output.get("text", "").splitlines() if output.get("output_type") == \
                "stream" else []:
            if line.startswith(MARKER):
                said = json.loads(line[len(MARKER):])
    if said is None:
        return Reply((), (), problem="the kernel gave no answers").to_data()
    printed = dict(zip(told, said["printed"], strict=True))
    runs = [CellRun(_error(cell), (printed.get(c.source) or "") if c.source in printed else None)
            for cell, c in zip(nb.cells[:-1], plan.cells, strict=True)]
    return Reply(tuple(runs), tuple(said["answers"])).to_data()


def _error(cell: dict) -> str:
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if not errors:
        return ""
    text = f"{errors[0]['ename']}: {errors[0]['evalue']}" if errors[0]["evalue"] else \
        errors[0]["ename"]
    return text[:300]
