"""Smoke runs of every benchmark: each starts servers, kernels or graders, so all are slow."""

from pathlib import Path

from tests.marking import marks_below

pytest_collection_modifyitems = marks_below(Path(__file__).parent, "slow")
