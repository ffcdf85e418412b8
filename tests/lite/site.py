"""Drive the built JupyterLite site in Debian's Chromium, with no network but 127.0.0.1.

Shared by the tests in this folder and ``benchmarks/lite_cold_load.py``.

* :class:`SiteServer` serves a built site (``python3 tasks.py lite``) from 127.0.0.1 on a free
  port, in a thread, and remembers every path asked for (so a test can show nothing came from
  elsewhere and nothing was missing).
* :func:`launch_offline_chromium` starts Chromium with every host but 127.0.0.1 unresolvable
  (``--host-resolver-rules``): a CDN or PyPI fallback would fail, not quietly succeed.
* :func:`open_lite_notebook`, :func:`set_cell_source`, :func:`run_cell` do what a learner does.

Nothing here asserts on timing: waits are generous because the machine may be busy.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import http.server
import json
import re
import shutil
import threading
from pathlib import Path
from typing import Any

from tests.browser.lab import CHROMIUM_ARGS, find_chromium

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "dist" / "lite"
CACHE = ROOT / ".cache" / "lite"
# What the tests' site is built from: a change to any of these builds a new one.
INPUTS = ("notebooks", "grader", "churn_course", "site_builder", "pyproject.toml")
OFFLINE_ARGS = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
KERNEL_TIMEOUT_MS = 120_000  # Pyodide's cold start, on a busy 2-core machine
PAGE_TIMEOUT_MS = 60_000
# Types Python's table may lack or get wrong; the site breaks without the right ones.
_TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
          ".json": "application/json", ".whl": "application/zip", ".ipynb": "application/json"}


def _inputs_digest() -> str:
    digest = hashlib.sha256()
    for name in INPUTS:
        path = ROOT / name
        files = [path] if path.is_file() else sorted(
            p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for file in files:
            digest.update(str(file.relative_to(ROOT)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


def built_test_site() -> Path:
    """The site for the current sources, in the git-ignored cache (keyed by everything it is
    built from, so a second test run reuses it); built on first use, as `tasks.py lite` does
    (a minute; downloads cached). One build at a time: test workers asking at once wait for
    the first one's site."""
    from site_builder.build import build_site

    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".test-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        site = CACHE / f"test-site-{_inputs_digest()}"
        if not (site / "jupyter-lite.json").exists():
            for old in CACHE.glob("test-site-*"):
                shutil.rmtree(old, ignore_errors=True)
            build_site(ROOT, site, CACHE)
    return site


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **_TYPES}

    def log_message(self, format: str, *args: Any) -> None:
        self.server.requests.append((self.command, self.path, args[1] if len(args) > 1 else ""))


class SiteServer:
    """A static server of one site folder on 127.0.0.1, like any static web host."""

    def __init__(self, site: Path = SITE) -> None:
        self.site = site
        handler = functools.partial(_Handler, directory=str(site))
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.requests = []  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def requests(self) -> list[tuple[str, str, str]]:
        return self._httpd.requests  # type: ignore[attr-defined]

    def notebook_url(self, name: str) -> str:
        return f"{self.base_url}/lab/index.html?path={name}"

    def missing(self) -> list[str]:
        """Paths the page asked for that the site does not have (404s)."""
        return [path for _, path, status in self.requests if str(status) == "404"]

    def __enter__(self) -> SiteServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(10)


def launch_offline_chromium(playwright: Any) -> Any:
    executable = find_chromium()
    if executable is None:
        raise RuntimeError("Chromium not found: apt-get install -y chromium")
    return playwright.chromium.launch(executable_path=executable, args=OFFLINE_ARGS,
                                      headless=True, timeout=PAGE_TIMEOUT_MS)


def new_context(browser: Any) -> Any:
    """A fresh browser profile (its own IndexedDB and service worker), laptop-sized; every
    request leaving 127.0.0.1 is also recorded, so a test can show there were none."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  accept_downloads=True)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    context.elsewhere = []
    context.on("request", lambda request: None if request.url.startswith(
        ("http://127.0.0.1", "data:", "blob:")) else context.elsewhere.append(request.url))
    return context


def cell_count(name: str, site: Path) -> int:
    return len(json.loads((site / "files" / name).read_text(encoding="utf-8"))["cells"])


def tagged_index(name: str, tag: str) -> int:
    """Index of the first cell tagged `tag`: read from notebooks/, which the site serves
    unchanged (the tests' site is built in a cache folder, not in dist/lite)."""
    cells = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))["cells"]
    found = [i for i, c in enumerate(cells) if tag in c.get("metadata", {}).get("tags", [])]
    if not found:
        raise AssertionError(f"{name} has no cell tagged {tag!r}")
    return found[0]


def wait_kernel_idle(page: Any, name: str) -> None:
    from playwright.sync_api import expect

    status = page.locator(f"#jp-main-statusbar [title='Change kernel for {name}']")
    expect(status).to_have_text(re.compile(r"^(?!No Kernel).+ \| Idle$"),
                                timeout=KERNEL_TIMEOUT_MS)


def open_lite_notebook(page: Any, server: SiteServer, name: str) -> None:
    """Open a notebook of the site and wait until its cells are on the page and its Pyodide
    kernel is idle (cells run before that meet a "Select Kernel" dialog)."""
    from playwright.sync_api import expect

    page.goto(server.notebook_url(name), wait_until="domcontentloaded")
    expect(page.locator(".jp-Notebook .jp-Cell")).to_have_count(cell_count(name, server.site),
                                                                timeout=KERNEL_TIMEOUT_MS)
    wait_kernel_idle(page, name)


def cell(page: Any, index: int) -> Any:
    return page.locator(".jp-Notebook .jp-Cell").nth(index)


def set_cell_source(page: Any, index: int, source: str) -> None:
    """Replace a code cell's text as a learner would (select all, type), without the editor's
    auto-indent re-indenting what is typed."""
    target = cell(page, index)
    target.scroll_into_view_if_needed()
    target.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(source)


def run_cell(page: Any, index: int) -> Any:
    """Run one cell with Shift+Enter; returns the cell (its output area fills as it runs)."""
    target = cell(page, index)
    target.scroll_into_view_if_needed()
    target.locator(".jp-InputPrompt").click()
    page.keyboard.press("Shift+Enter")
    return target


def run_and_wait(page: Any, index: int, timeout_ms: int = KERNEL_TIMEOUT_MS) -> str:
    """Run one cell and wait until its prompt shows a new execution count; return its output
    text."""
    target = cell(page, index)
    prompt = target.locator(".jp-InputPrompt")
    before = (prompt.text_content() or "").strip()
    run_cell(page, index)
    page.wait_for_function(
        """([element, before]) => {
            const now = element.textContent.trim();
            return /^\\[\\d+\\]:$/.test(now) && now !== before;
        }""", arg=[prompt.element_handle(), before], timeout=timeout_ms)
    return target.locator(".jp-OutputArea").text_content() or ""


def close_context(context: Any) -> None:
    with contextlib.suppress(Exception):
        context.close()
