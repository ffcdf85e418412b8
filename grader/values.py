"""Learner values as plain, typed JSON, and back.

The probe (in the learner's process) describes each value it finds with `describe`; the trusted
side rebuilds it with `rebuild`, which only ever makes built-in containers and scalars. A tuple
stays a tuple and `"0.6"` stays a string, so checks can tell `(101, 0.2)` from `[101, 0.2]`
without ever holding a learner object. Sizes are capped on both sides (items per container,
depth, values in all, characters of each text, parameter and type name): a learner value can't
make the snapshot large, and a forged one can't make the grader recurse or allocate much.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

MAX_ITEMS = 50
MAX_DEPTH = 6
MAX_TEXT = 2000
MAX_NODES = 2000  # values in one description, all levels together
MAX_NAME = 200  # a type's name, one parameter as `inspect` writes it (`a: int = 3`)
MAX_PARAMS = 20

_SEQUENCES = {list: "list", tuple: "tuple", set: "set", frozenset: "frozenset"}


class SnapshotError(ValueError):
    """A snapshot that is not what the probe writes: refused before any check reads it."""


@dataclass(frozen=True)
class Opaque:
    """Something that is not plain data (a function, a generator, a learner's own class)."""

    type_name: str
    text: str = ""
    is_callable: bool = False
    params: tuple[str, ...] | None = None  # None: a callable whose signature can't be read


def with_article(name: str) -> str:
    """"a dict", "an int", "an ndarray" (said "en-dee array"): a type's name in a sentence."""
    sound = name[:1].lower() in "aeiou" or name.lower().startswith("nd")
    return f"{'an' if sound else 'a'} {name}"


def _safe_repr(value: object) -> str:
    try:
        text = repr(value)
    except BaseException:  # a learner __repr__ may raise anything
        return f"<{type(value).__name__}>"
    return text if len(text) <= 200 else text[:197] + "..."


def _short(text: str, limit: int = MAX_NAME) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _numpy_scalar(value: Any) -> Any:
    """numpy's own number and bool scalars (`np.float64(0.6)`, what numpy code gives back) as
    the Python value they hold; anything else as it is."""
    numpy = sys.modules.get("numpy")
    kind = type(value)
    if numpy is None or getattr(kind, "__module__", "") != "numpy" or not isinstance(
            value, (numpy.integer, numpy.floating, numpy.bool_)):
        return value
    try:
        plain = value.item()
    except Exception:
        return value
    return plain if type(plain) in (bool, int, float) else value


def describe(value: Any, depth: int = 0, budget: list[int] | None = None) -> dict:
    """Plain-JSON description of `value` (runs beside learner code, so it trusts nothing).
    At most `MAX_NODES` values are described; a container met after that is described as a
    container too large to describe."""
    budget = [MAX_NODES] if budget is None else budget
    budget[0] -= 1
    value = _numpy_scalar(value)
    kind = type(value)
    if value is None:
        return {"t": "none"}
    if kind is bool:
        return {"t": "bool", "v": value}
    if kind is int:
        text = str(value) if value.bit_length() < 256 else "big"
        return {"t": "int", "v": text}
    if kind is float:
        return {"t": "float", "v": repr(value)}
    if kind is str:
        return {"t": "str", "v": value[:MAX_TEXT], "n": len(value)}
    if kind in _SEQUENCES or kind is dict:
        if depth >= MAX_DEPTH:
            return {"t": "object", "type": kind.__name__, "text": "(nested too deeply)"}
        if budget[0] <= 0:
            return {"t": "object", "type": kind.__name__, "text": "(too large to describe)"}
        items: list = []
        if kind is dict:
            for key, item in list(value.items())[:MAX_ITEMS]:
                if budget[0] <= 0:
                    break
                items.append([describe(key, depth + 1, budget),
                              describe(item, depth + 1, budget)])
        else:
            elements = list(value)
            if kind in (set, frozenset):
                elements.sort(key=_safe_repr)
            for item in elements[:MAX_ITEMS]:
                if budget[0] <= 0:
                    break
                items.append(describe(item, depth + 1, budget))
        return {"t": _SEQUENCES.get(kind, "dict"), "items": items, "n": len(value)}
    type_name = _short(kind.__name__)
    if callable(value):
        return {"t": "callable", "type": type_name, "text": _safe_repr(value),
                "params": _parameters(value)}
    return {"t": "object", "type": type_name, "text": _safe_repr(value)}


def _parameters(func: object) -> list[str] | None:
    """Each parameter as `inspect` writes it (`limit=0.6`), shortened: an annotation or a
    default can be any length."""
    import inspect

    try:
        params = list(inspect.signature(func).parameters.values())  # type: ignore[arg-type]
        return [_short(str(p)) for p in params[:MAX_PARAMS]]
    except Exception:  # not introspectable, or a learner object whose attributes raise
        return None


def _text(value: object, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise SnapshotError("expected a short string")
    return value


def rebuild(data: object, depth: int = 0, budget: list[int] | None = None) -> Any:
    """Turn a description back into built-in values; refuse anything malformed, or larger than
    `describe` ever writes."""
    budget = [MAX_NODES + MAX_ITEMS] if budget is None else budget
    budget[0] -= 1
    if budget[0] < 0:
        raise SnapshotError("a value holds too many values")
    if depth > MAX_DEPTH + 1 or not isinstance(data, dict):
        raise SnapshotError("malformed value")
    tag = data.get("t")
    if tag == "none":
        return None
    if tag == "bool" and isinstance(data.get("v"), bool):
        return data["v"]
    if tag == "int":
        text = _text(data.get("v"), 100)
        if text == "big":
            return Opaque("int", "a very large integer")
        try:
            return int(text)
        except ValueError as err:
            raise SnapshotError("malformed int") from err
    if tag == "float":
        try:
            return float(_text(data.get("v"), 40))
        except ValueError as err:
            raise SnapshotError("malformed float") from err
    if tag == "str":
        return _text(data.get("v"))
    if tag in ("list", "tuple", "set", "frozenset", "dict"):
        items = data.get("items")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise SnapshotError("malformed container")
        if tag == "dict":
            pairs = []
            for pair in items:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise SnapshotError("malformed dict")
                key = rebuild(pair[0], depth + 1, budget)
                try:
                    hash(key)
                except TypeError as err:
                    raise SnapshotError("unhashable dict key") from err
                pairs.append((key, rebuild(pair[1], depth + 1, budget)))
            return dict(pairs)
        elements = [rebuild(item, depth + 1, budget) for item in items]
        if tag == "list":
            return elements
        if tag == "tuple":
            return tuple(elements)
        try:
            return set(elements) if tag == "set" else frozenset(elements)
        except TypeError as err:
            raise SnapshotError("unhashable set item") from err
    if tag in ("object", "callable"):
        type_name = _text(data.get("type"), MAX_NAME)
        text = _text(data.get("text", ""), 400)
        params = data.get("params")
        if tag == "callable":
            if params is not None and not (
                isinstance(params, list) and len(params) <= MAX_PARAMS
                and all(isinstance(p, str) and len(p) <= MAX_NAME for p in params)
            ):
                raise SnapshotError("malformed parameters")
            return Opaque(type_name, text, True, tuple(params) if params is not None else None)
        return Opaque(type_name, text)
    raise SnapshotError(f"unknown value tag {tag!r}")
