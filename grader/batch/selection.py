"""What counts this week: the notebooks an instructor chose to grade and total.

By default everything counts (Part 1, the quiz, and Part 2 once anyone hands it in). A class
set only notebooks 01 and 02 says so (`--notebooks 01,02`), or a part (`--part 1`), with or
without the quiz (`--quiz`/`--no-quiz`): then exactly those are graded and totalled, and a
notebook outside them is never called missing. The choice is written as it was asked
(`--notebooks 01,02 --no-quiz`) into results.json and the class report.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..spec import ALL_STEPS, PART1, PART2, QUIZ, Step

PARTS = {"1": PART1, "2": PART2}


class SelectionError(ValueError):
    """The instructor named a notebook or part the course doesn't have (one line)."""


@dataclass(frozen=True)
class Selection:
    steps: tuple[Step, ...] = ALL_STEPS  # in course order
    said: str = ""  # how it was asked, e.g. "--notebooks 01,02"; "" for the default
    exact: bool = False  # named by the instructor: counts even before anyone hands it in


DEFAULT = Selection()


def _notebook(name: str) -> tuple[Step, ...]:
    """`01`, `1`, `04b`, `01_customer_data` or `01_customer_data.ipynb`: that notebook's
    steps."""
    text = name.strip().casefold().removesuffix(".ipynb")
    if text.isdigit():
        text = f"{int(text):02d}"
    found = tuple(s for s in ALL_STEPS
                  if text and (s.notebook.casefold().removesuffix(".ipynb") == text
                               or s.notebook.startswith(f"{text}_")))
    if not found:
        names = ", ".join(dict.fromkeys(s.notebook.split("_")[0] for s in ALL_STEPS))
        raise SelectionError(f"--notebooks: there is no notebook {name.strip()!r}; choose "
                             f"among {names} (or their full names)")
    return found


def select(notebooks: str | None = None, parts: list[str] | None = None,
           quiz: bool | None = None) -> Selection:
    """The steps that count, from `--notebooks`, `--part` (repeatable) and `--quiz/--no-quiz`
    (None: not said). Naming notebooks or parts counts only those (the quiz too if named, or
    with --quiz); --quiz or --no-quiz alone adds or takes the quiz from the default."""
    said: list[str] = []
    chosen: set[Step] = set()
    if notebooks is not None:
        names = [n for n in notebooks.split(",") if n.strip()]
        if not names:
            raise SelectionError("--notebooks: name at least one notebook, e.g. 01,02")
        for name in names:
            chosen.update(_notebook(name))
        said.append(f"--notebooks {','.join(n.strip() for n in names)}")
    for part in parts or []:
        if part not in PARTS:
            raise SelectionError(f"--part: the course has parts 1 and 2, not {part!r}")
        chosen.update(PARTS[part])
        said.append(f"--part {part}")
    if not said:
        if quiz is not False:
            return DEFAULT  # the quiz counts by default: --quiz alone changes nothing
        return Selection(tuple(s for s in ALL_STEPS if s is not QUIZ), "--no-quiz")
    if quiz is not None:
        (chosen.add if quiz else chosen.discard)(QUIZ)
        said.append("--quiz" if quiz else "--no-quiz")
    if not chosen:
        raise SelectionError("nothing left to grade: --no-quiz took away the only notebook "
                             "chosen")
    return Selection(tuple(s for s in ALL_STEPS if s in chosen), " ".join(said), exact=True)
