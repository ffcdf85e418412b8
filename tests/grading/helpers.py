"""Crafting submissions the way learners make them: the real learner notebooks from
`notebooks/`, with code typed into the answer cells (written with nbformat, never by hand)."""

from __future__ import annotations

import random
from pathlib import Path

import nbformat

from grader.checks.mode_scenarios import SCENARIOS
from grader.spec import ALL_STEPS

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = {s.key: s.notebook for s in ALL_STEPS}
QUIZ_KEY = {"q1": "C", "q2": "A", "q3": "B", "q4": "A", "q5": "D", "q6": "D", "q7": "C",
            "q8": "A", "q9": "C", "q10": "B"}

RIGHT = {
    "1": ["customers = [(101, 0.2), (102, 0.8), (103, 0.5), (104, 0.9)]"],
    "2": ["threshold = 0.6"],
    "3": ["def predict(feature):\n    return feature > threshold",
          "batch_results = [predict(feature) for customer_id, feature in customers]"],
    "4": ["print(batch_results)\nprint(predict(0.7))"],
    "quiz": ["\n".join(f'answer("{q}", "{letter}")' for q, letter in QUIZ_KEY.items())],
}
# The choose-the-mode exercise (optional, like Part 2: kept apart from RIGHT and WRONG, whose
# classes are the page's steps and the quiz).
MODE_RIGHT = ["mode_choices = {\n" + "\n".join(s.line for s in SCENARIOS) + "\n}"]
MODE_WRONG = [MODE_RIGHT[0]
              .replace('"mode": "batch",\n},', '"mode": "real time",\n},', 1)  # daily email
              .replace('"mode": "hybrid"', '"mode": "hybird"')  # the news feed: a typo
              .replace('"listed": False, "stale": "none",', '"listed": True, "stale": "none",', 1)]
WRONG = {
    "1": ["customers = {101: 0.2, 102: 0.8, 103: 0.5, 104: 0.9}"],
    "2": ["threshold = '0.6'"],
    "3": ["def predict(feature):\n    return feature >= 0.6",
          "batch_results = []\nfor c in customers:\n    batch_results.append(predict(c[1]))"],
    "4": ["batch_results\npredict(105)"],
    "quiz": ['answer(1, "C")\nanswer(2, "B")'],  # one right, one wrong, eight unanswered
}


def learner_notebook(step: str, answers: list[str] | None = None,
                     extra_cells: list[str] | None = None) -> nbformat.NotebookNode:
    """The learner notebook of `step` with `answers` typed into its answer cells, in order."""
    nb = nbformat.read(ROOT / "notebooks" / NOTEBOOKS[step], as_version=4)
    cells = [c for c in nb.cells if "answer" in c.metadata.get("tags", [])]
    for cell, code in zip(cells, answers or [], strict=False):
        cell.source = code
    for code in extra_cells or []:
        nb.cells.insert(2, nbformat.v4.new_code_cell(code))
    return nb


def notebook_bytes(step: str, answers: list[str] | None = None, **kwargs: object) -> bytes:
    return nbformat.writes(learner_notebook(step, answers, **kwargs)).encode("utf-8")  # type: ignore[arg-type]


def hand_in(root: Path, learner: str, notebooks: dict[str, bytes | list[str]]) -> Path:
    """Write one learner's folder; values are answer lists or raw bytes."""
    folder = root / learner
    folder.mkdir(parents=True, exist_ok=True)
    for step, content in notebooks.items():
        data = content if isinstance(content, bytes) else notebook_bytes(step, content)
        (folder / NOTEBOOKS[step]).write_bytes(data)
    return folder


def hand_in_with_and_without(place: Path, honest: dict[str, dict],
                             attackers: dict[str, dict]) -> tuple[Path, Path]:
    """The same honest learners as two classes: `place/subs` with the attackers among them,
    `place/honest` without. An attack holds when the honest rows of both gradings are equal."""
    for learner, notebooks in honest.items():
        hand_in(place / "subs", learner, notebooks)
        hand_in(place / "honest", learner, notebooks)
    for learner, notebooks in attackers.items():
        hand_in(place / "subs", learner, notebooks)
    return place / "subs", place / "honest"


def mutations(value, rng: random.Random, depth: int = 0):
    """Every node of a JSON value replaced in turn by something else a forger might send."""
    odd = [None, True, 0, -1, 2**70, 1.5e308, float("nan"), "", "x" * 5000, [], {}, [[]],
           {"t": "int", "v": "7"}, {"t": "bool", "v": 1}, {"t": "list", "items": 3}]
    yield rng.choice(odd)
    if isinstance(value, dict) and depth < 6:
        for key in list(value):
            for changed in mutations(value[key], rng, depth + 1):
                yield {**value, key: changed}
            yield {k: v for k, v in value.items() if k != key}
        yield {**value, "extra": rng.choice(odd)}
    elif isinstance(value, list) and depth < 6:
        for index, item in enumerate(value):
            for changed in mutations(item, rng, depth + 1):
                yield [*value[:index], changed, *value[index + 1:]]
        yield value[:-1]
        yield [*value, rng.choice(odd)]
