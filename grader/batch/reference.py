"""The same plan, run the slow, familiar way: one real Jupyter kernel per notebook (nbclient).

This is how nbgrader and otter execute submissions. It is not used for grading; it exists so
the parity test can show that the fast worker and a real kernel give identical verdicts, and
so the benchmark has a kernel-per-notebook baseline measured on the same machine.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .notebook import Plan

MARKER = "<<<course-grader-snapshot>>>"
ROOT = Path(__file__).resolve().parents[2]

_PROBE_CELL = """\
import json as _course_json
from grader.inline import recorded_runs as _course_runs
from grader.probe import snapshot_for as _course_snapshot_for
from grader.sources import Run as _CourseRun
_course_ran = {{r.source: r for r in _course_runs()}}  # nbclient sends no cell ids
print({marker!r} + _course_json.dumps(_course_snapshot_for({step!r}, get_ipython().user_ns,
      [_CourseRun(s, i, _course_ran[s].error, _course_ran[s].printed) if s in _course_ran
       else _CourseRun(s, i) for i, s in {sources!r}])))
"""


def run_in_kernel(plan: Plan, timeout: float = 30.0, kernel_name: str = "python3") -> dict:
    """Execute the plan's cells in a fresh kernel, then take the snapshot there; return a reply
    shaped like a worker's (`snapshot`, `cell_errors`) for `verdicts.judge_reply`."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c.source, id=c.id) for c in plan.cells]
    nb.cells.append(nbformat.v4.new_code_cell(_PROBE_CELL.format(
        marker=MARKER, step=plan.step, sources=[(c.id, c.source) for c in plan.sources])))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="course-kernel-") as workdir:
        env["COURSE_PROGRESS_FILE"] = os.path.join(workdir, "progress.json")
        client = NotebookClient(nb, timeout=int(timeout), kernel_name=kernel_name,
                                allow_errors=True, resources={"metadata": {"path": workdir}})
        try:
            client.execute(env=env)
        except (CellTimeoutError, DeadKernelError) as err:
            return {"snapshot": None, "worker_error": type(err).__name__, "cell_errors": []}
    errors, snapshot = [], None
    for cell, source in zip(nb.cells, [*plan.cells, None], strict=True):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and source is not None:
                text = f"{output['ename']}: {output['evalue']}" if output["evalue"] else \
                    output["ename"]
                errors.append({"cell": source.id, "error": text[:300]})
            if source is None and output.get("output_type") == "stream":
                for line in output.get("text", "").splitlines():
                    if line.startswith(MARKER):
                        snapshot = json.loads(line[len(MARKER):])
    return {"snapshot": snapshot, "cell_errors": errors}
