"""A real Jupyter kernel, driven the way JupyterLab drives one: each execute request carries its
cell's id in the request metadata (`cellId`), so IPython's events see the ids Lab sends."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from kernels import PrivateKernelManager

ROOT = Path(__file__).resolve().parents[2]


class LabKernel:
    def __init__(self, workdir: Path) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT),
                   COURSE_PROGRESS_FILE=str(workdir / "progress.json"),
                   COURSE_QUIZ_ANSWERS=str(workdir / "quiz_answers.json"))
        self.manager = PrivateKernelManager(kernel_name="python3")
        self.manager.start_kernel(cwd=str(workdir), env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        try:
            self.client.wait_for_ready(timeout=60)
        except RuntimeError:
            self.close()
            raise

    def run(self, cell_id: str, source: str, timeout: float = 30,
            silent: bool = False) -> dict[str, Any]:
        """Execute one cell as Lab would; return its outputs (text, html, error name).
        `silent`: as Lab's own background requests, which run no cell (no cell events)."""
        msg = self.client.session.msg("execute_request", {
            "code": source, "silent": silent, "store_history": not silent,
            "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
            metadata={"cellId": cell_id})
        self.client.shell_channel.send(msg)
        out: dict[str, Any] = {"text": "", "html": "", "error": ""}
        while True:
            reply = self.client.get_iopub_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
                continue
            kind, content = reply["msg_type"], reply["content"]
            if kind == "stream":
                out["text"] += content["text"]
            elif kind in ("execute_result", "display_data"):
                out["text"] += content["data"].get("text/plain", "")
                out["html"] += content["data"].get("text/html", "")
            elif kind == "error":
                out["error"] = content["ename"]
            elif kind == "status" and content["execution_state"] == "idle":
                return out

    def verdict(self, step: str) -> list[list]:
        """The structured verdict `check(step)` gives now, read without running a cell:
        [check id, passed, message, hint, started] for each check, then the headline."""
        code = (f"import json as _j\nfrom grader import feedback as _f\nfrom grader.inline import "
                f"judge as _judge, answer_sources as _sources\n"
                f"_r = _judge({step!r}, get_ipython().user_ns, _sources({step!r}, get_ipython()))\n"
                "print(_j.dumps([[c.id, c.passed, c.message, c.hint, c.started] for c in _r.checks]"
                " + [_f.headline(_r)]))")
        out = self.run("", code, silent=True)
        assert not out["error"], out
        return json.loads(out["text"])

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)
