"""The site builder's own parts, without a browser: what a site carries and what it refuses."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from site_builder import BuildError
from site_builder.course_wheel import build_wheel
from site_builder.downloads import pyodide_core
from site_builder.lock import Addition, local_lock

ROOT = Path(__file__).resolve().parents[2]


def _wheel(folder: Path, name: str, version: str, files: dict[str, str]) -> Path:
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for file, text in files.items():
            archive.writestr(file, text)
    return path


def test_without_npm_the_first_build_says_what_to_install(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm anywhere
    with pytest.raises(BuildError) as error:
        pyodide_core("314.0.6", tmp_path / "cache")
    message = str(error.value)
    assert "apt-get install -y npm" in message and "\n" not in message
    assert not (tmp_path / "cache" / "pyodide-314.0.6").exists()


def test_the_lock_names_only_wheels_the_site_carries(tmp_path: Path) -> None:
    six = _wheel(tmp_path, "six", "1.17.0", {"six.py": "x = 1\n"})
    course = _wheel(tmp_path, "course", "0.1.0", {"grader/__init__.py": "", "churn/x.py": ""})
    lock = {"info": {"python": "3.14.2"}, "packages": {
        "six": {"name": "six", "version": "1.17.0", "file_name": "six-1.17.0-py2.py3-none-any.whl",
                "sha256": "pyodide's own", "depends": [], "imports": ["six"]},
        "numpy": {"name": "numpy", "version": "2.0", "file_name": "numpy.whl", "sha256": "x",
                  "depends": [], "imports": ["numpy"]},
    }}
    rewritten = local_lock(lock, {"six": six, "course": course},
                           [Addition("course", "0.1.0", ("six",))])
    assert sorted(rewritten["packages"]) == ["course", "six"], "no entry without a local file"
    assert rewritten["packages"]["six"]["file_name"] == six.name
    assert rewritten["packages"]["six"]["sha256"] == hashlib.sha256(six.read_bytes()).hexdigest()
    assert rewritten["packages"]["course"]["imports"] == ["churn", "grader"]
    with pytest.raises(BuildError, match="needs numpy"):
        local_lock(lock, {"six": six, "course": course},
                   [Addition("course", "0.1.0", ("numpy",))])


def test_the_course_wheel_carries_the_course_and_a_true_record(tmp_path: Path) -> None:
    wheel = build_wheel(ROOT, "batch-vs-realtime-course", "0.1.0", "x", tmp_path)
    assert build_wheel(ROOT, "batch-vs-realtime-course", "0.1.0", "x", tmp_path / "again") \
        .read_bytes() == wheel.read_bytes(), "same sources, same wheel"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert {"grader/__init__.py", "grader/deadline.py", "churn_course/quiz_bank.json",
                "churn_course/serving_panel.py"} <= names
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        record = archive.read("batch_vs_realtime_course-0.1.0.dist-info/RECORD").decode()
        for line in record.splitlines():
            name, digest, size = line.rsplit(",", 2)
            if not digest:
                continue
            data = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == f"sha256={expected.decode()}" and int(size) == len(data)


def test_a_notebook_the_browser_cant_run_is_named_with_what_it_needs(tmp_path: Path) -> None:
    from site_builder.needs import missing_modules, unvendored

    notebook = tmp_path / "06.ipynb"
    notebook.write_text(json.dumps({"cells": [
        {"cell_type": "code", "source": ["%matplotlib inline\n", "import numpy as np\n",
                                         "import sqlite3, json\n"]},
        {"cell_type": "code", "source": "from fastapi import FastAPI\nfrom grader import check"},
        {"cell_type": "markdown", "source": "import pandas"},
    ]}))
    assert missing_modules(notebook, {"grader", "churn_course"}) == ["fastapi", "numpy",
                                                                     "sqlite3"]
    # What this Pyodide's core lacks is read from its standard library: one with sqlite3 in it
    # runs sqlite3 (the serving panel's batch table does).
    stdlib = tmp_path / "python_stdlib.zip"
    with zipfile.ZipFile(stdlib, "w") as archive:
        archive.writestr("sqlite3/__init__.py", "")
        archive.writestr("json/__init__.py", "")
    lacking = unvendored(stdlib)
    assert "sqlite3" not in lacking and "_sqlite3" not in lacking and "ssl" in lacking
    assert missing_modules(notebook, {"grader", "churn_course"}, lacking) == ["fastapi",
                                                                              "numpy"]
    for step in ("01_customer_data", "03_predict_and_batch", "04b_choose_the_mode",
                 "05_practice_quiz"):
        assert missing_modules(ROOT / "notebooks" / f"{step}.ipynb",
                               {"grader", "churn_course", "ipywidgets", "IPython"}) == []
