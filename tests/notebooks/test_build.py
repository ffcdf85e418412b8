"""The learner notebooks are exactly the solutions with the answers taken out."""

import shutil
from pathlib import Path

import nbformat
import pytest

from grader.build import (
    BEGIN,
    END,
    PLACEHOLDER,
    PROMPT_BEGIN,
    PROMPT_END,
    BuildError,
    build,
    strip_solutions,
)
from grader.cli import main
from grader.spec import ALL_STEPS

ROOT = Path(__file__).resolve().parents[2]


def test_committed_notebooks_are_what_the_build_writes(capsys) -> None:
    assert main(["build", "--check"]) == 0, capsys.readouterr().err


def test_a_stale_notebook_is_named_and_nothing_is_written(tmp_path, capsys) -> None:
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    stale = tmp_path / "notebooks" / ALL_STEPS[1].notebook
    stale.write_text(stale.read_text().replace("YOUR CODE HERE", "threshold = 0.6"))
    before = stale.read_text()
    args = ["build", "--check", "--solutions", str(tmp_path / "solutions"),
            "--notebooks", str(tmp_path / "notebooks")]
    assert main(args) == 1
    assert str(stale) in capsys.readouterr().err
    assert stale.read_text() == before


def test_building_twice_changes_nothing(tmp_path) -> None:
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    first = build(tmp_path / "solutions", tmp_path / "notebooks")
    assert first, "the first build into an empty folder writes the learner notebooks"
    assert build(tmp_path / "solutions", tmp_path / "notebooks") == []


def test_every_course_notebook_exists_in_both_folders() -> None:
    for step in ALL_STEPS:
        assert (ROOT / "solutions" / step.notebook).exists()
        assert (ROOT / "notebooks" / step.notebook).exists()


@pytest.mark.parametrize("step", ALL_STEPS, ids=lambda s: s.notebook)
def test_learner_notebook_is_the_solution_without_answers(step) -> None:
    solution = nbformat.read(ROOT / "solutions" / step.notebook, as_version=4)
    learner = nbformat.read(ROOT / "notebooks" / step.notebook, as_version=4)
    assert [c.id for c in solution.cells] == [c.id for c in learner.cells]
    for sol, mine in zip(solution.cells, learner.cells, strict=True):
        tags = mine.metadata.get("tags", [])
        if mine.cell_type == "code":
            assert mine.outputs == [] and mine.execution_count is None
        if BEGIN in sol.source:
            assert "answer" in tags and mine.metadata["editable"] is True
            assert PLACEHOLDER in mine.source or PROMPT_BEGIN in sol.source
            assert BEGIN not in mine.source and END not in mine.source
            assert PROMPT_BEGIN not in mine.source and PROMPT_END not in mine.source
            assert "raise" not in mine.source
        else:
            assert mine.source == sol.source
            assert mine.metadata["editable"] is False
        assert mine.metadata["deletable"] is False
    assert any(c.cell_type == "code" and "check(" in c.source and "check" in
               c.metadata.get("tags", []) for c in learner.cells)


def test_solutions_keep_outputs_for_nbval() -> None:
    for step in ALL_STEPS:
        solution = nbformat.read(ROOT / "solutions" / step.notebook, as_version=4)
        checks = [c for c in solution.cells if "check" in c.metadata.get("tags", [])]
        assert checks and all(c.outputs for c in checks)


def test_unbalanced_markers_are_refused(tmp_path, capsys) -> None:
    (tmp_path / "solutions").mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"{BEGIN}\nx = 1\n")])
    nbformat.write(nb, tmp_path / "solutions" / ALL_STEPS[0].notebook)
    code = main(["build", "--solutions", str(tmp_path / "solutions"),
                 "--notebooks", str(tmp_path / "notebooks")])
    assert code == 2
    assert "unbalanced" in capsys.readouterr().err
    assert not (tmp_path / "notebooks").exists()


def test_a_prompt_gives_the_learner_a_template_in_place_of_the_solution() -> None:
    source = (f"{PROMPT_BEGIN}\n# # Fill in each ...\n# answers = {{\n#     \"a\": ...,\n#\n# }}\n"
              f"{PROMPT_END}\n{BEGIN}\nanswers = {{\"a\": 1}}\n{END}\n")
    assert strip_solutions(source) == '# Fill in each ...\nanswers = {\n    "a": ...,\n\n}\n'
    # in the solution the prompt is only comments: the solution's own code is what runs
    namespace: dict = {}
    exec(source, namespace)
    assert namespace["answers"] == {"a": 1}


@pytest.mark.parametrize("source, words", [
    (f"{PROMPT_BEGIN}\nanswers = ...\n{PROMPT_END}\n{BEGIN}\nanswers = 1\n{END}\n",
     "commented out"),
    (f"{PROMPT_BEGIN}\n# a = ...\n{BEGIN}\na = 1\n{END}\n", "one"),
    (f"{PROMPT_BEGIN}\n# a\n{PROMPT_END}\n" * 2 + f"{BEGIN}\na = 1\n{END}\n", "one"),
])
def test_a_malformed_prompt_is_refused(source, words) -> None:
    with pytest.raises(BuildError, match=words):
        strip_solutions(source)
