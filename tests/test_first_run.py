"""A newcomer's first run, as met on a fresh clone: each rough edge found there, now smooth."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import tomllib
import yaml

from grader import progress
from grader.spec import STEPS

ROOT = Path(__file__).resolve().parent.parent


def _tasks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("course_tasks_under_test", ROOT / "tasks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FAILING_VENV = '''
import subprocess, venv
def _no_ensurepip(self, context):
    raise subprocess.CalledProcessError(1, [context.env_exe, "-m", "ensurepip"])
venv.EnvBuilder._setup_pip = _no_ensurepip
'''


@pytest.mark.parametrize("half_made", [False, True], ids=["fresh", "after-a-broken-run"])
def test_without_python3_venv_one_sentence_and_nothing_half_made(tmp_path: Path,
                                                                 half_made: bool) -> None:
    project = tmp_path / "course"
    project.mkdir()
    shutil.copy(ROOT / "tasks.py", project)
    shutil.copy(ROOT / "pyproject.toml", project)
    if half_made:
        (project / ".venv" / "bin").mkdir(parents=True)  # an older run's leftovers
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(FAILING_VENV)  # Debian without python3-venv
    env = {**os.environ, "PYTHONPATH": str(hooks)}
    done = subprocess.run([sys.executable, str(project / "tasks.py"), "lab"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    problem = done.stderr.strip().splitlines()
    assert len(problem) == 1 and "apt-get install python3-venv" in problem[0], done.stderr
    assert not (project / ".venv").exists()


def _tasks_with_a_venv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Any, list]:
    """tasks.py over an empty .venv in `tmp_path`, recording the commands it would run (pip's
    and the one it hands over to) instead of running them."""
    tasks = _tasks()
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    monkeypatch.setattr(tasks, "VENV", venv)
    monkeypatch.setattr(tasks, "BIN", venv / "bin")
    monkeypatch.setattr(tasks, "PYTHON", venv / "bin" / "python")
    commands: list[list[str]] = []
    monkeypatch.setattr(tasks.subprocess, "call",
                        lambda command, **kw: commands.append([str(c) for c in command]) or 0)
    monkeypatch.setattr(tasks, "hand_over",
                        lambda command, cwd: commands.append([str(c) for c in command]) or 0)
    return tasks, commands


def test_lab_installs_what_learners_need_and_no_test_tools(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    tasks, commands = _tasks_with_a_venv(monkeypatch, tmp_path)
    assert tasks.main(["lab"]) == 0
    installs = [c for c in commands if c[1:4] == ["-m", "pip", "install"] and "-e" in c]
    assert [c[-1] for c in installs] == [str(ROOT)], "learners get the project, no extras"
    assert commands[-1][1:3] == ["lab", str(ROOT / "notebooks")]
    runtime = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    tools = {"pytest", "playwright", "ruff", "nbval", "jupyterlite-core"}
    assert not {re.split(r"[<>=\[ ]", d)[0].lower() for d in runtime} & tools


WHOLE = ["-n", "auto", "--dist", "loadfile"]  # the whole suite: one worker per core


@pytest.mark.parametrize(("argv", "pytest_args"), [
    (["test"], WHOLE),
    (["test", "--", "-k", "quiz"], [*WHOLE, "-k", "quiz"]),
    (["test", "-k", "quiz", "tests/core"], [*WHOLE, "-k", "quiz", "tests/core"]),
    (["test", "--quick"], ["-m", "not slow"]),
    (["test", "--quick", "--", "-x"], ["-m", "not slow", "-x"]),
    (["test", "--", "--quick"], [*WHOLE, "--quick"]),
])
def test_test_passes_what_follows_on_to_pytest(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                               argv: list[str], pytest_args: list[str]) -> None:
    tasks, commands = _tasks_with_a_venv(monkeypatch, tmp_path)
    assert tasks.main(argv) == 0
    assert commands[-1][1:] == ["-m", "pytest", *pytest_args]


@pytest.mark.parametrize(("argv", "says"), [
    ([], "the following arguments are required: task"),
    (["lab", "--quick"], "--quick is an option of `test` only"),
    (["build"], "argument task: invalid choice: 'build'"),
])
def test_a_wrong_command_line_gets_one_clear_line(argv: list[str], says: str) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "tasks.py"), *argv], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith(f"tasks.py: error: {says}"), \
        done.stderr
    assert "rest" not in done.stderr


FAKE_JUPYTER = """#!{python}
import os, sys, time
with open({pid_file!r}, "w") as out:
    out.write(str(os.getpid()))
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(
        f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


@pytest.mark.skipif(os.name != "posix", reason="signals as on Linux and macOS")
def test_stopping_tasks_lab_with_sigterm_stops_jupyter_lab(tmp_path: Path) -> None:
    """A service manager or a `kill` stops `tasks.py lab`: JupyterLab must not stay behind."""
    project = tmp_path / "course"
    (project / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "tasks.py", project)
    shutil.copy(ROOT / "pyproject.toml", project)
    bin_dir = project / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    os.symlink(sys.executable, bin_dir / "python")
    digest = hashlib.sha256((project / "pyproject.toml").read_bytes()).hexdigest()[:16]
    (project / ".venv" / f".installed-runtime-{digest}").touch()  # installed already
    pid_file = tmp_path / "jupyter.pid"
    jupyter = bin_dir / "jupyter"
    jupyter.write_text(FAKE_JUPYTER.format(python=sys.executable, pid_file=str(pid_file)))
    jupyter.chmod(0o755)
    task = subprocess.Popen([sys.executable, str(project / "tasks.py"), "lab"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    jupyter_pid = None
    try:
        for _ in range(600):
            if pid_file.exists() and pid_file.read_text():
                jupyter_pid = int(pid_file.read_text())
                break
            time.sleep(0.05)
        assert jupyter_pid is not None, "the stand-in for jupyter lab never started"
        task.send_signal(signal.SIGTERM)
        task.wait(timeout=30)
        for _ in range(100):
            if not _alive(jupyter_pid):
                break
            time.sleep(0.05)
        assert not _alive(jupyter_pid), "jupyter lab kept running after tasks.py was stopped"
    finally:
        if task.poll() is None:
            task.kill()
            task.wait()
        if jupyter_pid is not None and _alive(jupyter_pid):
            os.kill(jupyter_pid, signal.SIGKILL)


def test_the_readme_shows_the_quick_loop_and_how_to_pass_options_to_pytest() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "python3 tasks.py test --quick" in readme
    assert "python3 tasks.py test -- -k quiz" in readme


def _progress_file(folder: Path, passed: tuple[str, ...]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / progress.FILE_NAME
    path.write_text(json.dumps({"version": 1, "steps": {
        key: {"passed": True, "points": 1, "max_points": 1} for key in passed}}))
    return path


def _progress_command(where: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != progress.ENV_VAR}
    return subprocess.run([sys.executable, "-m", "grader", "progress", *extra], cwd=where,
                          env=env, capture_output=True, text=True, timeout=60)


def test_progress_is_read_beside_the_notebooks_or_from_the_course_folder(tmp_path: Path) -> None:
    notebooks = tmp_path / "course" / "notebooks"
    mine = _progress_file(notebooks, ("1",))
    for where in (tmp_path / "course", notebooks):
        done = _progress_command(where)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"Progress: 1 / {len(STEPS)} steps"), done.stdout
        assert f"(From {mine}.)" in done.stdout


def test_progress_never_reads_a_file_found_in_other_folders(tmp_path: Path) -> None:
    """Run from a shared parent folder, it reads no one else's progress, however new."""
    _progress_file(tmp_path / "ana" / "notebooks", ("1", "2"))
    _progress_file(tmp_path / "ben", ("1", "2", "3"))
    done = _progress_command(tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Progress: 0 / {len(STEPS)} steps"), done.stdout
    assert "ana" not in done.stdout and "ben" not in done.stdout
    assert f"No progress yet: no {progress.FILE_NAME} in {tmp_path} or in " \
           f"{tmp_path / 'notebooks'}" in done.stdout


def test_progress_names_a_missing_or_unusable_file_and_leaves_it_as_it_is(
        tmp_path: Path) -> None:
    missing = _progress_command(tmp_path, "--file", str(tmp_path / "nope" / "x.json"))
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.strip() == f"grader progress: there is no file {tmp_path}/nope/x.json."
    corrupt = tmp_path / progress.FILE_NAME
    corrupt.write_text("{half a file")
    for extra in ((), ("--file", str(corrupt))):
        done = _progress_command(tmp_path, *extra)
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.strip() == (f"grader progress: {corrupt} could not be used (it is "
                                       "not JSON); it was left as it is.")
        assert corrupt.read_text() == "{half a file"
        assert "afresh" not in done.stderr


def test_the_readme_calls_the_grader_one_way() -> None:
    readme = (ROOT / "README.md").read_text()
    bare = re.findall(r"(?<!\.venv/bin/)\bpython3? -m grader\b", readme)
    assert not bare and ".venv/bin/python -m grader progress" in readme


def test_grade_with_a_python_lacking_dependencies_says_what_to_run(tmp_path: Path) -> None:
    learner = tmp_path / "submissions" / "ana"
    learner.mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / "01_customer_data.ipynb", learner)
    out = tmp_path / "graded"
    # -S: no site-packages, so none of the course's dependencies (a bare system Python).
    done = subprocess.run([sys.executable, "-S", "-m", "grader", "grade", str(learner.parent),
                           "-o", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and ".venv/bin/python -m grader grade" in lines[0], done.stderr
    assert not out.exists(), "no gradebook or report may be left behind"


def test_the_editable_install_raises_no_same_name_warning(tmp_path: Path) -> None:
    """The same build hook pip calls for `pip install -e .` (tasks.py's install)."""
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c",
         "import sys; from setuptools import build_meta; "
         "print(build_meta.build_editable(sys.argv[1]))", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "same name as your package" not in done.stderr + done.stdout
    wheel = tmp_path / done.stdout.strip().splitlines()[-1]
    with zipfile.ZipFile(wheel) as archive:
        pth = [n for n in archive.namelist() if n.endswith(".pth")]
        assert len(pth) == 1 and archive.read(pth[0]).decode().strip() == str(ROOT)


def test_a_test_run_leaves_no_course_tests_folder_in_the_temp_dir(tmp_path: Path) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/core/test_deadline.py::test_desktop_main_thread_uses_a_signal_timer"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    assert list(temp.glob("course-tests-*")) == []


def test_binder_uses_a_cached_environment_and_opens_on_the_notebooks() -> None:
    env = yaml.safe_load((ROOT / ".binder" / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert not [p for p in pip if p.startswith(("-e", ".", "/"))], "no local package: cached"
    runtime = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert sorted(pip) == sorted(runtime), "Binder's list is pyproject's runtime list"
    post = (ROOT / ".binder" / "postBuild").read_text()
    assert "pip install --no-deps" in post and "default_url" in post
    assert "/lab/tree/notebooks" in post
    assert os.access(ROOT / ".binder" / "postBuild", os.X_OK)
    readme = (ROOT / "README.md").read_text()
    assert "urlpath=lab%2Ftree%2Fnotebooks" in readme or "urlpath=lab/tree/notebooks" in readme
    assert "git-pull?repo=" in readme, "a JupyterHub (nbgitpuller) link form"
