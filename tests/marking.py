"""Marks by folder: each test folder's conftest says, in one line, what its tests are.

    # tests/grading/conftest.py
    pytest_collection_modifyitems = marks_below(Path(__file__).parent, "slow")

Every test collected below that folder gets the marks, including tests added later by someone
who never reads this: a test put in a slow folder is slow, unless its folder's conftest names
its module as quick (``quick=``). `python3 tasks.py test --quick` leaves out what is slow
(``-m "not slow"``); `python3 tasks.py test` runs everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest


def marks_below(folder: Path, *marks: str,
                quick: Iterable[str] = ()) -> Callable[[list[pytest.Item]], None]:
    """A `pytest_collection_modifyitems` hook adding `marks` to every test below `folder`,
    except those in the modules named in `quick` (file names in `folder`)."""
    folder = folder.resolve()
    fast = {folder / name for name in quick}

    def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
        for item in items:
            path = Path(str(item.path)).resolve()
            if path.is_relative_to(folder) and path not in fast:
                for mark in marks:
                    item.add_marker(mark)

    return pytest_collection_modifyitems
