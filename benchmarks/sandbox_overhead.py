#!/usr/bin/env python3
"""What the walls cost per notebook, against a floor measured in the same run.

The **floor** is the least a fork-per-notebook grader can do: this process, pre-warmed with
IPython, numpy, FastAPI and httpx, forks; the child runs the notebook's cells in the warm
IPython shell and sends its variables back as JSON on a pipe; the parent reads them and reaps
the child. No walls, no probe, no judging.

**The grader without walls** is the grading pool with every wall switched off (a mode for this
benchmark alone): what the grader itself costs beyond the floor (its own fork server, the probe
answering the harness's questions, the protocol). **With every wall** is the grading pool itself
(`WorkerPool`, one notebook at a time: fork server, memfd job, private /tmp in the allowlist
view, its own user id, cgroups, seccomp, refusals in words, READY, cells, the probe answering
the questions the harness drew for that notebook, reply, clean-up), timed as `results.json`'s
per-notebook runtime is (request to end; the harness's asking and judging, in the lane, are
not in it). As root that is the full walls; the Landlock walls (what an instructor who isn't
root gets) are measured too.

The two alternate in blocks over the same right-answer notebooks of `benchmarks/grading.py`'s
class, for --rounds rounds, so a busy machine slows both alike; the figures are medians.
`--breakdown` (root) also times each wall on its own, in forks of a process inside the view.

    .venv/bin/python benchmarks/sandbox_overhead.py [--notebooks 40] [--rounds 5] [--breakdown]
                                                     [--no-write]

Writes the Markdown table to stdout and to benchmarks/RESULTS-sandbox.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from common import RIGHT, add_no_write, write_results  # noqa: E402


def plans(count: int) -> list:
    """The right answers of steps 1-4, as the grader plans them (given code and answers)."""
    import nbformat

    from grader.batch.notebook import plan_notebook
    from grader.spec import PART1

    made = []
    for n in range(count):
        step = PART1[n % 4]
        nb = nbformat.read(ROOT / "notebooks" / step.notebook, as_version=4)
        answers = iter(RIGHT[step.key])
        for cell in nb.cells:
            if "answer" in cell.metadata.get("tags", []):
                cell.source = next(answers, cell.source)
        made.append(plan_notebook(nbformat.writes(nb).encode(), step.key))
    return made


# ------------------------------------------------------------------------ the floor
def warm_shell():
    import fastapi  # noqa: F401
    import httpx  # noqa: F401
    import numpy  # noqa: F401
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_cell("pass", store_history=False, silent=True)
    return shell


def floor_once(shell, plan) -> float:
    started = time.perf_counter()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            for _cell_id, source in plan.cells:
                shell.run_cell(source, store_history=False, silent=True)
            names = {k: v for k, v in shell.user_ns.items() if not k.startswith("_")
                     and k not in shell.user_ns_hidden}
            data = json.dumps(names, default=repr).encode()
            view = memoryview(data)
            while view:
                view = view[os.write(write, view):]
        finally:
            os._exit(0)
    os.close(write)
    while os.read(read, 1 << 16):
        pass
    os.close(read)
    os.waitpid(pid, 0)
    return time.perf_counter() - started


# ----------------------------------------------------------------- with the walls
def walls_block(pool, block: list) -> tuple[list[float], float]:
    """The block through the pool as a lane runs it: questions drawn afresh for each notebook
    (`harness.ask`), the worker's answers judged by the harness (and checked to pass)."""
    from grader.batch.harness import ask, judge
    from grader.spec import step_for

    asked = [ask(plan) for plan in block]
    seconds = []
    points = 0.0
    for outcome in pool.run(list(enumerate(asked))):
        assert outcome.status == "ok", outcome.message
        seconds.append(outcome.seconds)
        plan = asked[outcome.key]
        grade = judge(step_for(plan.step), plan, outcome.reply, outcome.seconds)
        assert grade.status == "ok" and grade.result.passed, (grade.message, grade.result)
        points += grade.points
    return seconds, points


def breakdown(rounds: int) -> dict[str, float]:
    """Each wall on its own, median ms, in forks of a process that built the view (root)."""
    from grader.batch.sandbox.cgroups import SlotCgroups

    groups = SlotCgroups.create(1, 512 << 20, 64)
    fds = [] if isinstance(groups, str) else groups.join_descriptors(0)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            result = _breakdown_inside(rounds, fds)
            os.write(write, json.dumps(result).encode())
        finally:
            os._exit(0)
    os.close(write)
    data = b""
    while chunk := os.read(read, 1 << 16):
        data += chunk
    os.waitpid(pid, 0)
    if not isinstance(groups, str):
        groups.remove()
    return json.loads(data) if data else {}


def _breakdown_inside(rounds: int, fds: list[int]) -> dict[str, float]:
    from grader.batch.protocol import Limits
    from grader.batch.sandbox import landlock, syscalls, walls
    from grader.part2 import scenario_endpoint

    allow, _ = walls.allowlist()
    program = syscalls.compile_filter(False)
    machines = {network: syscalls.compile_filter(False, True, network)
                for network in ("none", "connect")}  # the Landlock walls' (not root)
    space = walls.server_limits(Limits())
    walls.build_view(allow)
    walls._loopback_up()  # as in a worker's own network (the endpoint binds 127.0.0.1)
    root = landlock.open_paths(["/"])
    port = 40_000  # a rule needs no socket behind it
    steps = {
        "fork and exit (nothing else)": lambda: None,
        "private /tmp (a copy of the view, a tmpfs)": lambda: walls.private_tmp(520, None, []),
        "limits (rlimits, hard = soft)": lambda: walls.apply_limits(Limits(), space),
        "own user id (setresuid)": lambda: walls.become(1_900_999_999),
        "Landlock": lambda: landlock.restrict(root, []),
        "Landlock, step 8 (+ a rule: TCP connects to its endpoint's port)":
            lambda: landlock.restrict(root, [], connect=[port]),
        "step 8's endpoint sockets, made before the walls (listen on 127.0.0.1, bind "
        "127.0.0.2)": scenario_endpoint.reserve,
        "seccomp filter": lambda: syscalls.load_filter(program),
        "seccomp filter, Landlock walls (no TCP/IP socket)":
            lambda: syscalls.load_filter(machines["none"] or b""),
        "seccomp filter, Landlock walls, step 8 (plain TCP, no bind or listen)":
            lambda: syscalls.load_filter(machines["connect"] or b""),
        "refusals in words (audit hook)": lambda: syscalls.refuse_in_words("1", False),
        "refusals in words, Landlock walls, step 8 (ports checked)":
            lambda: syscalls.refuse_in_words("8", False, frozenset({port})),
    }
    if fds:  # what each worker would pay if it joined its own (each slot's server does, once)
        steps["cgroups (join memory + pids; once per slot, not per worker)"] = \
            lambda: [os.write(fd, b"0") for fd in fds]
    found = {}
    for name, step in steps.items():
        times = []
        for _ in range(rounds):
            read, write = os.pipe()
            child = os.fork()
            if child == 0:
                started = time.perf_counter()
                step()
                os.write(write, str(time.perf_counter() - started).encode())
                os._exit(0)
            os.close(write)
            os.waitpid(child, 0)
            times.append(float(os.read(read, 64) or b"nan"))
            os.close(read)
        found[name] = statistics.median(times) * 1000
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebooks", type=int, default=40, help="per block (default 40)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--breakdown", action="store_true", help="time each wall alone (root)")
    add_no_write(parser, "RESULTS-sandbox.md")
    args = parser.parse_args()
    from grader.batch.pool import WorkerPool
    from grader.batch.protocol import Limits

    block = plans(args.notebooks)
    shell = warm_shell()
    kinds = ["none", "auto", "landlock"] if os.geteuid() == 0 else ["none", "landlock"]
    pools = {kind: WorkerPool(1, Limits(timeout=20), walls=kind) for kind in kinds}
    seconds: dict[str, list[float]] = {"floor": [], **{kind: [] for kind in kinds}}
    for round_ in range(args.rounds):
        seconds["floor"] += [floor_once(shell, plan) for plan in block]
        for kind, pool in pools.items():
            got, _ = walls_block(pool, block)
            seconds[kind] += got[1:]  # the first waits for nothing but is the server's first
        print(f"round {round_ + 1}: " + ", ".join(
            f"{name} {statistics.median(values) * 1000:.1f} ms" for name, values in
            seconds.items()), flush=True)
    floor = statistics.median(seconds["floor"]) * 1000
    labels = {"floor": "floor: fork a warm IPython, run the cells, variables back as JSON",
              "none": "the grader without walls (fork server, the probe answering the "
                      "harness's questions, protocol)",
              "auto": "every wall (as root: the view, its own user id, cgroups, seccomp, refusals)",
              "landlock": "the Landlock walls (what an instructor who isn't root gets)"}
    lines = ["| per notebook, one at a time | median (ms) | × floor |", "|---|---|---|"]
    for name, values in seconds.items():
        median = statistics.median(values) * 1000
        lines.append(f"| {labels[name]} | {median:.2f} | {median / floor:.2f} |")
    load = os.getloadavg()[0]
    lines += ["", f"{args.notebooks} notebooks per block (steps 1-4, right answers), "
              f"{args.rounds} rounds alternating the floor and the pools, "
              f"{'as root' if os.geteuid() == 0 else 'not root'}, {os.cpu_count()} CPUs, "
              f"load average {load:.1f} at the end."]
    if args.breakdown and os.geteuid() == 0:
        lines += ["", "| one wall alone, in a fork of a process inside the view | median (ms) |",
                  "|---|---|"]
        lines += [f"| {name} | {ms:.3f} |" for name, ms in breakdown(args.rounds * 10).items()]
    table = "\n".join(lines)
    print()
    print(table)
    write_results("RESULTS-sandbox.md",
                  f"# Sandbox overhead benchmark\n\n`{' '.join(sys.argv)}`\n\n{table}\n", args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
