"""Which notebooks the in-browser Python can run: the modules a notebook imports, against the
modules the site carries.

Pyodide's npm package carries the standard library but not the parts Pyodide ships as separate
packages (sqlite3, ssl, lzma, ...), and PyPI has no WebAssembly builds of numpy or pydantic-core,
so a notebook needing those can't run in the site. It is left out, and the site's README.md says
in one line why and where to run it instead, rather than meeting the learner with an
ImportError.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

# Standard-library modules Pyodide ships as separate packages (not in its npm core).
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


def missing_modules(notebook: Path, carried: set[str]) -> list[str]:
    """Modules the notebook imports that the site's Python won't have, sorted."""
    available = (set(sys.stdlib_module_names) - UNVENDORED) | KERNEL | carried
    return sorted(imports_of(notebook) - available)
