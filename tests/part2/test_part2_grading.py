"""Notebook 06 graded like steps 1-4: one hand-in, four steps, each judged by the same checks
as the learner's own `check(N)`; the demonstration cells (uvicorn, 1,000 requests, plots) are
not run while grading."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grader.batch import grade_folder
from grader.batch.notebook import plan_notebook
from grader.sources import is_demo_source
from grader.spec import PART1, PART2, PART2_NOTEBOOK, QUIZ, unit

from .solution import ORDER, RIGHT, failures, run_part2

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = [RIGHT[part] for part in ORDER]
# One mistake per step: commits per row, "True" as a string, unsorted percentiles, no timeout.
MISTAKEN = dict(enumerate(ANSWERS))
MISTAKEN[0] = RIGHT["job"].replace("    conn.executemany(", "    for row in rows:\n"
                                   "        conn.execute(").replace(
    '"INSERT OR REPLACE INTO predictions VALUES (?, ?, ?, ?, ?)", rows)\n    conn.commit()',
    '"INSERT OR REPLACE INTO predictions VALUES (?, ?, ?, ?, ?)", row)\n        conn.commit()')
MISTAKEN[4] = RIGHT["app"].replace('"churn": predict(serving_feature(customer_id))',
                                  '"churn": str(predict(serving_feature(customer_id)))')
MISTAKEN[5] = RIGHT["percentile"].replace("ordered = sorted(values)", "ordered = values")
MISTAKEN[7] = RIGHT["fallback"].replace(",\n                          timeout=0.2)", ")")
STEP_OF = {"5": ("job", 0), "6": ("app", 4), "7": ("percentile", 5), "8": ("fallback", 7)}
# Another learner's mistakes, one per step, in other parts: a fixed 0.6 in numpy, a measure
# that counts instead of sharing, capacity by the mean, a fallback over urllib with no timeout.
OTHERS = {
    "5": ("vectorised", "def predict_vectorised(features):\n    return features > 0.6\n"),
    "6": ("skew", RIGHT["skew"].replace("return differ / len(customers)", "return differ")),
    "7": ("capacity", RIGHT["capacity"].replace("percentile(measured, 99)",
                                                "sum(measured) / len(measured)")),
    "8": ("fallback", "import json, urllib.request\n\ndef predict_with_fallback(customer_id):\n"
                      "    try:\n        reply = urllib.request.urlopen(f'{ENDPOINT_URL}/predict"
                      "?customer_id={customer_id}')\n        return {'churn': json.load(reply)"
                      "['churn'], 'source': 'live'}\n    except OSError:\n        return "
                      "{'churn': lookup(conn, customer_id), 'source': 'batch'}\n"),
}
DI = [dict(OTHERS.values()).get(part, RIGHT[part]) for part in ORDER]


def _notebook(answers: list[str]) -> bytes:
    nb = nbformat.read(ROOT / "notebooks" / PART2_NOTEBOOK, as_version=4)
    cells = [c for c in nb.cells if "answer" in c.metadata.get("tags", [])]
    assert len(cells) == len(answers)
    for cell, code in zip(cells, answers, strict=True):
        cell.source = code
    return nbformat.writes(nb).encode()


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("part2-class")
    for learner, answers in (("ada", ANSWERS), ("bo", [MISTAKEN[i] for i in range(len(ORDER))]),
                             ("di", DI)):
        (root / learner).mkdir()
        (root / learner / PART2_NOTEBOOK).write_bytes(_notebook(answers))
    (root / "cy").mkdir()  # hands in Part 1 only
    return grade_folder(root, root / "out", jobs=2, steps=(*PART1, QUIZ, *PART2))


def test_the_solution_gets_every_point_of_steps_5_to_8(graded) -> None:
    for step in PART2:
        grade = graded.learners["ada"].notebooks[unit(step)]
        assert grade.status == "ok" and grade.points == grade.max_points > 0, grade.to_dict()
        assert grade.cell_errors == []  # no server was started, no plot drawn: nothing failed


def test_grades_agree_with_the_inline_check(graded) -> None:
    """Bo's mistakes, judged in a grading worker and inline, give the same verdicts."""
    inline = {step: run_part2(step, **{part: MISTAKEN[index]})
              for step, (part, index) in STEP_OF.items()}
    for step in PART2:
        worker = graded.learners["bo"].notebooks[unit(step)].result
        assert [(c.id, c.passed, c.message) for c in worker.checks] == \
            [(c.id, c.passed, c.message) for c in inline[step.key].checks]
        assert failures(worker), step.key
    assert "committed 40 times" in failures(graded.learners["bo"].notebooks[unit(PART2[0])]
                                            .result)[0].message


def test_other_mistakes_are_judged_alike_in_the_worker_and_inline(graded) -> None:
    """Di's mistakes (one per step, in other answers than Bo's), worker against inline: the
    same verdicts word for word, each step failing where its mistake is."""
    expected = {"5": "5.vectorised", "6": "6.skew_share", "7": "7.capacity",
                "8": "8.short_timeout"}
    for step in PART2:
        part, code = OTHERS[step.key]
        inline = run_part2(step.key, **{part: code})
        worker = graded.learners["di"].notebooks[unit(step)].result
        assert [(c.id, c.passed, c.message) for c in worker.checks] == \
            [(c.id, c.passed, c.message) for c in inline.checks]
        assert failures(worker)[0].id == expected[step.key]


def test_a_learner_without_part_2_has_it_missing_once_in_the_status(graded) -> None:
    assert graded.learners["cy"].status.count("06_measure_it") == 1


def test_grades_csv_has_a_column_per_step(graded) -> None:
    header = (graded.source and (Path(graded.source) / "out" / "grades.csv").read_text()
              .splitlines()[0])
    assert "step_5,step_6,step_7,step_8" in header


def test_each_step_runs_up_to_its_own_check_and_skips_demonstrations() -> None:
    data = _notebook(ANSWERS)
    sizes = []
    for step in PART2:
        plan = plan_notebook(data, step.key)
        assert not any(is_demo_source(c.source) for c in plan.cells)
        assert not any("check(" in c.source for c in plan.cells)
        sizes.append(len(plan.cells))
    assert sizes == sorted(sizes) and len(set(sizes)) == 4  # each step runs more of the notebook


@pytest.mark.parametrize("step", [PART2[1], PART2[3]], ids=lambda s: f"step{s.key}")
def test_a_real_kernel_and_the_worker_agree(graded, step) -> None:
    """In a kernel (an event loop running: the app is called from a helper thread) and in the
    worker (no thread allowed: called inline), the same snapshot, so the same verdicts."""
    from grader.batch.harness import ask, judge
    from grader.batch.reference import run_in_kernel

    data = _notebook([MISTAKEN[i] for i in range(len(ORDER))])
    plan = ask(plan_notebook(data, step.key))
    kernel = judge(step, plan, run_in_kernel(plan, timeout=60), 0.0).result
    worker = graded.learners["bo"].notebooks[unit(step)].result
    assert [(c.id, c.passed, c.message) for c in kernel.checks] == \
        [(c.id, c.passed, c.message) for c in worker.checks]


def test_the_class_report_has_part_2_once_anyone_hands_it_in(graded) -> None:
    """Part 2 is optional: handed in by three of four learners, its steps are in the class
    report beside Part 1's, each with its failures by kind and the learners who made them."""
    import json

    out = Path(graded.source) / "out"
    figures = json.loads((out / "class.json").read_text(encoding="utf-8"))
    steps = {s["step"]: s for s in figures["steps"]}
    assert [key for key in steps if key in "5678"] == ["5", "6", "7", "8"]
    for key in "5678":
        assert (steps[key]["handed_in"], steps[key]["statuses"]["missing"]) == (3, 1), key
    assert steps["5"]["passed"] == 1  # ada; bo commits per row, di fixes 0.6
    failing = {c["id"]: {e["id"] for m in c["mistakes"] for e in m["examples"]}
               for c in figures["checks"] if c["step"] in "5678" and c["mistakes"]}
    assert failing["8.short_timeout"] == {"bo", "di"}  # neither gives the call a timeout
    assert all("ada" not in names for names in failing.values())
    page = (out / "class.html").read_text(encoding="utf-8")
    assert "Step 8" in page.split('id="steps-h"')[1].split("</figure>")[0]  # charted
