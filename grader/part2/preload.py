"""Imported once by the grading fork server (grader/batch/warm.py): Part 2's libraries, loaded
before any worker forks.

A worker may start no threads, and numpy's OpenBLAS starts a pool of them when it loads, so
importing numpy *inside* a worker fails. Loaded here with one BLAS thread, numpy (and FastAPI,
httpx, the Part 2 probe) come ready in every worker, copy-on-write, at no per-notebook cost.
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import fastapi  # noqa: E402, F401
import fastapi.dependencies.utils  # noqa: E402, F401
import fastapi.routing  # noqa: E402, F401
import httpx  # noqa: E402, F401
import numpy  # noqa: E402, F401

from . import asgi, probe  # noqa: E402, F401
