"""Notebooks run in real kernels: slow (see tests/marking.py)."""

from pathlib import Path

from tests.marking import marks_below

pytest_collection_modifyitems = marks_below(Path(__file__).parent, "slow")
