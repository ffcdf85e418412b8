"""The grading worker: one learner notebook, run in a fresh process, answered as JSON.

It is forked from a pre-warmed fork server (`forkserver.py`: IPython and the probe already
imported), so a notebook costs milliseconds, not a kernel start. Two parts, kept apart:

- `run_worker`, before READY, still the grader's: join the slot's cgroups, read the job, build
  the walls (`sandbox.enter`: a private /tmp in the allowlist view, limits, its own user id,
  Landlock, the seccomp filter, refusals in words), then send READY;
- `answer`, after READY, the learner's: it runs the cells with IPython's
`InteractiveShell` (so `%magics` and `!`-lines work as in Jupyter), then answers the questions
that came with its job (`probe.answer_all`, exactly as the inline `check(N)` answers them) and
writes one `protocol.Reply` to its pipe as JSON: how each cell's run ended (and what the cells
the checks read printed) and one answer per question. It never builds a snapshot nor computes
a verdict: the lane's harness reads the reply against its own questions, with the sources it
read from the notebook itself.

Learner code shares this process, so it *can* tamper with what runs here. The worker holds its
own references to everything it needs, restores the probe's modules and the builtins before the
probe runs and reports any tampering; the worst a determined learner can do is forge their own
answers, which must then be what right code computes on inputs drawn for this run.
Imports are kept to what the fork server preloads anyway.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import sys
import threading
import time
from typing import Any

from churn_course import quiz_record as _quiz_record  # noqa: F401  (loaded before learner code)

from ..probe import MAX_PRINTED, answer_all
from ..questions import question_from_data
from . import sandbox
from .protocol import FAILED, MAX_NAME, CellRun, ForkRequest, Reply, WorkerJob, decode

MAX_RESULT_BYTES = 4 * 1024 * 1024
# Modules whose attributes the probe relies on while it describes learner values.
GUARDED = ("builtins", "grader.probe", "grader.spec", "grader.sources", "grader.values",
           "grader.deadline", "grader.questions", "churn_course.quiz_bank",
           "churn_course.quiz_record", "grader.batch.worker", "grader.batch.protocol",
           "grader.part2.probe", "grader.part2.asgi", "grader.part2.calls",
           "grader.part2.batch", "grader.part2.serving", "grader.part2.measure",
           "grader.part2.fallback", "grader.part2.scenario_endpoint", "grader.part2.questions",
           "json", "json.encoder", "json.decoder",
           "contextlib", "io", "signal", "inspect", "IPython.core.inputtransformer2")
OURS = ("grader.", "churn_course.")  # modules whose functions' code is restored too


class CappedOutput(io.TextIOBase):
    """Learner stdout/stderr: kept up to a cap, the rest counted and dropped (so 100 MB of
    prints costs time, not memory)."""

    def __init__(self, cap: int) -> None:
        super().__init__()
        self._parts: list[str] = []
        self._kept = 0
        self._cap = cap
        self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, text: Any) -> int:
        text = text if isinstance(text, str) else str(text)
        room = self._cap - self._kept
        if room > 0:
            part = text[:room]
            self._parts.append(part)
            self._kept += len(part)
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def getvalue(self) -> str:
        return "".join(self._parts)


class CellPrints(io.TextIOBase):
    """The learner's stdout: everything goes on to the capped output, and what each cell
    prints is also kept on its own (up to `MAX_PRINTED`), as the inline recorder keeps it."""

    def __init__(self, output: CappedOutput) -> None:
        super().__init__()
        self._output = output
        self._parts: list[str] = []
        self._kept = 0

    def writable(self) -> bool:
        return True

    def write(self, text: Any) -> int:
        text = text if isinstance(text, str) else str(text)
        if self._kept < MAX_PRINTED:
            self._parts.append(text[:MAX_PRINTED - self._kept])
            self._kept += len(self._parts[-1])
        return self._output.write(text)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def take(self) -> str:
        """What was printed since the last `take`."""
        text, self._parts, self._kept = "".join(self._parts), [], 0
        return text


class Guard:
    """A copy of the attributes the probe depends on, taken before learner code runs."""

    def __init__(self) -> None:
        self._modules = {name: sys.modules[name] for name in GUARDED if name in sys.modules}
        self._dicts = {name: dict(mod.__dict__) for name, mod in self._modules.items()}
        self._functions: list[tuple[Any, tuple]] = []
        self._classes: list[tuple[type, dict]] = []
        for name, namespace in self._dicts.items():
            if not name.startswith(OURS):
                continue
            for value in namespace.values():
                if getattr(value, "__module__", None) != name:
                    continue
                if isinstance(value, type):
                    self._classes.append((value, dict(value.__dict__)))
                elif hasattr(value, "__code__"):
                    self._functions.append((value, (value.__code__, value.__defaults__,
                                                    value.__kwdefaults__)))

    def restore(self) -> list[str]:
        """Put everything back; name what had been changed (for the instructor's notes)."""
        changed: set[str] = set()
        for name, module in self._modules.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
                changed.add(name)
            current, saved = module.__dict__, self._dicts[name]
            if any(current.get(k, saved) is not v for k, v in saved.items() if k in current) \
                    or not saved.keys() <= current.keys():
                changed.add(name)
                current.update(saved)
            if name != "builtins" and current.keys() - saved.keys():
                for extra in current.keys() - saved.keys():
                    del current[extra]
        for func, (code, defaults, kwdefaults) in self._functions:
            if (func.__code__, func.__defaults__, func.__kwdefaults__) != (code, defaults,
                                                                          kwdefaults):
                changed.add(func.__module__)
                func.__code__, func.__defaults__, func.__kwdefaults__ = code, defaults, kwdefaults
        for cls, saved_attrs in self._classes:
            current_attrs = dict(cls.__dict__)
            if current_attrs != saved_attrs:
                changed.add(cls.__module__)
                for key in current_attrs.keys() - saved_attrs.keys():
                    delattr(cls, key)
                for key, value in saved_attrs.items():
                    if key not in ("__dict__", "__weakref__", "__doc__") and \
                            current_attrs.get(key) is not value:
                        setattr(cls, key, value)
        sys.settrace(None)
        sys.setprofile(None)
        threading.settrace(None)  # type: ignore[arg-type]
        threading.setprofile(None)  # type: ignore[arg-type]
        return sorted(str(name)[:MAX_NAME] for name in changed)[:50]


def _describe_error(err: BaseException | None) -> str:
    if err is None:
        return ""
    try:
        text = str(err)
    except BaseException:  # a learner exception whose __str__ raises
        text = ""
    name = type(err).__name__
    return (f"{name}: {text}" if text else name)[:300]


def make_shell(workdir: str) -> Any:
    """A plain IPython shell: no history thread, no colours, bare expressions not echoed."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.xmode = "Plain"
    config.InteractiveShell.ast_node_interactivity = "none"
    shell = InteractiveShell.instance(config=config, ipython_dir=os.path.join(workdir, ".ipython"))
    return shell


def _read_job(fd: int) -> WorkerJob:
    """The job the lane wrote for this worker alone (a memfd: never through the fork server)."""
    parts = []
    while chunk := os.read(fd, 1 << 20):
        parts.append(chunk)
    os.close(fd)
    return decode(WorkerJob, b"".join(parts))


def run_worker(request: ForkRequest, fds: list[int], server: Any) -> None:
    """Entry point in the forked worker: join the slot's cgroups, read the job, build the
    walls (`sandbox.enter`), say READY, answer. Never returns."""
    job_fd, result_fd, *groups = fds
    write, exit_now = os.write, os._exit

    def send(data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[write(result_fd, view):]

    try:
        for fd in groups:  # first: every page this worker touches from here is charged there
            write(fd, b"0")
            os.close(fd)
        job = _read_job(job_fd)
        handshake = sandbox.enter(job, request, server, result_fd)
        warm = sys.modules.get("grader.batch.warm")  # the fork server's ready-made shell, and
        shell = warm.SHELL if warm is not None else make_shell(os.getcwd())  # its copy of
        guard = warm.GUARD if warm is not None else Guard()  # the probe's modules
    except BaseException as err:  # the walls could not be built: say so, run nothing
        send(FAILED + f"the sandbox could not be built: {_describe_error(err)}"
             .encode("utf-8", "replace"))
        exit_now(0)
    send(handshake.message())  # from here on, everything on the pipe is the learner's
    answer(job, shell, guard, send)
    exit_now(0)


def _run_cells(run_cell: Any, job: WorkerJob, prints: CellPrints) -> list[CellRun]:
    """Run every cell; how each run ended, and what it printed when the checks read it (one
    record per cell, whatever happens)."""
    told = set(job.sources)
    runs: list[CellRun] = []
    try:
        for cell_id, source in job.cells:
            prints.take()
            result = run_cell(source, store_history=False, silent=False, cell_id=cell_id)
            printed = prints.take()
            runs.append(CellRun(_describe_error(result.error_before_exec or result.error_in_exec),
                                printed if (cell_id, source) in told else None))
    except BaseException as err:  # escaped IPython's own handlers (e.g. a broken shell)
        stopped = f"the notebook stopped before this cell ran ({_describe_error(err)})"
        for index, (cell_id, source) in enumerate(job.cells[len(runs):]):
            error = _describe_error(err) if index == 0 else stopped[:300]
            runs.append(CellRun(error, "" if (cell_id, source) in told else None))
    return runs


def answer(job: WorkerJob, shell: Any, guard: Guard, send: Any) -> None:
    """After READY, as the learner's own process: run the cells, answer the questions, send
    the reply."""
    dumps = json.dumps
    answer_with = answer_all  # our own reference, taken before learner code runs
    asked = tuple(question_from_data(q) for q in job.questions)
    output = CappedOutput(job.limits.output_bytes)
    prints = CellPrints(output)
    started = time.perf_counter()
    sys.stdout, sys.stderr = prints, output
    runs = _run_cells(shell.run_cell, job, prints)
    answers: list = []
    problem, tampered, during = "", [], []
    try:
        sys.stdout, sys.stderr = output, output
        tampered = guard.restore()
        answers = answer_with(asked, shell.user_ns)
    except BaseException as err:
        answers, problem = [], f"the probe could not run: {_describe_error(err)}"[:300]
    try:
        during = guard.restore()  # learner code that ran while answering changed the grader?
    except BaseException as err:
        during = [f"(could not be checked: {_describe_error(err)})"[:MAX_NAME]]
    reply = Reply(tuple(runs), tuple(answers), tuple(tampered), tuple(during),
                  output.getvalue(), output.dropped, problem).to_data()
    reply["seconds"] = time.perf_counter() - started
    data = dumps(reply).encode()
    if len(data) > MAX_RESULT_BYTES:
        reply["output"] = reply["output"][:2000]
        data = dumps(reply).encode()
    send(data)


_ = builtins  # guarded by name above; imported so it is certainly in sys.modules
