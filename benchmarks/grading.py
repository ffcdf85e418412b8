#!/usr/bin/env python3
"""Grading a whole class: our isolated fork-server grader vs a kernel per notebook vs nbgrader.

Builds a synthetic class (right answers, typical mistakes, a few infinite loops; every notebook
unique so nothing is deduplicated), then grades it:

  ours      `python -m grader grade` (fork-server workers, --jobs 2), the whole class
  kernel    one fresh Jupyter kernel per notebook through nbclient, as nbgrader and otter run
            them (sequential, like nbgrader), on a fixed subset
  nbgrader  `nbgrader autograde` on the equivalent assignment (same solutions, hidden-test
            cells asserting what our checks check), on the same subset

and reports notebooks per second, per-notebook overhead (a class of right answers graded one
notebook at a time, so learner code costs ~0), peak memory of the whole process tree, the
ratios, and whether every system gave the same pass/fail verdict per notebook.

    .venv/bin/python benchmarks/grading.py [--learners 200] [--subset 20] [--timeout 5]

nbgrader is installed for this benchmark only, into its own virtual environment under
benchmarks/work/ (the first run takes a minute), so it never shows up in the course's JupyterLab.

Writes the Markdown table to stdout and to benchmarks/RESULTS-grading.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from common import RIGHT, add_no_write, work_dir, write_results  # noqa: E402

from grader.spec import PART1 as STEPS  # noqa: E402  (the class benchmark is Part 1)

WORK = work_dir("grading")
NBGRADER_ENV = work_dir("nbgrader-venv")
PY = sys.executable
MISTAKE = {
    "1": ["customers = {101: 0.2, 102: 0.8, 103: 0.5, 104: 0.9}"],
    "2": ["threshold = '0.6'"],
    "3": ["def predict(feature):\n    return feature >= 0.6",
          "batch_results = [predict(feature) for customer_id, feature in customers]"],
    "4": ["print(customers)\nprint(predict(0.7))"],
}
LOOP = {"3": [RIGHT["3"][0], "while True:\n    pass"]}
TIMEOUT_LEARNERS = {7, 101, 163}

# nbgrader's autograder tests: assert what our checks check (a test cell scores if it raises
# nothing). Step 4 re-runs the printing cell from the kernel's history, as our probe does.
NBGRADER_TESTS = {
    "1": ["assert isinstance(customers, list) and all(type(c) is tuple for c in customers)",
          "assert customers == [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)]"],
    "2": ["assert type(threshold) is float and threshold == 0.6"],
    "3": ["assert callable(predict)",
          "for _v, _e in [(0.2, False), (0.8, True), (0.59, False), (0.6, False), (0.61, True)]:"
          "\n    assert predict(_v) is _e",
          "_saved = threshold\ntry:\n    threshold = 0.3\n    assert predict(0.5) is True\n"
          "finally:\n    threshold = _saved",
          "assert type(batch_results) is list",
          "assert batch_results == [False, True, False, True]"],
    "4": ["import io, contextlib\n_cell = [c for c in In if 'print' in c and 'assert' not in c]"
          "[-1]\n_out = io.StringIO()\nwith contextlib.redirect_stdout(_out):\n"
          "    exec(_cell, dict(globals()))\n_lines = _out.getvalue().split()\n"
          "assert _lines[:4] == ['[False,', 'True,', 'False,', 'True]']",
          "assert _lines[4:] == ['True']"],
}


def answers_for(learner: int, step: str) -> list[str]:
    if learner in TIMEOUT_LEARNERS and step in LOOP:
        chosen = LOOP[step]
    elif learner % 10 in (6, 7, 8) and (learner + int(step)) % 2 == 0:
        chosen = MISTAKE[step]
    else:
        chosen = RIGHT[step]
    tag = f"# learner {learner:03d}\n"  # every notebook unique: no deduplication
    return [tag + code for code in chosen]


def fill(nb: nbformat.NotebookNode, answers: list[str], is_answer) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(nb)
    cells = [c for c in nb.cells if is_answer(c)]
    for cell, code in zip(cells, answers, strict=True):
        cell.source = code
    return nb


def make_class(folder: Path, learners: range) -> int:
    shutil.rmtree(folder, ignore_errors=True)
    templates = {s.key: nbformat.read(ROOT / "notebooks" / s.notebook, as_version=4)
                 for s in STEPS}
    for i in learners:
        target = folder / f"learner{i:03d}"
        target.mkdir(parents=True)
        for step in STEPS:
            nb = fill(templates[step.key], answers_for(i, step.key),
                      lambda c: "answer" in c.metadata.get("tags", []))
            nbformat.write(nb, target / step.notebook)
    return len(learners) * len(STEPS)


class PeakMemory:
    """Peak resident memory of a process and all its descendants, sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree_rss(self) -> int:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path("/proc", entry, "stat").read_text()
                    parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    pass
        tree, frontier = {self.pid}, [self.pid]
        while frontier:
            parent = frontier.pop()
            kids = [p for p, pp in parents.items() if pp == parent and p not in tree]
            tree.update(kids)
            frontier.extend(kids)
        total = 0
        for pid in tree:
            try:
                total += int(Path("/proc", str(pid), "statm").read_text().split()[1])
            except (OSError, ValueError, IndexError):
                pass
        return total * os.sysconf("SC_PAGE_SIZE")

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree_rss())
            time.sleep(0.02)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def timed(command: list[str], cwd: Path, env: dict | None = None) -> tuple[float, int]:
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    memory = PeakMemory(process.pid)
    _, err = process.communicate()
    peak = memory.stop()
    if process.returncode != 0:
        raise SystemExit(f"{command[:4]} failed ({process.returncode}):\n{err[-3000:]}")
    return time.perf_counter() - started, peak


# ---------------------------------------------------------------------------- our grader
def run_ours(folder: Path, out: Path, timeout: float, jobs: int) -> tuple[float, int, dict]:
    shutil.rmtree(out, ignore_errors=True)
    seconds, peak = timed([PY, "-m", "grader", "grade", str(folder), "-o", str(out), "-q",
                           "--timeout", str(timeout), "--jobs", str(jobs)], ROOT)
    results = json.loads((out / "results.json").read_text())
    verdicts = {(learner, nb): data["result"]["status"] == "passed"
                for learner, entry in results["learners"].items()
                for nb, data in entry["notebooks"].items()}
    return seconds, peak, verdicts


# ------------------------------------------------------------- kernel-per-notebook baseline
KERNEL_SCRIPT = """
import json, sys, time
from pathlib import Path
from grader.batch.harness import ask, judge
from grader.batch.notebook import plan_notebook
from grader.batch.reference import run_in_kernel
from grader.spec import PART1 as STEPS
folder, timeout = Path(sys.argv[1]), float(sys.argv[2])
verdicts = {}
for learner in sorted(p for p in folder.iterdir() if p.is_dir()):
    for step in STEPS:
        plan = ask(plan_notebook((learner / step.notebook).read_bytes(), step.key))
        reply = run_in_kernel(plan, timeout=timeout)
        verdicts[learner.name + "|" + step.notebook] = judge(step, plan, reply, 0).result.passed
print(json.dumps(verdicts))
"""


def run_kernels(folder: Path, timeout: float) -> tuple[float, int, dict]:
    out = WORK / "kernel-verdicts.json"
    script = WORK / "kernel_baseline.py"
    script.write_text(KERNEL_SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    with out.open("w") as handle:
        process = subprocess.Popen([PY, str(script), str(folder), str(timeout)], cwd=ROOT,
                                   env=env, stdout=handle, stderr=subprocess.DEVNULL)
        memory = PeakMemory(process.pid)
        process.wait()
    peak = memory.stop()
    seconds = time.perf_counter() - started
    raw = json.loads(out.read_text())
    return seconds, peak, {tuple(k.split("|")): v for k, v in raw.items()}


# ------------------------------------------------------------------------------ nbgrader
def nbgrader_source(step_key: str, notebook: str) -> nbformat.NotebookNode:
    """Our solution notebook as an nbgrader master: same given code and solution markers,
    check cells replaced by autograder test cells, nothing after the last check."""
    nb = nbformat.read(ROOT / "solutions" / notebook, as_version=4)
    cells, answer = [], 0
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "check" in tags:
            for index, test in enumerate(NBGRADER_TESTS[step_key], 1):
                new = nbformat.v4.new_code_cell(test)
                new.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                            "points": 1, "grade_id": f"test{index}",
                                            "schema_version": 3}
                cells.append(new)
            break
        cell = nbformat.from_dict(cell)
        cell.metadata = nbformat.from_dict({})
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.source = re.sub(r"^from grader import check\n?", "", cell.source, flags=re.M)
        if "answer" in tags:
            answer += 1
            cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False,
                                         "grade_id": f"answer{answer}", "schema_version": 3}
        cells.append(cell)
    nb.cells = cells
    return nb


def nbgrader_python() -> str:
    """nbgrader's own environment, made on first use: nbgrader adds menus and buttons to every
    JupyterLab of the environment it is installed in, which learners must not see."""
    python = NBGRADER_ENV / "bin" / "python"
    ready = NBGRADER_ENV / ".ready"
    if not ready.exists():
        print("installing nbgrader into its own environment (once)...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(NBGRADER_ENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "nbgrader==0.9.*"],
                       check=True)
        ready.touch()
    return str(python)


SCORES = """
import json, sys
from nbgrader.api import Gradebook
found = {}
with Gradebook(sys.argv[1]) as book:
    for learner, name in json.loads(sys.argv[2]):
        try:
            sub = book.find_submission_notebook(name, "ps1", learner)
        except Exception:
            continue  # nbgrader recorded no grade for this notebook
        found[learner + "/" + name] = sub.score == sub.max_score
print(json.dumps(found))
"""


def run_nbgrader(learners: list[int], timeout: float) -> tuple[float, int, dict, int]:
    nbgrader_py = nbgrader_python()
    course = WORK / "nbgrader-course"
    shutil.rmtree(course, ignore_errors=True)
    (course / "source" / "ps1").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'churn'\n"
        f"c.Execute.timeout = {int(timeout)}\nc.ExecutePreprocessor.timeout = {int(timeout)}\n")
    for step in STEPS:
        nbformat.write(nbgrader_source(step.key, step.notebook),
                       course / "source" / "ps1" / step.notebook)
    nbgrader = [nbgrader_py, "-m", "nbgrader"]
    # nbgrader runs `alembic` from PATH when it creates its database
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(nbgrader_py).parent),
                                                 os.environ["PATH"]]))
    subprocess.run([*nbgrader, "generate_assignment", "ps1", "--force"], cwd=course,
                   check=True, capture_output=True, env=env)
    for i in learners:
        target = course / "submitted" / f"learner{i:03d}" / "ps1"
        target.mkdir(parents=True)
        for step in STEPS:
            release = nbformat.read(course / "release" / "ps1" / step.notebook, as_version=4)
            nb = fill(release, answers_for(i, step.key),
                      lambda c: c.metadata.get("nbgrader", {}).get("solution", False))
            nbformat.write(nb, target / step.notebook)
        (target / "timestamp.txt").write_text("2025-01-01 12:00:00.000000 UTC")
    seconds, peak = timed([*nbgrader, "autograde", "ps1", "--create", "--force"], course, env)
    wanted = [(f"learner{i:03d}", step.notebook[:-len(".ipynb")])
              for i in learners for step in STEPS]
    found = json.loads(subprocess.run(
        [nbgrader_py, "-c", SCORES, f"sqlite:///{course / 'gradebook.db'}", json.dumps(wanted)],
        check=True, capture_output=True, text=True, env=env).stdout)
    verdicts = {(learner, f"{name}.ipynb"): found[f"{learner}/{name}"]
                for learner, name in wanted if f"{learner}/{name}" in found}
    return seconds, peak, verdicts, len(verdicts)


# ------------------------------------------------------------------------------- report
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--subset", type=int, default=20,
                        help="learners graded by the slow baselines (default: %(default)s)")
    parser.add_argument("--overhead", type=int, default=10,
                        help="right-answer learners graded one notebook at a time")
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-nbgrader", action="store_true")
    add_no_write(parser, "RESULTS-grading.md")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    mb = 1024 * 1024

    full, subset = WORK / "class", WORK / "subset"
    n_full = make_class(full, range(args.learners))
    n_sub = make_class(subset, range(args.subset))
    print(f"class: {args.learners} learners x {len(STEPS)} = {n_full} notebooks; subset "
          f"{args.subset} learners = {n_sub} notebooks; timeout {args.timeout:g} s", flush=True)

    ours_full = run_ours(full, WORK / "out-full", args.timeout, args.jobs)
    print(f"ours, full class: {ours_full[0]:.1f} s", flush=True)
    ours_sub = run_ours(subset, WORK / "out-subset", args.timeout, args.jobs)
    kernels = run_kernels(subset, args.timeout)
    print(f"kernel per notebook, subset: {kernels[0]:.1f} s", flush=True)
    nbg = None if args.skip_nbgrader else run_nbgrader(list(range(args.subset)), args.timeout)
    if nbg:
        print(f"nbgrader, subset: {nbg[0]:.1f} s ({nbg[3]} of {n_sub} notebooks got a grade)",
              flush=True)

    # per-notebook overhead: right answers only, one notebook at a time
    plain = WORK / "plain"
    make_class(plain, range(args.subset, args.subset + args.overhead))
    if any("while True" in nb.read_text() for nb in plain.rglob("*.ipynb")):
        raise SystemExit("the overhead class must hold no loops: choose other learners")
    n_plain = args.overhead * len(STEPS)
    run_ours(plain, WORK / "out-plain", args.timeout, 1)
    # ours: the median time the parent waited per notebook (fork, run, snapshot, judge, clean
    # up), without the one-off start of the command and its fork server
    runtimes = sorted(nb["runtime"] for learner in json.loads(
        (WORK / "out-plain" / "results.json").read_text())["learners"].values()
        for nb in learner["notebooks"].values())
    over_ours = runtimes[len(runtimes) // 2]
    over_kernel = run_kernels(plain, args.timeout)[0] / n_plain
    over_nbg = (run_nbgrader(list(range(args.subset, args.subset + args.overhead)),
                             args.timeout)[0] / n_plain) if not args.skip_nbgrader else None

    def agree(other: dict) -> str:
        same = sum(ours_sub[2].get(k) == v for k, v in other.items())
        return f"{same} / {n_sub}"

    rows = [(f"ours (`python -m grader grade`, {args.jobs} jobs), full class", n_full, ours_full[0],
             ours_full[1], None, "—"),
            ("ours, subset", n_sub, ours_sub[0], ours_sub[1], over_ours, "—"),
            ("kernel per notebook (nbclient), subset", n_sub, kernels[0], kernels[1],
             over_kernel, agree(kernels[2]))]
    if nbg:
        rows.append(("`nbgrader autograde`, subset", n_sub, nbg[0], nbg[1], over_nbg,
                     agree(nbg[2])))
    lines = ["| grader | notebooks | wall time (s) | notebooks / s | per-notebook overhead "
             "(ms) | peak memory (MB) | same verdicts as ours |", "|---|---|---|---|---|---|---|"]
    for name, count, seconds, peak, overhead, same in rows:
        over = f"{overhead * 1000:.0f}" if overhead is not None else "—"
        lines.append(f"| {name} | {count} | {seconds:.1f} | {count / seconds:.1f} | {over} | "
                     f"{peak / mb:.0f} | {same} |")
    rate_full = n_full / ours_full[0]
    lines.append("")
    lines.append(f"Throughput ratio, ours (full class) vs kernel per notebook: "
                 f"{rate_full / (n_sub / kernels[0]):.0f}×; on the same subset: "
                 f"{(n_sub / ours_sub[0]) / (n_sub / kernels[0]):.0f}×.")
    if nbg:
        lines.append(f"Throughput ratio, ours (full class) vs nbgrader: "
                     f"{rate_full / (n_sub / nbg[0]):.0f}×; on the same subset: "
                     f"{(n_sub / ours_sub[0]) / (n_sub / nbg[0]):.0f}×. nbgrader graded "
                     f"{nbg[3]} of {n_sub} subset notebooks; the full class through nbgrader "
                     f"would take about {n_full / (n_sub / nbg[0]) / 60:.0f} min "
                     "(extrapolated from the subset, not measured).")
    lines.append("Per-notebook overhead: right answers graded one at a time; ours is the median "
                 "per-notebook time (without the command's one-off start), the others wall "
                 "time / notebooks.")
    lines.append(f"Per-notebook overhead: ours {over_ours * 1000:.0f} ms vs kernel "
                 f"{over_kernel * 1000:.0f} ms" + (f" vs nbgrader {over_nbg * 1000:.0f} ms"
                                                   if over_nbg else "") + ".")
    table = "\n".join(lines)
    print()
    print(table)
    write_results("RESULTS-grading.md",
                  f"# Batch grading benchmark\n\n`{' '.join(sys.argv)}` — {n_full} notebooks "
                  f"({args.learners} learners), subset {n_sub}, timeout {args.timeout:g} s, "
                  f"{os.cpu_count()} CPUs.\n\n{table}\n", args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
