#!/usr/bin/env python3
"""How long Part 1 takes a learner: reading and typing counted from the course's own files,
plus the machine's share measured by walking through the notebooks in JupyterLab.

Part 1 is the page's four steps, the choose-the-mode exercise and the quiz. A person's time is
estimated from what each notebook asks them to read and type, at stated speeds:

* prose (markdown cells) at ``--wpm`` words a minute; the scenario box repeated at the top of
  notebooks 01-04 counts once (the learner recognises it), and collapsed hints not at all
  (they are opened when stuck, which the think-time covers);
* given code at half that speed;
* answers typed at ``--cpm`` characters a minute (a template's answers: only the words typed
  into it, not the template);
* a think-time per decision: each answer cell of steps 1-4, each field of the exercise, each
  quiz question;
* verdicts read: every check cell's output in the solved notebook, plus one failed verdict per
  step (most learners fail a check once);
* the quiz: question, options and the feedback line for every question; the worked solution and
  common mistakes for the share ``--wrong`` answered wrong first (the rest skim it);
* the live serving panel's three things to try: ``--panel`` minutes.

With ``--browser``, the machine's share is measured too: each learner notebook is opened in
JupyterLab (headless Chromium), the solution's answers typed into its answer cells (the quiz's
through its `answer(...)` cell), Run All pressed, until the check's verdict is on the page and
says passed: kernel start, execution and checks, which a learner waits through.

    .venv/bin/python benchmarks/part1_time.py [--browser] [--wpm 200] [--cpm 150]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
COURSE = ROOT  # whose notebooks and quiz bank are counted (--course)

from grader.build import PROMPT_BEGIN  # noqa: E402
from grader.spec import ALL_STEPS  # noqa: E402

PART1 = [s for s in ALL_STEPS if s.notebook < "06"]  # the page's steps, the exercise, the quiz
WORD = re.compile(r"\S*[A-Za-z0-9]\S*")  # markdown's pipes, bullets and rules are not words
SCENARIO_BOX = re.compile(r"^> \*\*Scenario\.\*\*.*?(?=\n\n###)", re.S | re.M)
HINT = re.compile(r"<details>.*?</details>", re.S)  # collapsed: opened only when stuck


def words(text: str) -> int:
    return len(WORD.findall(text))


def cells(folder: str, notebook: str) -> list[dict]:
    data = json.loads((COURSE / folder / notebook).read_text(encoding="utf-8"))
    for cell in data["cells"]:
        cell["text"] = "".join(cell["source"]) if isinstance(cell["source"], list) \
            else cell["source"]
    return data["cells"]


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _joined(text: str | list[str]) -> str:
    return "".join(text) if isinstance(text, list) else text


def output_text(cell: dict) -> str:
    return "".join(_joined(o.get("data", {}).get("text/plain", "")) + _joined(o.get("text", ""))
                   for o in cell.get("outputs", []))


@dataclass
class Minutes:
    reading: float = 0.0
    typing: float = 0.0
    thinking: float = 0.0
    verdicts: float = 0.0
    doing: float = 0.0  # the panel

    @property
    def total(self) -> float:
        return self.reading + self.typing + self.thinking + self.verdicts + self.doing


def _code(text: str) -> str:
    """Code without comments and whitespace: what was typed, whatever the layout."""
    lines = [line for line in text.splitlines() if not line.strip().startswith("#")]
    return re.sub(r"\s+", "", "\n".join(lines))


def typed(learner: str, solution: str) -> tuple[int, int]:
    """(characters a learner types into an answer cell, decisions it asks for): the solution,
    or, where the cell gives a template, only what replaces each of its `...`."""
    body = solution.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]
    if PROMPT_BEGIN not in solution:
        return len(body.strip()), 1
    blanks = _code(learner).count("...")
    return len(_code(body)) - len(_code(learner)) + 3 * blanks, blanks


def person(notebook: str, args: argparse.Namespace, seen_box: bool) -> tuple[Minutes, bool]:
    learner, solution = cells("notebooks", notebook), cells("solutions", notebook)
    spent = Minutes()
    for mine, solved in zip(learner, solution, strict=True):
        if mine["cell_type"] == "markdown":
            text = HINT.sub("", mine["text"])
            if SCENARIO_BOX.search(text):
                text = SCENARIO_BOX.sub("", text) if seen_box else text
                seen_box = True
            spent.reading += words(text) / args.wpm
        elif "answer" in tags(mine):
            if notebook.startswith("05_"):
                continue  # the quiz is answered in its widget (see quiz())
            characters, decisions = typed(mine["text"], solved["text"])
            spent.typing += characters / args.cpm
            seconds = args.answer_seconds if decisions == 1 else decisions * args.field_seconds
            spent.thinking += seconds / 60
        elif "check" in tags(mine):
            spent.verdicts += (words(output_text(solved)) + args.failed_verdict_words) / args.wpm
        elif "nbval-ignore-output" not in tags(mine):
            spent.reading += words(mine["text"]) / (args.wpm / 2)
    if notebook.startswith("04_"):
        spent.doing += args.panel
    return spent, seen_box


def quiz(args: argparse.Namespace) -> Minutes:
    from churn_course.quiz_bank import load_bank

    spent = Minutes()
    for question in load_bank(COURSE / "churn_course" / "quiz_bank.json"):
        read = words(question.question) + sum(words(t) for _, t in question.options)
        read += words(question.code or "") * 2  # code reads at half speed
        read += 15  # the verdict line: right or not, and the score
        solution = sum(words(f"{s.title} {s.text}") for s in question.solution)
        solution += words(question.final_answer) + sum(map(words, question.common_mistakes))
        spent.reading += (read + args.wrong * solution) / args.wpm
        spent.thinking += args.question_seconds / 60
    return spent


def browser_walkthrough() -> dict[str, float]:
    """Seconds from opening each learner notebook to every verdict on the page, answers typed."""
    from playwright.sync_api import sync_playwright

    from tests.browser.lab import (
        LabServer,
        launch_chromium,
        new_page,
        open_notebook,
        run_all_cells,
    )

    seconds: dict[str, float] = {}
    with LabServer() as server, sync_playwright() as driver:
        browser = launch_chromium(driver)
        for step in PART1:
            name = step.notebook
            target = server.root_dir / name
            target.write_bytes((ROOT / "notebooks" / name).read_bytes())
            answers = [c["text"] for c in cells("solutions", name) if "answer" in tags(c)]
            page = new_page(browser)
            started = time.perf_counter()
            open_notebook(page, server, name)
            positions = [i for i, c in enumerate(cells("notebooks", name)) if "answer" in tags(c)]
            for index, code in zip(positions, answers, strict=True):
                cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
                cell.scroll_into_view_if_needed()
                cell.locator(".cm-content").click()
                page.keyboard.press("Control+A")
                body = code.split("### BEGIN SOLUTION\n", 1)[1].split("### END SOLUTION", 1)[0]
                page.keyboard.insert_text(body)
            run_all_cells(page)
            verdict = page.locator(".course-verdict").last
            verdict.wait_for(state="attached")
            seconds[name] = time.perf_counter() - started
            if "passed" not in verdict.text_content():
                raise SystemExit(f"{name}: the solution's answers did not pass in JupyterLab: "
                                 f"{verdict.text_content()}")
            page.context.close()
        browser.close()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wpm", type=float, default=200, help="prose read, words a minute")
    parser.add_argument("--cpm", type=float, default=150, help="code typed, characters a minute")
    parser.add_argument("--answer-seconds", type=float, default=45,
                        help="thinking per answer cell of steps 1-4")
    parser.add_argument("--field-seconds", type=float, default=5,
                        help="thinking per field of the exercise")
    parser.add_argument("--question-seconds", type=float, default=15,
                        help="thinking per quiz question")
    parser.add_argument("--failed-verdict-words", type=int, default=60,
                        help="one failed verdict read per check cell")
    parser.add_argument("--wrong", type=float, default=0.3,
                        help="share of quiz questions whose worked solution is read")
    parser.add_argument("--panel", type=float, default=2.0, help="minutes with the live panel")
    parser.add_argument("--browser", action="store_true",
                        help="also measure the machine's share in JupyterLab (Chromium)")
    parser.add_argument("--course", type=Path, default=ROOT,
                        help="count another copy of the course (e.g. `git archive` of an "
                        "earlier commit), to compare")
    args = parser.parse_args()
    global COURSE
    COURSE = args.course.resolve()

    rows: list[tuple[str, Minutes]] = []
    seen_box = False
    for step in PART1:
        if not (COURSE / "notebooks" / step.notebook).exists():
            continue  # an earlier course without this notebook
        spent, seen_box = person(step.notebook, args, seen_box)
        if step.key == "quiz":
            extra = quiz(args)
            spent.reading += extra.reading
            spent.thinking += extra.thinking
        rows.append((step.notebook, spent))
    machine = browser_walkthrough() if args.browser else {}

    print(f"Reading {args.wpm:g} words/min (code at half), typing {args.cpm:g} characters/min, "
          f"thinking {args.answer_seconds:g} s per answer cell, {args.field_seconds:g} s per "
          f"exercise field, {args.question_seconds:g} s per quiz question; quiz solutions read "
          f"for {args.wrong:.0%} of questions; panel {args.panel:g} min.\n")
    head = "| notebook | reading | typing | thinking | verdicts | panel | person (min) |"
    head += " machine (s) |" if machine else ""
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    total = Minutes()
    for name, spent in rows:
        line = (f"| `{name}` | {spent.reading:.1f} | {spent.typing:.1f} | {spent.thinking:.1f} | "
                f"{spent.verdicts:.1f} | {spent.doing:.1f} | {spent.total:.1f} |")
        line += f" {machine[name]:.1f} |" if machine else ""
        print(line)
        for field in ("reading", "typing", "thinking", "verdicts", "doing"):
            setattr(total, field, getattr(total, field) + getattr(spent, field))
    waited = sum(machine.values()) / 60
    line = (f"| **Part 1** | {total.reading:.1f} | {total.typing:.1f} | {total.thinking:.1f} | "
            f"{total.verdicts:.1f} | {total.doing:.1f} | **{total.total:.1f}** |")
    line += f" {sum(machine.values()):.1f} |" if machine else ""
    print(line)
    if machine:
        print(f"\nPerson plus machine: {total.total + waited:.1f} minutes.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
