"""Drive the course in a real JupyterLab, in Debian's Chromium: shared by the browser tests
and ``benchmarks/browser_latency.py``.

* :class:`LabServer` starts ``jupyter lab`` from the project's ``.venv`` on a free port with a
  random token, over a scratch folder holding copies of the notebooks. Everything a run writes
  (progress, quiz answers, JupyterLab settings and workspaces, Jupyter's runtime files) goes
  into that scratch folder, never into the repository or the home directory. JupyterLab's news
  and update pop-ups are switched off there, the way ``tasks.py`` does it for learners.
* :func:`launch_chromium` starts ``/usr/bin/chromium`` through Playwright (Playwright's own
  browser download is not used).
* :func:`open_notebook`, :func:`run_all_cells` and the small helpers below do what a learner
  does: open a notebook, wait for its kernel, Run → Run All Cells.

Nothing here asserts on timing: waits are generous because the machine may be busy.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
SOLUTIONS = ROOT / "solutions"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"

STEP4_NOTEBOOK = "04_batch_and_realtime.ipynb"
QUIZ_NOTEBOOK = "05_practice_quiz.ipynb"
PART2_NOTEBOOK = "06_measure_it.ipynb"

#: The Chromium flags verified on this kind of machine (see /work/shared/ANCHORS.md).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

#: Generous: another engineer's benchmarks may share the 2 cores. Never asserted on.
SERVER_START_TIMEOUT_S = 120.0
PAGE_TIMEOUT_MS = 60_000  # Playwright actions and waits
EXPECT_TIMEOUT_MS = 30_000  # Playwright's auto-retrying expect(...) assertions
KERNEL_TIMEOUT_MS = 90_000  # a kernel starting, or all cells running

# Kept equal to tasks.py's LAB_OVERRIDES when that file can be read (see _lab_overrides).
_FALLBACK_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    }
}


NO_CHROMIUM = (
    "the browser tests drive Debian's Chromium, and neither /usr/bin/chromium nor `chromium` "
    "on PATH was found: apt-get install -y chromium"
)


def find_chromium() -> str | None:
    """Debian's Chromium: /usr/bin/chromium, else ``chromium`` on PATH; None if neither."""
    default = Path("/usr/bin/chromium")
    if default.is_file() and os.access(default, os.X_OK):
        return str(default)
    return shutil.which("chromium")


def _lab_overrides() -> dict[str, Any]:
    """tasks.py's JupyterLab overrides (one source of truth), or a copy if it can't be read."""
    spec = importlib.util.spec_from_file_location("_course_tasks", ROOT / "tasks.py")
    if spec is None or spec.loader is None:
        return _FALLBACK_OVERRIDES
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception:  # a broken tasks.py is tested elsewhere; don't hide the browser tests
        return _FALLBACK_OVERRIDES
    return getattr(module, "LAB_OVERRIDES", _FALLBACK_OVERRIDES)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_notebook(source: Path, target: Path, *, empty_answers: bool = False) -> None:
    """Copy a solved notebook with its stored outputs cleared (and its answers, if asked).

    The solutions are committed with their outputs (nbval compares them), so without
    clearing, "Step 4 passed" would be on the page before any kernel ran: cleared, every
    output a test reads comes from the live kernel. ``empty_answers`` empties the cells
    tagged ``answer``: the quiz notebook's one calls ``answer(...)`` for all ten questions,
    while a learner using the widget has answered none.
    """
    import nbformat  # slow to import (jsonschema): only where it is needed

    notebook = nbformat.read(source, as_version=4)
    emptied = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        if empty_answers and "answer" in cell.metadata.get("tags", []):
            cell.source = "# Answer the questions here if the widgets don't show"
            emptied += 1
    if empty_answers and emptied != 1:
        raise RuntimeError(f"expected one answer cell in {source.name}, found {emptied}")
    notebook.metadata.pop("widgets", None)  # stale widget state from the stored run
    nbformat.write(notebook, target)


def _descendants(pid: int) -> list[int]:
    """Every live process under ``pid`` (kernels run in their own session, so a group kill
    would miss them). Linux /proc; empty elsewhere."""
    children: dict[int, list[int]] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: parse after the last ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LabServer:
    """One JupyterLab server over a scratch copy of the notebooks; use it as a context manager.

    ``progress_file`` and ``quiz_answers_file`` are where the notebooks' kernels record the
    learner's progress and quiz answers (the server's environment points them there).
    ``server_config``, if given, is written as the server's private ``jupyter_server_config.py``
    (the latency benchmark uses it to compare a server tweak).
    """

    def __init__(self, server_config: str = "") -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="course-browser-"))
        self.root_dir = self.scratch / "notebooks"
        self.progress_file = self.scratch / "learner" / "progress.json"
        self.quiz_answers_file = self.scratch / "learner" / "quiz_answers.json"
        self.log_file = self.scratch / "jupyter-lab.log"
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._server_config = server_config

    # ------------------------------------------------------------------ set-up

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, **query: str) -> str:
        params = "&".join([f"token={self.token}", *(f"{k}={v}" if v else k for k, v in
                                                    query.items())])
        return f"{self.base_url}{path}?{params}"

    def notebook_url(self, name: str) -> str:
        """Open ``name`` in a fresh workspace (``reset``), as the anchors describe."""
        return self.url(f"/lab/tree/{name}", reset="")

    def _prepare(self) -> dict[str, str]:
        self.root_dir.mkdir(parents=True)
        copy_notebook(SOLUTIONS / STEP4_NOTEBOOK, self.root_dir / STEP4_NOTEBOOK)
        copy_notebook(SOLUTIONS / QUIZ_NOTEBOOK, self.root_dir / QUIZ_NOTEBOOK,
                      empty_answers=True)
        copy_notebook(SOLUTIONS / PART2_NOTEBOOK, self.root_dir / PART2_NOTEBOOK)

        # JupyterLab settings: user settings for the notification plugin, plus the same
        # overrides tasks.py writes into .venv, given here through a private config dir
        # (labconfig/default_setting_overrides.json) so the venv is never touched.
        overrides = _lab_overrides()
        config_dir = self.scratch / "jupyter-config"
        (config_dir / "labconfig").mkdir(parents=True)
        (config_dir / "labconfig" / "default_setting_overrides.json").write_text(
            json.dumps(overrides, indent=2))
        if self._server_config:
            (config_dir / "jupyter_server_config.py").write_text(self._server_config)
        settings_dir = self.scratch / "lab-user-settings"
        for plugin_id, values in overrides.items():
            package, _, plugin = plugin_id.partition(":")
            target = settings_dir / package / f"{plugin}.jupyterlab-settings"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values, indent=2))

        env = dict(os.environ)
        env.update(
            COURSE_PROGRESS_FILE=str(self.progress_file),
            COURSE_QUIZ_ANSWERS=str(self.quiz_answers_file),
            JUPYTER_CONFIG_DIR=str(config_dir),
            JUPYTERLAB_SETTINGS_DIR=str(settings_dir),
            JUPYTERLAB_WORKSPACES_DIR=str(self.scratch / "lab-workspaces"),
            JUPYTER_RUNTIME_DIR=str(self.scratch / "jupyter-runtime"),
            JUPYTER_PLATFORM_DIRS="1",
            PYTHONUNBUFFERED="1",
        )
        env.pop("JUPYTER_TOKEN", None)
        # The kernel must be the venv's python (it has the course installed).
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
        return env

    def start(self) -> LabServer:
        env = self._prepare()
        command = [
            str(VENV_BIN / "jupyter"), "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        log = self.log_file.open("wb")
        try:
            self.process = subprocess.Popen(
                command, cwd=self.root_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            log.close()
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        status = self.url("/api/status")
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(status, timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"jupyter lab did not answer within {SERVER_START_TIMEOUT_S:.0f} s:\n"
                    f"{self.log_tail()}")
            time.sleep(0.25)
        # The lab page itself (not just the API) must be served: the app's assets are built.
        with urllib.request.urlopen(self.url("/lab"), timeout=30) as response:
            if response.status != 200:
                raise RuntimeError(f"/lab answered {response.status}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    # ---------------------------------------------------------------- shutdown

    def stop(self) -> None:
        """Shut the server down for sure: politely (kernels too), then by force, by pid."""
        process = self.process
        if process is None:
            return
        self.process = None
        if process.poll() is None:
            spawned = _descendants(process.pid)
            with contextlib.suppress(urllib.error.URLError, OSError):
                request = urllib.request.Request(self.url("/api/shutdown"), method="POST")
                urllib.request.urlopen(request, timeout=10).close()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
            # Kernels live in sessions of their own: end any that outlived the server.
            for pid in spawned:
                if _alive(pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
        # Kill the process group in any case: helpers the server started in its own group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> LabServer:
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


# ----------------------------------------------------------------------- browser


def launch_chromium(playwright: Any, executable: str | None = None) -> Any:
    """Debian's Chromium through Playwright, headless, with the verified flags."""
    executable = executable or find_chromium()
    if executable is None:
        raise RuntimeError("Chromium not found: apt-get install -y chromium")
    return playwright.chromium.launch(
        executable_path=executable, args=CHROMIUM_ARGS, headless=True, timeout=PAGE_TIMEOUT_MS)


def new_page(browser: Any) -> Any:
    """A page in a fresh context, sized like a laptop screen, with generous timeouts."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    return context.new_page()


def open_notebook(page: Any, server: LabServer, name: str) -> None:
    """Open a notebook; wait until all its cells are on the page and its kernel is ready."""
    from playwright.sync_api import expect

    cells = len(json.loads((server.root_dir / name).read_text(encoding="utf-8"))["cells"])
    page.goto(server.notebook_url(name), wait_until="domcontentloaded")
    page.locator(".jp-Notebook").first.wait_for(state="visible", timeout=KERNEL_TIMEOUT_MS)
    # JupyterLab attaches a long notebook's cells a few at a time.
    expect(page.locator(".jp-Notebook .jp-Cell")).to_have_count(cells, timeout=PAGE_TIMEOUT_MS)
    wait_kernel_idle(page, name)


def wait_kernel_idle(page: Any, name: str) -> None:
    """Wait until the notebook's kernel is started, connected and idle.

    The toolbar's ``.jp-Notebook-ExecutionIndicator[data-status='idle']`` alone is not
    enough: it says "idle" by default as soon as the notebook is attached, before the kernel
    has even started (then "connecting", "unknown", and "idle" again). Run All pressed in that
    first "idle" can be lost. The status bar's kernel item reads the session itself.
    """
    from playwright.sync_api import expect

    status = page.locator(f"#jp-main-statusbar [title='Change kernel for {name}']")
    expect(status).to_have_text(re.compile(r"^(?!No Kernel).+ \| Idle$"),
                                timeout=KERNEL_TIMEOUT_MS)
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(
        state="attached", timeout=KERNEL_TIMEOUT_MS)


def run_all_cells(page: Any, menu_bar: str = "#jp-menu-panel") -> None:
    """Run → Run All Cells from the menu bar, as a learner would; wait until every code cell
    has run (each prompt shows its execution count).

    ``menu_bar`` is JupyterLab's; Notebook 7 calls its own ``#menu-panel``.

    Cells outside the viewport are not rendered (JupyterLab's default windowing uses CSS
    ``content-visibility``), so their ``innerText`` is empty and they are not "visible" to
    Playwright: read ``textContent``, wait for outputs to be attached, scroll before looking.
    """
    from playwright.sync_api import expect

    page.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.locator(f"{menu_bar} .lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    item = page.locator(".lm-Menu-item[data-command='runmenu:run-all']")
    expect(item).to_be_visible()
    expect(item).not_to_have_class(re.compile(r"\blm-mod-disabled\b"))
    item.click()
    prompts = page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt")
    try:
        page.wait_for_function(
            """() => {
                const prompts = [...document.querySelectorAll(
                    '.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
                return prompts.length > 0
                    && prompts.every(p => /^\\[\\d+\\]:$/.test(p.textContent.trim()));
            }""",
            timeout=KERNEL_TIMEOUT_MS)
    except Exception as error:
        shown = prompts.evaluate_all("ps => ps.map(p => p.textContent.trim())")
        raise AssertionError(f"Run All Cells did not finish; the prompts show {shown}") from error


def tagged_cell(page: Any, server: LabServer, name: str, tag: str) -> Any:
    """The one cell of notebook ``name`` tagged ``tag`` (``check``, ``answer``).

    Found by its position in the notebook file: JupyterLab draws a cell's code editor only
    once it scrolls into view, so the cell's source text can't be searched for on the page.
    """
    cells = json.loads((server.root_dir / name).read_text(encoding="utf-8"))["cells"]
    found = [i for i, cell in enumerate(cells) if tag in cell.get("metadata", {}).get("tags", [])]
    if len(found) != 1:
        raise AssertionError(f"{name} has {len(found)} cells tagged {tag!r}, expected one")
    return page.locator(".jp-Notebook .jp-Cell").nth(found[0])


def run_cell(page: Any, cell: Any) -> None:
    """Select one cell (click its prompt) and run it with Shift+Enter, as a learner would."""
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputPrompt").click()
    page.keyboard.press("Shift+Enter")


def close_page(page: Any) -> None:
    with contextlib.suppress(Exception):
        page.context.close()


# ------------------------------------------------------------- the serving panel

SLIDER_HANDLE = ".serving-slider .noUi-handle"
SLIDER_READOUT = ".serving-slider .widget-readout"
BADGE = ".serving-badge"
NEWEST_LOG_INPUT = ".serving-log tbody tr:first-child td:nth-child(2)"


def open_serving_panel(page: Any, server: LabServer) -> None:
    """Open the step 4 notebook, run all cells, and wait for the live panel."""
    open_notebook(page, server, STEP4_NOTEBOOK)
    run_all_cells(page)
    page.locator(SLIDER_HANDLE).wait_for(state="attached", timeout=KERNEL_TIMEOUT_MS)
    page.locator(".serving-panel").scroll_into_view_if_needed()


def slider_readout(page: Any) -> float:
    return round(float((page.locator(SLIDER_READOUT).text_content() or "").strip()), 2)


def step_slider(page: Any, key: str) -> float:
    """Press one arrow key on the focused slider handle, and wait until the kernel has
    served the new value (its request is the newest in the log). Returns the new value."""
    from playwright.sync_api import expect

    before = slider_readout(page)
    after = round(before + (0.01 if key in ("ArrowRight", "ArrowUp") else -0.01), 2)
    page.locator(SLIDER_HANDLE).press(key)
    expect(page.locator(SLIDER_READOUT)).to_have_text(f"{after:.2f}")
    expect(page.locator(NEWEST_LOG_INPUT)).to_have_text(f"slider: feature {after:g}")
    return after


def move_slider_to(page: Any, target: float) -> None:
    """Walk the slider to ``target`` one arrow key at a time (one request per step)."""
    for _ in range(200):
        current = slider_readout(page)
        if abs(current - target) < 0.005:
            return
        step_slider(page, "ArrowRight" if current < target else "ArrowLeft")
    raise AssertionError(f"the slider never reached {target:.2f}")


# ------------------------------------------------------------------ rendered look


def computed(locator: Any, *properties: str) -> dict[str, str]:
    """The browser's computed CSS ``properties`` of the first element ``locator`` finds."""
    return locator.first.evaluate(
        "(e, names) => Object.fromEntries("
        "names.map(n => [n, getComputedStyle(e).getPropertyValue(n)]))",
        list(properties))


def px(value: str) -> float:
    """A computed length such as "12px" as a number ("normal" and the like fail loudly)."""
    if not value.endswith("px"):
        raise AssertionError(f"expected a length in px, got {value!r}")
    return float(value[:-2])


def is_cut_short(locator: Any) -> bool:
    """Whether the first element ``locator`` finds is too narrow for its text (an ellipsis)."""
    return locator.first.evaluate("e => e.scrollWidth > e.clientWidth + 1")
