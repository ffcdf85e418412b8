"""Which notebooks the in-browser Python can run: the modules a notebook imports, against the
modules the site carries.

Pyodide's npm package carries the standard library, except the parts some Pyodide versions ship
as separate packages (sqlite3, ssl, lzma, ...: which ones is read from the site's own
python_stdlib.zip), and PyPI has no WebAssembly builds of numpy or pydantic-core, so a notebook
needing those can't run in the site. It is left out, and the site's README.md says
in one line why and where to run it instead, rather than meeting the learner with an
ImportError.
"""

from __future__ import annotations

import ast
import json
import sys
import zipfile
from pathlib import Path

# Standard-library modules some Pyodide versions ship as separate packages, not in their core.
UNVENDORED = frozenset({"sqlite3", "_sqlite3", "ssl", "_ssl", "lzma", "_lzma", "_hashlib",
                        "pydecimal", "test"})
# What the Pyodide kernel itself brings (its piplite wheels) and Pyodide's own modules.
KERNEL = frozenset({"ipykernel", "pyodide_kernel", "piplite", "widgetsnbextension", "pyodide",
                    "js", "pyodide_js", "_pyodide", "micropip"})


def _code_of(cell_source: str) -> str:
    # IPython magics and shell lines are not Python; they import nothing we must check.
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in cell_source.splitlines())


def imports_of(notebook: Path) -> set[str]:
    """Top-level names of every module the notebook's code cells import."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    found: set[str] = set()
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        try:
            tree = ast.parse(_code_of(source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def unvendored(stdlib_zip: Path) -> frozenset[str]:
    """Which of UNVENDORED this Pyodide's core lacks: those whose Python part is not in its
    python_stdlib.zip (a C part, `_sqlite3`, comes with its Python part, `sqlite3`)."""
    with zipfile.ZipFile(stdlib_zip) as archive:
        tops = {name.split("/", 1)[0].removesuffix(".py") for name in archive.namelist()}
    return frozenset(name for name in UNVENDORED if name.lstrip("_") not in tops)


def missing_modules(notebook: Path, carried: set[str],
                    unavailable: frozenset[str] = UNVENDORED) -> list[str]:
    """Modules the notebook imports that the site's Python won't have, sorted: `unavailable`
    are the standard library's modules it lacks (see `unvendored`)."""
    available = (set(sys.stdlib_module_names) - unavailable) | KERNEL | carried
    return sorted(imports_of(notebook) - available)
