"""The class at a glance, as figures: what `class.json` holds and `class.html` shows.

Read from the stored verdicts, like the learners' own reports (nothing is judged again): the
class's whole verdicts come from the gradebook in one query and are kept in brief (a few
fields each), then one pass over the class, learner by learner, tallies what an instructor
asks next. What did the class get wrong (each check's failures, grouped by the *kind* of mistake
its message names, with a few learners each), how did each step and each quiz question do
(Moodle's item analysis, in item_analysis.py), which notebooks were not checked and why, who
handed in late, what was slow, and what went wrong on the grader's side.
"""

from __future__ import annotations

import heapq
import json
import re
import statistics
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..checks import CHECK_CRASHED
from ..checks.quiz_answers import NO_ANSWER
from ..spec import QUIZ, Step, unit
from .grading import ClassGrades, LearnerGrade
from .item_analysis import (
    DISCRIMINATION_BANDS,
    FACILITY_BANDS,
    ItemStats,
    item_stats,
    reading,
)
from .verdicts import STATUSES

if TYPE_CHECKING:
    from churn_course.quiz_bank import Question

FORMAT = "churn-course-class-report"
VERSION = 1
NAMED = 5  # learners named (and linked) per mistake
MESSAGES_KEPT = 40  # distinct messages kept per mistake, to name it by what they share
SLOWEST = 5


# ------------------------------------------------------------------ naming a kind of mistake

_TOKENS = re.compile(r"`[^`]*`|\d+(?:\.\d+)?|\w+|\s+|.", re.DOTALL)


def common_words(messages: Iterable[str]) -> str:
    """What messages of one kind share, the words that differ shown as `…`: "`threshold` is
    0.7; the step asks for 0.6." and "... is 0.9; ..." become "`threshold` is …; the step
    asks for 0.6."."""
    texts = list(dict.fromkeys(messages))
    if len(texts) <= 1:
        return texts[0] if texts else ""
    split = [_TOKENS.findall(text) for text in texts]
    shortest = min(map(len, split))
    if all(len(tokens) == shortest for tokens in split):
        words = [same[0] if len(set(same)) == 1 else "…"
                 for same in zip(*split, strict=True)]
    else:  # different lengths: the words they all open and close with
        head = _shared(split, shortest)
        tail = _shared([tokens[::-1] for tokens in split], shortest - len(head))[::-1]
        words = [*head, "…", *tail]
    text = re.sub(r"…(?:\s*…)+", "…", "".join(words)).strip()
    return text if text.strip("… ") else texts[0]


def _shared(split: list[list[str]], most: int) -> list[str]:
    """The tokens every list opens with (at most `most`)."""
    shared = []
    for same in zip(*(tokens[:most] for tokens in split), strict=False):
        if len(set(same)) != 1:
            break
        shared.append(same[0])
    return shared


# ----------------------------------------------------------------- the verdicts, in brief


@dataclass(frozen=True, slots=True)
class Check:
    """What the class report needs of one check's verdict."""

    id: str
    step: str
    title: str
    passed: bool
    ran: bool
    started: bool
    kind: str
    message: str  # kept for failures only
    points: float
    max_points: float


@dataclass(frozen=True, slots=True)
class Brief:
    """What the class report needs of one whole verdict (a stored verdict, in brief)."""

    notebook: str
    status: str
    passed: bool  # the step passed: it ran and every check of it passed
    points: float
    max_points: float
    seconds: float  # as results.json has it (to 0.1 ms)
    message: str
    checks: tuple[Check, ...]
    stored: bool = True  # False: made without a stored verdict (missing, unreadable, a fault)


def brief(verdict: dict, stored: bool = True) -> Brief:
    """A whole verdict as stored (`NotebookGrade.to_dict`) in brief."""
    result = verdict["result"]
    checks = tuple(Check(sys.intern(c["id"]), c["step"], sys.intern(c["title"]), c["passed"],
                         c.get("ran", True), c.get("started", True),
                         sys.intern(c.get("kind", "")), "" if c["passed"] else c["message"],
                         c["points"], c["max_points"]) for c in result["checks"])
    return Brief(verdict["notebook"], verdict["status"], result["status"] == "passed",
                 verdict["points"], verdict["max_points"], verdict.get("runtime", 0.0),
                 verdict.get("message", ""), checks, stored)


def briefs(result: ClassGrades) -> Callable[[LearnerGrade], dict[str, Brief]]:
    """How to read a learner's whole verdicts in brief: every stored verdict of the class in
    one pass (from the gradebook, or from results.json), kept in brief only; a verdict made
    without grading (missing, unreadable) from the learner's own loader."""
    wanted = {(v.unit, v.sha256) for learner in result.learners.values()
              for v in learner.verdicts.values() if v.run}
    stored = {(unit, sha): brief(json.loads(data) if isinstance(data, str) else data)
              for unit, sha, data in (result.stored() if result.stored else ())
              if (unit, sha) in wanted}
    made: dict[tuple, Brief] = {}

    def of(learner: LearnerGrade) -> dict[str, Brief]:
        found = {}
        for name, verdict in learner.verdicts.items():
            key = (name, verdict.sha256)
            if verdict.run and key in stored:
                found[name] = stored[key]
                continue
            # made here (missing, unreadable, a fault of the machine: never stored) or lost
            # from the gradebook: the learner's own loader says why; a reason many learners
            # share is made once
            reason = (name, verdict.status, verdict.message, verdict.run > 0)
            if reason not in made:
                made[reason] = brief(learner.loader(verdict).to_dict(),  # type: ignore[misc]
                                     stored=verdict.run > 0)
            found[name] = made[reason]
        return found

    return of


# ------------------------------------------------------------------------------ the tallies


@dataclass
class _Mistake:
    count: int = 0
    learners: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def add(self, learner: str, message: str) -> None:
        self.count += 1
        if len(self.learners) < NAMED:
            self.learners.append(learner)
        if len(self.messages) < MESSAGES_KEPT and message not in self.messages:
            self.messages.append(message)


@dataclass
class _CheckTally:
    check: Check  # the first seen: its id, step and title
    outcomes: Counter = field(default_factory=Counter)
    mistakes: dict[str, _Mistake] = field(default_factory=dict)

    def add(self, learner: str, status: str, check: Check) -> None:
        outcome = _outcome(status, check)
        self.outcomes[outcome] += 1
        if outcome == "failed":
            self.mistakes.setdefault(check.kind or "unnamed", _Mistake()).add(learner,
                                                                              check.message)


def _outcome(status: str, check: Check) -> str:
    """passed, failed, not started, not reached (a check before it failed) or not checked
    (the notebook was missing, timed out, ...)."""
    if status != "ok":
        return "not checked"
    if check.passed:
        return "passed"
    if not check.ran:
        return "not reached"
    return "failed" if check.started else "not started"


@dataclass
class _StepTally:
    step: Step
    statuses: Counter = field(default_factory=Counter)
    passed: int = 0
    points: float = 0.0
    max_points: float = 0.0


@dataclass
class Tally:
    """Everything the class report counts, filled one learner at a time (in the class's
    order, so the learners named are the same however the verdicts were read)."""

    steps: tuple[Step, ...]
    links: dict[str, str]  # learner -> their report, relative to OUT
    totals: list[float] = field(default_factory=list)
    max_total: float = 0.0
    per_step: dict[str, _StepTally] = field(default_factory=dict)
    checks: dict[str, _CheckTally] = field(default_factory=dict)
    quiz: list[dict[str, Check]] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    late_known: int = 0
    slowest: list[tuple[float, str, str, str]] = field(default_factory=list)
    crashed: list[tuple[str, str]] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    faults: list[tuple[str, str]] = field(default_factory=list)  # (learner, notebook)

    def __post_init__(self) -> None:
        self.per_step = {unit(s): _StepTally(s) for s in self.steps}

    def add(self, learner: LearnerGrade, notebooks: dict[str, Brief]) -> None:
        self.totals.append(learner.total)
        self.max_total = max(self.max_total, learner.max_total)
        if learner.late is not None:
            self.late_known += 1
            if learner.late:
                self.late.append(learner.learner)
        for name, grade in notebooks.items():
            self._add_notebook(learner.learner, self.per_step[name], grade)

    def _add_notebook(self, learner: str, tally: _StepTally, grade: Brief) -> None:
        tally.statuses[grade.status] += 1
        tally.passed += grade.status == "ok" and grade.passed
        tally.points += grade.points
        tally.max_points = max(tally.max_points, grade.max_points)
        if grade.status in ("ok", "timeout", "error") and grade.seconds > 0:
            entry = (grade.seconds, learner, grade.notebook, grade.status)
            (heapq.heappushpop if len(self.slowest) >= SLOWEST else heapq.heappush)(
                self.slowest, entry)
        if "could not be read back from the gradebook" in grade.message:
            self.unreadable.append((learner, grade.notebook))
        if grade.status == "error" and not grade.stored:  # the machine's, told, not stored
            self.faults.append((learner, grade.notebook))
        for check in grade.checks:
            self.checks.setdefault(check.id, _CheckTally(check)).add(learner, grade.status,
                                                                     check)
            if check.kind == CHECK_CRASHED:
                self.crashed.append((learner, check.id))
        if tally.step is QUIZ and grade.status == "ok":
            self.quiz.append({c.id: c for c in grade.checks})


# ------------------------------------------------------------------------------ the figures


def _share(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _plural(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _learners(names: Iterable[str], links: dict[str, str]) -> list[dict]:
    return [{"id": name, "report": links.get(name, "")} for name in names]


def _scores(tally: Tally) -> dict:
    top = tally.max_total
    bins = int(top) + 1 if top else 1
    counts = [0] * bins
    for total in tally.totals:
        counts[min(int(total), bins - 1)] += 1
    totals = tally.totals
    return {"max": top, "learners": len(totals),
            "mean": round(statistics.fmean(totals), 2) if totals else None,
            "median": statistics.median(totals) if totals else None,
            "sd": round(statistics.stdev(totals), 2) if len(totals) > 1 else None,
            "full_marks": sum(t == top for t in totals) if top else 0,
            "histogram": {"from": list(range(bins)), "learners": counts}}


def _steps(tally: Tally, learners: int) -> list[dict]:
    rows = []
    for name, step in tally.per_step.items():
        handed_in = learners - step.statuses["missing"]
        rows.append({"step": step.step.key, "label": step.step.label,
                     "column": step.step.column, "unit": name,
                     "title": step.step.title, "notebook": step.step.notebook,
                     "handed_in": handed_in, "checked": step.statuses["ok"],
                     "passed": step.passed, "pass_rate": _share(step.passed, learners),
                     "pass_rate_of_handed_in": _share(step.passed, handed_in),
                     "mean_points": round(step.points / learners, 2) if learners else None,
                     "max_points": step.max_points,
                     "statuses": {s: step.statuses[s] for s in STATUSES}})
    return rows


def _checks(tally: Tally) -> list[dict]:
    labels = {s.key: s.label for s in tally.steps}
    rows = []
    for check_id, entry in tally.checks.items():
        if entry.check.step == QUIZ.key:
            continue  # the quiz's questions have their own analysis
        mistakes = sorted(entry.mistakes.items(), key=lambda item: (-item[1].count, item[0]))
        rows.append({
            "id": check_id, "step": entry.check.step, "label": labels.get(entry.check.step, ""),
            "title": entry.check.title,
            **{outcome.replace(" ", "_"): entry.outcomes[outcome] for outcome in
               ("passed", "failed", "not started", "not reached", "not checked")},
            "mistakes": [{"kind": kind, "said": common_words(m.messages), "learners": m.count,
                          "examples": _learners(m.learners, tally.links)}
                         for kind, m in mistakes]})
    return rows


def _quiz(tally: Tally) -> dict | None:
    """Moodle's item analysis of every question, over the graded quizzes (tally.quiz)."""
    if not any(s is QUIZ for s in tally.steps):
        return None
    from churn_course.quiz_bank import load_bank

    bank = load_bank()
    ids = [f"{QUIZ.key}.{q.id}" for q in bank]
    marks = [[answers[i].points if i in answers else 0 for i in ids] for answers in tally.quiz]
    maxima = [max((answers[i].max_points for answers in tally.quiz if i in answers), default=1)
              for i in ids]
    return {"attempts": len(tally.quiz),
            "questions": [_question(question, stats, [answers.get(check_id)
                                                      for answers in tally.quiz])
                          for question, check_id, stats
                          in zip(bank, ids, item_stats(marks, maxima), strict=True)]}


def _question(question: Question, stats: ItemStats, answers: list[Check | None]) -> dict:
    """One question's figures, and how often each option was the answer."""
    picked = Counter(NO_ANSWER if answer is None else answer.kind or "not recorded"
                     for answer in answers)
    options = [{"option": letter, "text": text, "right": letter == question.answer,
                "picked": picked.pop(letter, 0)} for letter, text in question.options]
    for option in options:
        option["share"] = _share(option["picked"], stats.attempts)
    right = next(o["picked"] for o in options if o["right"])
    drew = sorted((o for o in options if not o["right"] and o["picked"]),
                  key=lambda o: -o["picked"])
    return {"id": question.id, "number": question.number, "difficulty": question.difficulty,
            "answer": question.answer, "attempts": stats.attempts,
            "facility": _round(stats.facility), "sd": _round(stats.sd),
            "discrimination": _round(stats.discrimination),
            "efficiency": _round(stats.efficiency),
            "facility_reads": reading(stats.facility, FACILITY_BANDS),
            "discrimination_reads": reading(stats.discrimination, DISCRIMINATION_BANDS),
            "options": options, "no_answer": picked.pop(NO_ANSWER, 0),
            "other": sum(picked.values()),  # a letter that is no option, or not recorded
            "distractors": [{"option": o["option"], "picked": o["picked"],
                             "more_than_the_answer": o["picked"] > right} for o in drew]}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _notebooks(tally: Tally, result: ClassGrades) -> dict:
    statuses = Counter()
    for step in tally.per_step.values():
        statuses.update(step.statuses)
    return {"statuses": {s: statuses[s] for s in STATUSES},
            "late": len(tally.late), "late_known": tally.late_known,
            "late_learners": _learners(tally.late, tally.links),
            "slowest": [{"learner": learner, "report": tally.links.get(learner, ""),
                         "notebook": notebook, "seconds": round(seconds, 3), "status": status}
                        for seconds, learner, notebook, status in sorted(tally.slowest,
                                                                          reverse=True)],
            "ignored_files": len(result.ignored), "unplaced_files": len(result.unplaced)}


def _problems(tally: Tally, result: ClassGrades) -> list[str]:
    """What went wrong on the grader's side (not the learners'): the run's warnings, checks
    that crashed, verdicts the gradebook could not give back."""
    problems = list(result.warnings)
    if tally.crashed:
        checks = Counter(check for _, check in tally.crashed)
        problems.append(f"{_plural(len(tally.crashed), 'check')} could not run (a grader "
                        "bug, not the learners'): "
                        + ", ".join(f"{c} ×{n}" for c, n in checks.items()))
    if tally.faults:
        named = ", ".join(f"{learner} ({notebook})" for learner, notebook in tally.faults[:10])
        more = " …" if len(tally.faults) > 10 else ""
        problems.append(f"{_plural(len(tally.faults), 'notebook')} the grader could not grade "
                        "(its machine's doing, after retries, not the learners'): not stored, "
                        f"so the next run grades them again: {named}{more}")
    if tally.unreadable:
        problems.append(f"{_plural(len(tally.unreadable), 'verdict')} could not be read back "
                        "from the gradebook; grade again with --regrade")
    if result.unplaced:
        problems.append(f"{_plural(len(result.unplaced), 'file')} whose learner could not be told "
                        "(listed in results.json under 'unplaced')")
    return problems


def class_figures(result: ClassGrades, links: dict[str, str]) -> dict:
    """Every figure of the class report, as JSON-ready data (class.json)."""
    tally = Tally(result.steps, links)
    read = briefs(result)
    for learner in result.learners.values():
        tally.add(learner, read(learner))
    learners = len(result.learners)
    return {"format": FORMAT, "version": VERSION, "source": result.source,
            "grader": result.fingerprint, "counts": result.counts(), "learners": learners,
            "scores": _scores(tally), "steps": _steps(tally, learners),
            "checks": _checks(tally), "quiz": _quiz(tally),
            "notebooks": _notebooks(tally, result), "problems": _problems(tally, result)}
