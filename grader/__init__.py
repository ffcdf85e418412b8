"""The course's grader: inline checks for learners, batch grading for instructors.

`from grader import check` is all a notebook needs; it is kept light so a check costs
milliseconds.
"""

import os as _os
import sys as _sys

# `python -m grader` puts the current folder first on sys.path: run from a folder others can
# write (a class download, /tmp), a planted `json.py` or `tqdm.py` would be imported as the
# instructor (as root). While `-m` is still in argv[0], we are that command: drop the entry,
# unless the current folder is this project itself. (Learner kernels import `grader` too, and
# keep their sys.path untouched.)
if _sys.argv[:1] == ["-m"] and _sys.path and _sys.path[0] in ("", _os.getcwd()) and \
        _os.path.realpath(_os.getcwd()) != _os.path.dirname(_os.path.dirname(
            _os.path.realpath(__file__))):
    del _sys.path[0]

from .inline import CheckReport, check  # noqa: E402

__all__ = ["check", "CheckReport"]
