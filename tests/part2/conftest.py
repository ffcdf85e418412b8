"""Part 2: its checks are quick unit tests; everything else here grades notebooks or
serves an endpoint, and is slow (see tests/marking.py)."""

from pathlib import Path

from tests.marking import marks_below

pytest_collection_modifyitems = marks_below(Path(__file__).parent, "slow",
                                            quick=("test_part2_checks.py",))
