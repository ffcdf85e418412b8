"""axe-core, the accessibility engine, run in Chromium on the pages the project renders.

axe-core comes from npm (`npm pack`, the way the site builder fetches Pyodide) once, into
`.cache/axe/`; without npm the accessibility tests are skipped with one sentence saying what to
install. A page passes when axe finds no *serious* or *critical* violation in it (or in the
part of it a widget occupies, inside JupyterLab).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VERSION = "4.10.3"
CACHE = ROOT / ".cache" / "axe" / f"axe-core-{VERSION}.min.js"
NO_NPM = ("the accessibility tests run axe-core, fetched once with npm, and npm was not found: "
          "apt-get install -y npm (or install Node.js), then run the tests again")
SERIOUS = ("serious", "critical")


class AxeUnavailable(RuntimeError):
    """axe-core could not be fetched (the message says why, in one sentence)."""


def axe_source() -> str:
    """The text of axe.min.js, fetched with npm on first use."""
    if CACHE.exists():
        return CACHE.read_text(encoding="utf-8")
    npm = shutil.which("npm")
    if npm is None:
        raise AxeUnavailable(NO_NPM)
    with tempfile.TemporaryDirectory(prefix="axe-") as scratch:
        done = subprocess.run([npm, "pack", f"axe-core@{VERSION}", "--silent"], cwd=scratch,
                              capture_output=True, text=True, timeout=300)
        tarballs = list(Path(scratch).glob("axe-core-*.tgz"))
        if done.returncode or not tarballs:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise AxeUnavailable(f"`npm pack axe-core@{VERSION}` failed ({last}); check that "
                                 "the npm registry can be reached")
        with tarfile.open(tarballs[0]) as tar:
            member = tar.extractfile("package/axe.min.js")
            assert member is not None
            source = io.TextIOWrapper(member, encoding="utf-8").read()
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    partial = CACHE.with_suffix(f".{os.getpid()}.part")  # two test workers may fetch at once
    partial.write_text(source, encoding="utf-8")
    partial.replace(CACHE)
    return source


def violations(page: Any, source: str, include: str | None = None,
               exclude: tuple[str, ...] = ()) -> list[dict]:
    """axe's serious and critical violations on `page` (within the elements matching the CSS
    selector `include`, when given, leaving out those matching `exclude`), each as {id,
    impact, help, nodes: [html, ...]}."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    found = page.evaluate(
        """async ([include, exclude]) => {
            const context = {include: include ? [[include]] : [document],
                             exclude: exclude.map(e => [e])};
            const result = await axe.run(context, {resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.html.slice(0, 300))}));
        }""", [include, list(exclude)])
    return [v for v in found if v["impact"] in SERIOUS]


def describe(found: list[dict]) -> str:
    """The violations in words, for an assertion message."""
    return "\n".join(f"{v['impact']}: {v['id']} ({v['help']}): {v['nodes'][:3]}" for v in found)
