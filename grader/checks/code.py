"""Reading the learner's code (never running it): which cell builds a name, and how.

Sources are untrusted text, so parsing is guarded: a syntax error or a pathologically deep
expression just means "can't tell from the code".
"""

from __future__ import annotations

import ast


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
