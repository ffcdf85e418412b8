"""Reading the learner's code (never running it): which cell builds a name, and how.

Sources are untrusted text, so parsing is guarded: a syntax error or a pathologically deep
expression just means "can't tell from the code".
"""

from __future__ import annotations

import ast
import re


def parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def assigns(node: ast.AST, name: str) -> bool:
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    return any(isinstance(t, ast.Name) and t.id == name for t in targets)


def last_tree_assigning(sources: list[str], name: str) -> ast.Module | None:
    """The most recent cell that assigns `name` at its top level."""
    for source in reversed(sources):
        tree = parse(source)
        if tree and any(assigns(node, name) for node in tree.body):
            return tree
    return None


def calls_to(tree: ast.AST, func: str) -> list[ast.Call]:
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == func]


def mentions(tree: ast.AST, name: str) -> bool:
    return any(isinstance(node, ast.Name) and node.id == name for node in ast.walk(tree))


def has_code(source: str) -> bool:
    """True when a cell holds more than comments and blank lines."""
    tree = parse(source)
    if tree is None:
        return bool(source.strip())
    return bool(tree.body)


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements run when the cell runs: the top level and inside if/for/while/try/with, not
    inside function or class bodies. Iterative, so no nesting can exhaust the stack."""
    found: list[ast.stmt] = []
    todo = list(reversed(body))
    while todo:
        node = todo.pop()
        found.append(node)
        if isinstance(node, (ast.If, ast.For, ast.While, ast.With, ast.Try)):
            inner = [*node.body, *getattr(node, "orelse", []), *getattr(node, "finalbody", [])]
            for handler in getattr(node, "handlers", []) or []:
                inner.extend(handler.body)
            todo.extend(reversed(inner))
    return found


def _binds(node: ast.stmt, name: str) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name == name
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return any((alias.asname or alias.name.split(".")[0]) == name for alias in node.names)
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    return any(isinstance(n, ast.Name) and n.id == name for t in targets for n in ast.walk(t))


def bound_names(tree: ast.Module) -> list[tuple[str, str]]:
    """(name, "def" or "assign") for each name a cell binds when it runs (imports aside)."""
    found: list[tuple[str, str]] = []
    try:
        for node in _top_level(tree.body):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found.append((node.name, "def"))
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found += [(n.id, "assign") for t in targets for n in ast.walk(t)
                          if isinstance(n, ast.Name)]
    except (RecursionError, MemoryError):
        return found
    return list(dict.fromkeys(found))


def compared(tree: ast.Module, name: str) -> ast.Compare | None:
    """A statement that only compares `name` (`threshold == 0.6`): `=` meant, `==` typed."""
    for node in _top_level(tree.body):
        value = node.value if isinstance(node, ast.Expr) else None
        if isinstance(value, ast.Compare) and isinstance(value.left, ast.Name) and \
                value.left.id == name and isinstance(value.ops[0], ast.Eq):
            return value
    return None


def defines(source: str, name: str) -> bool:
    """True when running `source` (re)binds `name`: `name = ...`, `a, name = ...`,
    `def name(...)`, `import ... as name`. A cell Python can't parse is read line by line, so a
    syntax error in the cell that builds `name` still counts as that cell."""
    if name not in source:
        return False
    tree = parse(source)
    if tree is not None:
        try:
            return any(_binds(node, name) for node in _top_level(tree.body))
        except (RecursionError, MemoryError):  # a pathological target: read it line by line
            pass
    pattern = re.compile(rf"^(?:def\s+{re.escape(name)}\b|{re.escape(name)}\s*(?::[^=\n]*)?"
                         r"[-+*/%|&]?=(?!=))", re.MULTILINE)
    return bool(pattern.search(source))
