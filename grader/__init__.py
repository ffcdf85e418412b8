"""The course's grader: inline checks for learners, batch grading for instructors.

`from grader import check` is all a notebook needs; it is kept light so a check costs
milliseconds.
"""

from .inline import CheckReport, check

__all__ = ["check", "CheckReport"]
