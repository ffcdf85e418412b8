"""The set-up promise: one list of dependencies, and CI runs exactly the README's command."""

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_environment_yml_installs_the_project_itself() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_parts = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    assert pip_parts == [["-e .[test]"]], "conda's pip part installs only the project"
    conda_names = [re.split(r"[=<>]", d)[0] for d in env["dependencies"] if isinstance(d, str)]
    assert sorted(conda_names) == ["pip", "python"], "no dependency may be listed twice"
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    minimum = project["requires-python"].removeprefix(">=")
    assert tuple(map(int, python.split("=")[1].split("."))) >= tuple(map(int, minimum.split(".")))
    assert "test" in project["optional-dependencies"]


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^python3 tasks\.py \w+$", readme, re.M)
    assert commands[:2] == ["python3 tasks.py lab", "python3 tasks.py test"]
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == "python3 tasks.py test"
