"""The grading worker: one learner notebook, run in a fresh process, answered as JSON.

It is forked from a pre-warmed fork server (IPython and the probe already imported), so a
notebook costs milliseconds, not a kernel start. Before any learner code runs it leads its own
process group, closes what it inherited, points stdio at /dev/null and, as root, gets its own
mount, network and IPC namespaces (a private /tmp, the rest read-only), then scrubs the
environment, caps CPU, memory, files and processes and becomes its run's own unprivileged user
(all in `sandbox.enter`); only then does it send READY. Then it runs the cells with IPython's
`InteractiveShell` (so `%magics` and `!`-lines work as in Jupyter), then answers the
questions that came with its job (`probe.answer_all`, exactly as the inline `check(N)` answers
them) and writes one `protocol.Reply` to its pipe as JSON: how each cell's run ended and one
answer per question. It never builds a snapshot nor computes a verdict: the lane's harness
reads the reply against its own questions, with the sources it read from the notebook itself.

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

from ..probe import answer_all
from . import sandbox
from .protocol import MAX_NAME, CellRun, Reply

MAX_RESULT_BYTES = 4 * 1024 * 1024
# Modules whose attributes the probe relies on while it describes learner values.
GUARDED = ("builtins", "grader.probe", "grader.spec", "grader.values", "grader.deadline",
           "grader.questions", "churn_course.quiz_bank",
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


def _run_cells(run_cell: Any, cells: list) -> list[CellRun]:
    """Run every cell; how each run ended (one record per cell, whatever happens)."""
    runs: list[CellRun] = []
    try:
        for cell_id, source in cells:
            result = run_cell(source, store_history=False, silent=False, cell_id=cell_id)
            runs.append(CellRun(_describe_error(result.error_before_exec
                                                or result.error_in_exec)))
    except BaseException as err:  # escaped IPython's own handlers (e.g. a broken shell)
        stopped = f"the notebook stopped before this cell ran ({_describe_error(err)})"
        runs.append(CellRun(_describe_error(err)))
        runs += [CellRun(stopped[:300])] * (len(cells) - len(runs))
    return runs


def run_job(job: dict, conn: Any) -> None:
    """Entry point in the forked worker. `job` comes from the trusted parent (see `pool.py`)."""
    fd, write, dumps, exit_now = conn.fileno(), os.write, json.dumps, os._exit

    def send(data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[write(fd, view):]

    answer = answer_all  # our own reference, taken before learner code runs
    limits = sandbox.Limits(**job["limits"])
    started = time.perf_counter()
    try:
        walls = sandbox.enter(job, keep_fd=fd)
        warm = sys.modules.get("grader.batch.warm")  # the fork server's ready-made shell
        shell = warm.SHELL if warm is not None else make_shell(walls["workdir"])
        run_cell = shell.run_cell
        guard = Guard()
        output = CappedOutput(limits.output_bytes)
    except BaseException as err:  # the walls could not be built: say so, run nothing
        send(sandbox.FAILED + f"the sandbox could not be built: {_describe_error(err)}"
             .encode("utf-8", "replace"))
        exit_now(0)
    send(sandbox.ready_message(walls))  # from here on, everything on the pipe is the learner's
    sys.stdout = sys.stderr = output
    runs = _run_cells(run_cell, list(job["cells"]))
    answers: list = []
    problem, tampered, during = "", [], []
    try:
        sys.stdout, sys.stderr = output, output
        tampered = guard.restore()
        answers = answer(tuple(job["questions"]), shell.user_ns)
    except BaseException as err:
        answers, problem = [], f"the probe could not run: {_describe_error(err)}"[:300]
    try:
        during = guard.restore()  # learner code that ran while answering changed the grader?
    except BaseException as err:
        during = [f"(could not be checked: {_describe_error(err)})"[:MAX_NAME]]
    reply = Reply(tuple(runs), tuple(answers), tuple(tampered), tuple(during),
                  output.getvalue(), output.dropped, problem).to_data()
    reply["seconds"] = time.perf_counter() - started
    try:
        data = dumps(reply).encode()
        if len(data) > MAX_RESULT_BYTES:
            reply["output"] = reply["output"][:2000]
            data = dumps(reply).encode()
        send(data)
    finally:
        exit_now(0)


_ = builtins  # guarded by name above; imported so it is certainly in sys.modules
