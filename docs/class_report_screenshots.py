#!/usr/bin/env python3
"""The README's class report screenshots (docs/class-report.png, docs/class-report-quiz.png),
made again from a synthetic class of 32: every learner's notebooks typed into the real learner
notebooks (tests/grading/helpers.py), graded with `python -m grader grade`, the page opened in
Chromium.

The class is drawn from a fixed seed: each learner has an ability; each step is right, one of
its typical mistakes, or not handed in; each quiz question is right with a chance that grows
with ability, else a wrong option, one of them a favourite (the distractor that draws a class).

    .venv/bin/python docs/class_report_screenshots.py [--keep FOLDER]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.cli import main as grader  # noqa: E402
from tests.grading.helpers import QUIZ_KEY, RIGHT, hand_in  # noqa: E402

LEARNERS = 32
SEED = 2026
MISTAKES = {  # typical wrong answers per step, as learners type them
    "1": [["customers = {101: 0.2, 102: 0.8, 103: 0.5, 104: 0.9}"],
          ["customers = [[101, 0.2], [102, 0.8], [103, 0.5], [104, 0.9]]"],
          ["customers = [(0.2, 101), (0.8, 102), (0.5, 103), (0.9, 104)]"]],
    "2": [["threshold = '0.6'"], ["threshold = 60"], ["threshold = 0.7"]],
    "3": [["def predict(feature):\n    return feature >= threshold",
           RIGHT["3"][1]],
          ["def predict(feature):\n    print(feature > threshold)", RIGHT["3"][1]],
          [RIGHT["3"][0],
           "batch_results = []\nfor c in customers:\n    batch_results.append(predict(c[1]))"]],
    "4": [["batch_results\npredict(0.7)"], ["print(batch_results)\nprint(predict(105))"]],
}
# the wrong option most learners who miss a question pick (the rest pick any wrong one)
FAVOURITE = {"q3": "A", "q5": "A", "q7": "A", "q9": "A", "q10": "A", "q2": "B"}
EASE = {"q1": 0.9, "q2": 0.8, "q3": 0.6, "q4": 0.6, "q5": 0.25, "q6": 0.7, "q7": 0.45,
        "q8": 0.55, "q9": 0.35, "q10": 0.3}


def learner_notebooks(rng: random.Random, ability: float) -> dict[str, list[str]]:
    """One learner's hand-in: each step right, a typical mistake, or not handed in."""
    notebooks: dict[str, list[str]] = {}
    for step in ("1", "2", "3", "4"):
        if rng.random() > 0.75 + 0.25 * ability:  # weaker learners stop sooner
            break
        good = rng.random() < 0.35 + 0.6 * ability
        notebooks[step] = RIGHT[step] if good else rng.choice(MISTAKES[step])
    if rng.random() < 0.85:
        picks = []
        for question, right in QUIZ_KEY.items():
            if rng.random() < 0.05:
                continue  # left unanswered
            chance = min(0.97, EASE[question] * (0.5 + ability))
            if rng.random() < chance:
                letter = right
            elif question in FAVOURITE and rng.random() < 0.7:
                letter = FAVOURITE[question]
            else:
                letter = rng.choice([x for x in "ABCD" if x != right])
            picks.append(f'answer("{question}", "{letter}")')
        notebooks["quiz"] = ["\n".join(picks)]
    return notebooks


def make_class(folder: Path) -> Path:
    rng = random.Random(SEED)
    for number in range(1, LEARNERS + 1):
        hand_in(folder, f"learner{number:02d}", learner_notebooks(rng, rng.random()))
    return folder


def screenshot(page_path: Path, docs: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser.lab import CHROMIUM_ARGS, find_chromium

    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("Chromium is needed for the screenshots: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            page.goto(page_path.as_uri())
            shots = {"class-report.png": page.screenshot(),
                     "class-report-quiz.png": page.locator("#quiz").screenshot()}
        finally:
            browser.close()
    for name, data in shots.items():
        small(data, docs / name)


def small(png: bytes, path: Path) -> None:
    """The screenshot in 64 colours (text and flat bars need no more): a third of the bytes
    in git."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="grade into this folder and keep it")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="class-report-demo-"))
    try:
        work = (args.keep or scratch).resolve()
        make_class(work / "week3-submissions")
        os.chdir(work)  # the page names the class as the instructor typed it
        if grader(["grade", "week3-submissions", "-o", "week3-graded", "-q"]) != 0:
            raise SystemExit("grading the demo class failed (its message is above)")
        out = work / "week3-graded"
        screenshot(out / "class.html", ROOT / "docs")
        print(f"Wrote docs/class-report.png and docs/class-report-quiz.png from {out}.")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
