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

# The kernel answers the plan's questions; what each cell printed is read from its own stdout
# outputs, as a worker hears it while the cell runs.
_PROBE_CELL = """\
import json as _course_json
from grader.probe import answer_all as _course_answer_all
from grader.questions import question_from_data as _course_question
print({marker!r} + _course_json.dumps(_course_answer_all(tuple(
    _course_question(q) for q in _course_json.loads({questions!r})), get_ipython().user_ns)))
"""


def run_in_kernel(plan: Plan, timeout: float = 30.0, kernel_name: str = "python3") -> dict:
    """Execute the plan's cells in a fresh kernel, then answer the plan's questions there;
    return a reply shaped like a worker's (`protocol.Reply`) for `harness.judge`."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from ..questions import MAX_PRINTED, question_data
    from .protocol import CellRun, Reply

    told = {(c.id, c.source) for c in plan.sources}
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c.source, id=c.id) for c in plan.cells]
    questions = json.dumps([question_data(q) for q in plan.questions])
    nb.cells.append(nbformat.v4.new_code_cell(_PROBE_CELL.format(
        marker=MARKER, questions=questions)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="course-kernel-") as workdir:
        env["COURSE_PROGRESS_FILE"] = os.path.join(workdir, "progress.json")
        client = NotebookClient(nb, timeout=int(timeout), kernel_name=kernel_name,
                                allow_errors=True, resources={"metadata": {"path": workdir}})
        try:
            client.execute(env=env)
        except (CellTimeoutError, DeadKernelError) as err:
            return _problem(plan, f"the kernel stopped ({type(err).__name__})")
    answers = next((json.loads(line[len(MARKER):]) for line in _printed(nb.cells[-1]).splitlines()
                    if line.startswith(MARKER)), None)
    if answers is None:
        return _problem(plan, "the kernel gave no answers")
    runs = [CellRun(_error(cell), _printed(cell)[:MAX_PRINTED] if (c.id, c.source) in told
                    else None) for cell, c in zip(nb.cells[:-1], plan.cells, strict=True)]
    return Reply(tuple(runs), tuple(answers)).to_data()


def _problem(plan: Plan, why: str) -> dict:
    from .protocol import CellRun, Reply

    told = {(c.id, c.source) for c in plan.sources}
    runs = tuple(CellRun(printed="" if (c.id, c.source) in told else None) for c in plan.cells)
    return Reply(runs, (), problem=why).to_data()


def _printed(cell: dict) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def _error(cell: dict) -> str:
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if not errors:
        return ""
    text = f"{errors[0]['ename']}: {errors[0]['evalue']}" if errors[0]["evalue"] else \
        errors[0]["ename"]
    return text[:300]
