#!/usr/bin/env python3
"""The instructor's own process at class scale: the grader before the grading lanes and after,
side by side, in one run.

For each grader (--before: a git revision, exported to benchmarks/work/scale/; after: this
tree), on the synthetic classes of benchmarks/grading.py (Part 1, every notebook unique, right
answers and typical mistakes, no infinite loops) of --small and --large notebooks:

  first run     grade the whole class into an empty OUT (--jobs 2), in a fresh process, and
                measure that process alone (the coordinator: not its fork server, workers or
                lanes): CPU time per notebook while grading (serial work: it caps how many
                notebooks per second any number of cores can grade), CPU time per notebook
                writing the reports, and its peak resident memory. Memory per notebook is
                the slope between the two class sizes.
                The class report (class.html, class.json) is timed apart within the reports
                (first run), and `python -m grader report OUT` as a command of its own.
  no-change     grade the large class again with nothing changed: in-process phases (collect,
  re-run        verdicts, reports; best of 3) and the whole `python -m grader grade` command
                as an instructor runs it (best of 3), with how many report files were written.

    .venv/bin/python benchmarks/scale.py [--before 9198665] [--small 1600] [--large 6400]

The class report alone, on a class graded already (OUT of an earlier run, e.g. the large
class's): writing class.json and class.html from OUT/results.json, each round in a fresh process
(matplotlib's import included, reading results.json not), wall and CPU seconds:

    .venv/bin/python benchmarks/scale.py --class-report OUT [--rounds 5]

Writes the Markdown table to stdout and to benchmarks/RESULTS-scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import add_no_write, work_dir, write_results  # noqa: E402

WORK = work_dir("scale")
BEFORE = "9198665"  # the last commit before the grading lanes (issue 11's scale part)
STEPS_PER_LEARNER = 4  # Part 1


def export(revision: str) -> Path:
    target = WORK / f"grader-{revision}"
    if not target.exists():
        target.mkdir(parents=True)
        with tempfile.TemporaryFile() as archive:
            subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", revision,
                            "grader", "churn_course"], stdout=archive, check=True)
            archive.seek(0)
            with tarfile.open(fileobj=archive) as tar:
                tar.extractall(target)
    return target


def make_classes(sizes: list[int]) -> dict[int, Path]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import grading as base

    base.TIMEOUT_LEARNERS = set()  # the scale of the class, not the deadline, is measured
    folders = {}
    for size in sizes:
        folder = WORK / f"class-{size}"
        if not (folder / ".complete").exists():
            print(f"building a class of {size} notebooks ...", file=sys.stderr)
            base.make_class(folder, range(size // STEPS_PER_LEARNER))
            (folder / ".complete").write_text("")
        folders[size] = folder
    return folders


def probe(tree: Path, *args: str) -> dict:
    """Run this script's --probe in a fresh process that imports the grader from `tree`."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, __file__, "--probe", str(tree), *args],
                          env=env, cwd=tree, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"probe failed ({tree.name} {args}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_kb() -> int:
    """This process's peak resident memory (VmHWM) since the peak was last reset."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def _report_files(out: Path) -> dict[str, int]:
    found = {p.name: p.stat().st_ino for p in out.iterdir() if p.suffix in (".csv", ".json")}
    if (out / "feedback").exists():
        found.update({f"feedback/{p.name}": p.stat().st_ino
                      for p in (out / "feedback").iterdir()})
    return found


def run_probe(tree: str, mode: str, folder: str, out: str) -> dict:
    """Inside the fresh process: grade once, measuring this (the coordinating) process."""
    import grader
    from grader.batch.collect import collect
    from grader.batch.gradebook import Gradebook
    from grader.batch.grading import grade_class
    from grader.batch.reports import write_reports
    from grader.batch.sandbox import Limits
    from grader.spec import ALL_STEPS

    assert grader.__file__.startswith(tree), grader.__file__
    with open("/proc/self/clear_refs", "w") as clear:  # the peak from here on: grading's own
        clear.write("5")
    out_path = Path(out)
    if mode == "first":
        shutil.rmtree(out_path, ignore_errors=True)
    before = _report_files(out_path) if out_path.exists() else {}
    wall, cpu = time.perf_counter(), _cpu()
    collection = collect(Path(folder), ALL_STEPS)
    collected = time.perf_counter()
    book = Gradebook(out_path / "gradebook.sqlite")
    try:
        result = grade_class(collection, jobs=2, limits=Limits(timeout=20), gradebook=book)
    finally:
        book.close()
        collection.close()
    graded, graded_cpu = time.perf_counter(), _cpu()
    class_seconds = _timing_class_report()
    write_reports(result, out_path)
    done, done_cpu = time.perf_counter(), _cpu()
    after = _report_files(out_path)
    notebooks = sum(len(getattr(lg, "verdicts", None) or lg.notebooks)
                    for lg in result.learners.values())
    return {"notebooks": notebooks, "ran": result.ran,
            "collect": collected - wall, "grade": graded - collected,
            "reports": done - graded, "total": done - wall,
            "grade_cpu": graded_cpu - cpu, "reports_cpu": done_cpu - graded_cpu,
            "peak_mb": _peak_kb() / 1024,
            "written": sum(after[name] != before.get(name) for name in after),
            "files": len(after), "class_report": [sum(w for w, _ in class_seconds),
                                                  sum(c for _, c in class_seconds)]}


def _timing_class_report() -> list[tuple[float, float]]:
    """Times the class report wherever the reports write it (a grader that has one), matplotlib's
    import included: the list fills with (wall, CPU) seconds as it is written."""
    seconds: list[tuple[float, float]] = []
    try:
        from grader.batch import reports
    except ImportError:
        return seconds
    write = getattr(reports, "write_class_report", None)
    if write is None:  # a grader from before the class report
        return seconds

    def timed(*args: object, **kwargs: object) -> object:
        started, cpu = time.perf_counter(), _cpu()
        try:
            return write(*args, **kwargs)
        finally:
            seconds.append((time.perf_counter() - started, _cpu() - cpu))

    reports.write_class_report = timed
    return seconds


def class_report_probe(out: str) -> dict:
    """Inside a fresh process: OUT's class, read from results.json, then its class report
    written and timed."""
    from grader.batch.class_report import load_results, write_class_report
    from grader.batch.reports import feedback_names

    result = load_results(Path(out))
    names = feedback_names(list(result.learners))
    wall, cpu = time.perf_counter(), _cpu()
    write_class_report(result, Path(out), names)
    return {"wall": time.perf_counter() - wall, "cpu": _cpu() - cpu,
            "notebooks": sum(len(lg.verdicts) for lg in result.learners.values()),
            "learners": len(result.learners)}


def class_report_alone(out: Path, rounds: int) -> int:
    runs = []
    for _ in range(rounds):
        done = subprocess.run([sys.executable, __file__, "--probe-class", str(out)], cwd=ROOT,
                              capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"the class report probe failed:\n{done.stderr[-3000:]}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    walls, cpus = sorted(r["wall"] for r in runs), sorted(r["cpu"] for r in runs)
    print(f"class report of {runs[0]['notebooks']} verdicts ({runs[0]['learners']} learners), "
          f"{rounds} fresh processes: wall {walls[0]:.2f}-{walls[-1]:.2f} s (median "
          f"{statistics.median(walls):.2f}), CPU {cpus[0]:.2f}-{cpus[-1]:.2f} s; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    return 0


def report_command_seconds(tree: Path, out: Path) -> tuple[float, float] | None:
    """`python -m grader report OUT` as an instructor runs it: (wall, CPU) seconds (None: this
    grader has no such command)."""
    import resource

    env = dict(os.environ, PYTHONPATH=str(tree))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "grader", "report", str(out)], env=env,
                          cwd=tree, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return (wall, cpu) if done.returncode == 0 else None


def command_seconds(tree: Path, folder: Path, out: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(tree))
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader", "grade", str(folder), "-o", str(out), "-q",
                    "--jobs", "2", "--timeout", "20"], env=env, cwd=tree, check=True)
    return time.perf_counter() - started


def _seconds(value: float | None, cpu: float | None = None) -> str:
    if not value:
        return "—"
    return f"{value:.2f} s" + (f" ({cpu:.2f} s)" if cpu is not None else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE, help="git revision of the 'before' grader")
    parser.add_argument("--small", type=int, default=1600, help="notebooks, smaller class")
    parser.add_argument("--large", type=int, default=6400, help="notebooks, larger class")
    parser.add_argument("--probe", nargs=4, metavar=("TREE", "MODE", "CLASS", "OUT"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help="keep benchmarks/work/scale")
    parser.add_argument("--class-report", type=Path, metavar="OUT",
                        help="only time the class report of a class graded into OUT")
    parser.add_argument("--rounds", type=int, default=5, help="with --class-report")
    parser.add_argument("--probe-class", metavar="OUT", help=argparse.SUPPRESS)
    parser.add_argument("--reruns", type=int, default=3,
                        help="no-change re-runs of each grader; the best is kept (default: 3)")
    add_no_write(parser, "RESULTS-scale.md")
    args = parser.parse_args()
    if args.probe:
        print(json.dumps(run_probe(*args.probe)))
        return 0
    if args.probe_class:
        print(json.dumps(class_report_probe(args.probe_class)))
        return 0
    if args.class_report:
        return class_report_alone(args.class_report, args.rounds)
    classes = make_classes([args.small, args.large])
    trees = {"before": export(args.before), "after": ROOT}
    first: dict[tuple[str, int], dict] = {}
    rerun: dict[str, dict] = {}
    command: dict[str, float] = {}
    report_command: dict[str, tuple[float, float] | None] = {}
    for label, tree in trees.items():
        for size, folder in classes.items():
            out = WORK / f"out-{label}-{size}"
            print(f"{label}: first run, {size} notebooks ...", file=sys.stderr)
            first[label, size] = probe(tree, "first", str(folder), str(out))
        out = WORK / f"out-{label}-{args.large}"
        print(f"{label}: no-change re-runs ...", file=sys.stderr)
        runs = [probe(tree, "again", str(classes[args.large]), str(out))
                for _ in range(args.reruns)]
        rerun[label] = min(runs, key=lambda r: r["total"])
        command[label] = min(command_seconds(tree, classes[args.large], out)
                             for _ in range(args.reruns))
        report_command[label] = report_command_seconds(tree, out)
    lines = [f"| measure ({args.large} notebooks unless said) | before ({args.before}) | "
             "after |", "|---|---|---|"]

    def row(name: str, fmt: str, value: object) -> None:
        lines.append(f"| {name} | {fmt.format(**value['before'])} | "  # type: ignore[index]
                     f"{fmt.format(**value['after'])} |")  # type: ignore[index]

    per = {label: {"grade": 1000 * first[label, args.large]["grade_cpu"]
                   / max(1, first[label, args.large]["ran"]),
                   "reports": 1000 * first[label, args.large]["reports_cpu"]
                   / first[label, args.large]["notebooks"],
                   "rate": first[label, args.large]["ran"] / first[label, args.large]["grade"],
                   "small": first[label, args.small]["peak_mb"],
                   "large": first[label, args.large]["peak_mb"],
                   "slope": 1024 * (first[label, args.large]["peak_mb"]
                                    - first[label, args.small]["peak_mb"])
                   / (args.large - args.small)} for label in trees}
    row("coordinator CPU while grading, per notebook (first run)", "{grade:.2f} ms", per)
    row("coordinator CPU writing reports, per notebook (first run)", "{reports:.2f} ms", per)
    row("notebooks graded per second (first run, --jobs 2)", "{rate:.0f}", per)
    row(f"coordinator peak memory, {args.small} notebooks", "{small:.1f} MB", per)
    row(f"coordinator peak memory, {args.large} notebooks", "{large:.1f} MB", per)
    row("coordinator memory growth per notebook", "{slope:.1f} KB", per)
    again = {label: dict(rerun[label], command=command[label]) for label in trees}
    row("no-change re-run: collect", "{collect:.2f} s", again)
    row("no-change re-run: verdicts (hashes, gradebook)", "{grade:.2f} s", again)
    row("no-change re-run: reports", "{reports:.2f} s", again)
    row("no-change re-run: in-process total", "{total:.2f} s", again)
    row("no-change re-run: report files written", "{written} of {files}", again)
    row("no-change re-run: the whole `grade` command", "{command:.2f} s", again)
    classes_done = {label: {"written": _seconds(*first[label, args.large]["class_report"]),
                            "command": _seconds(*(report_command[label] or (None,)))}
                    for label in trees}
    row("writing the class report within the first run, wall (CPU), matplotlib's import "
        "included", "{written}", classes_done)
    row("`python -m grader report OUT`, wall (CPU): a fresh process, from results.json",
        "{command}", classes_done)
    lines.append(f"\nOne run; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at "
                 "the end. Coordinator = the `grade` process itself (its lanes, fork server "
                 f"and workers are other processes); best of {args.reruns} for the re-runs.")
    table = "\n".join(lines)
    print(table)
    write_results("RESULTS-scale.md", table + "\n", args)
    if not args.keep:
        shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
