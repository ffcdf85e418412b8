"""Grading a whole class: reuse what the gradebook knows, run the rest in isolated workers.

Identical notebooks (the untouched template handed in by ten learners, a re-run of an
unchanged class) are run once. Every learner gets one `NotebookGrade` per graded step whatever
happened (missing, invalid, timed out), so the reports always have a full row for them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import statistics
import sys
import time
from dataclasses import dataclass, field

from ..spec import ALL_STEPS, Step
from .collect import Collection
from .gradebook import Gradebook, grader_fingerprint
from .notebook import InvalidNotebook, plan_notebook
from .pool import WorkerPool
from .sandbox import Limits
from .verdicts import STATUSES, NotebookGrade, failed, judge_reply

# What the worker said of the user it ran learner code as, when that weakens isolation.
SANDBOX_WARNINGS = {
    "unprivileged+read": (
        "learner code ran unprivileged but able to READ every file on this machine, because "
        "Python is installed in a folder only root can read (a root-owned pyenv, say). For full "
        "isolation, install Python where every user can read it, or grade in a container."),
    "": ("learner code ran as root: switching to an unprivileged user failed here, so it "
         "could read and change any file."),
    "same user": ("learner code ran as you (only root can switch to an unprivileged user), so "
                  "it could read and change your files. Grade as root in a container, or as a "
                  "dedicated user."),
}


def column(step: Step) -> str:
    """The step's column name in grades.csv."""
    return "quiz" if step.key == "quiz" else f"step_{step.key}"


@dataclass
class LearnerGrade:
    learner: str
    notebooks: dict[str, NotebookGrade]
    ignored: list[str] = field(default_factory=list)
    name: str = ""  # as the download wrote it, when it did (an LMS's own)
    late: bool | None = None  # as the download marked it; None: it said nothing
    upload_prefix: str = ""  # how the LMS named this learner's files (feedback goes back so)

    @property
    def total(self) -> float:
        return sum(g.points for g in self.notebooks.values())

    @property
    def max_total(self) -> float:
        return sum(g.max_points for g in self.notebooks.values())

    @property
    def status(self) -> str:
        """`ok`, or which notebooks were not checked and why, e.g. `timeout: 03_...`."""
        parts = []
        for status in STATUSES[1:]:
            names = [g.notebook.removesuffix(".ipynb") for g in self.notebooks.values()
                     if g.status == status]
            if names:
                parts.append(f"{status}: {', '.join(names)}")
        return "; ".join(parts) or "ok"

    def to_dict(self) -> dict:
        checks = [dict(c.to_dict(), notebook=g.notebook) for g in self.notebooks.values()
                  for c in g.result.checks]
        return {"learner": self.learner, "name": self.name, "late": self.late,
                "upload_prefix": self.upload_prefix,
                "total": self.total, "max_total": self.max_total,
                "status": self.status, "checks": checks,
                "notebooks": {name: g.to_dict() for name, g in self.notebooks.items()},
                "ignored_files": list(self.ignored)}


@dataclass
class ClassGrades:
    source: str
    steps: tuple[Step, ...]
    learners: dict[str, LearnerGrade]
    limits: Limits
    fingerprint: str
    ignored: list[str] = field(default_factory=list)
    seconds: float = 0.0
    ran: int = 0  # notebooks run by a worker this time
    reused: int = 0  # verdicts taken from the gradebook (or from an identical hand-in)
    warnings: list[str] = field(default_factory=list)  # about the sandbox, for the instructor
    layout: str = ""  # the shape of download recognised, and why
    unplaced: list[str] = field(default_factory=list)  # files whose learner can't be told

    def status_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for learner in self.learners.values():
            for grade in learner.notebooks.values():
                counts[grade.status] += 1
        return counts

    def slowest(self, count: int = 5) -> list[tuple[str, NotebookGrade]]:
        graded = [(name, g) for name, learner in self.learners.items()
                  for g in learner.notebooks.values() if g.status in ("ok", "timeout", "error")]
        return sorted(graded, key=lambda item: -item[1].seconds)[:count]

    def summary(self) -> str:
        counts = self.status_counts()
        notebooks = sum(counts.values())
        rate = self.ran / self.seconds if self.seconds > 0 else 0.0
        lines = [f"Graded {len(self.learners)} learner(s), {notebooks} notebook(s) in "
                 f"{self.seconds:.1f} s: {self.ran} run ({rate:.1f} notebooks/s), "
                 f"{self.reused} reused from the gradebook or an identical hand-in."]
        lines.append("  Notebooks: " + " · ".join(f"{k} {v}" for k, v in counts.items()))
        if self.learners:
            totals = [lg.total for lg in self.learners.values()]
            top = max((lg.max_total for lg in self.learners.values()), default=0)
            mean = statistics.fmean(totals)
            share = f" ({100 * mean / top:.0f} %)" if top else ""
            lines.append(f"  Mean score: {mean:.2f} / {top:g}{share}; "
                         f"{sum(t == top for t in totals)} learner(s) with full marks.")
        slow = [(n, g) for n, g in self.slowest() if g.seconds > 0]
        if slow:
            lines.append("  Slowest: " + "; ".join(
                f"{n}/{g.notebook} {g.seconds:.2f} s ({g.status})" for n, g in slow))
        if self.unplaced:
            lines.append(f"  Warning: {len(self.unplaced)} file(s) whose learner could not be "
                         "told from the name, so not graded (listed in results.json under "
                         "'unplaced'); rename or move them and run again.")
        if self.ignored:
            lines.append(f"  Ignored outside learner folders: {len(self.ignored)} item(s) "
                         "(listed in results.json).")
        lines += [f"  Warning: {warning}" for warning in self.warnings]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"source": self.source, "layout": self.layout, "unplaced": list(self.unplaced),
                "grader": {"fingerprint": self.fingerprint, "limits": self.limits.to_dict(),
                           "steps": [s.notebook for s in self.steps]},
                "statuses": self.status_counts(), "ignored": list(self.ignored),
                "warnings": list(self.warnings),
                "learners": {name: lg.to_dict() for name, lg in self.learners.items()}}


def _progress_bar(total: int, enabled: bool) -> object:
    from tqdm import tqdm

    return tqdm(total=total, unit="nb", desc="Grading", disable=not enabled or total == 0,
                file=sys.stderr, dynamic_ncols=True, smoothing=0.1)


def grade_class(collection: Collection, *, jobs: int | None = None,
                limits: Limits | None = None, gradebook: Gradebook | None = None,
                regrade: bool = False, progress: bool = False,
                steps: tuple[Step, ...] = ALL_STEPS, cluster: str | None = None) -> ClassGrades:
    """Grade every learner's notebooks; verdicts go to the gradebook as soon as they exist.
    `cluster` (a Dask scheduler address, or local:N) runs the plans on Dask workers instead of
    this machine's pool; everything else stays here."""
    limits = limits or Limits()
    fingerprint = grader_fingerprint({"limits": limits.to_dict()})
    started = time.perf_counter()
    run_id = gradebook.start_run(collection.source, fingerprint) if gradebook else 0
    grades: dict[tuple[str, str], NotebookGrade] = {}  # (learner, notebook) -> grade
    queued: dict[tuple[str, str], list[str]] = {}  # (notebook, sha) -> learners waiting
    plans = []
    known: dict[tuple[str, str], NotebookGrade] = {}  # (notebook, sha) -> grade, this run
    submissions = []
    by_notebook = {s.notebook: s for s in steps}
    reused = 0
    for learner_id, files in collection.learners.items():
        for step in steps:
            handin = files.handins.get(step.notebook)
            if handin is None:
                grades[learner_id, step.notebook] = failed(step, "missing", "not handed in")
                continue
            if handin.data is None:
                grades[learner_id, step.notebook] = failed(
                    step, "invalid", handin.problem, notes=list(handin.notes))
                continue
            attached = files.attached_to(handin)
            digest = hashlib.sha256(handin.data)
            for name, data in attached:  # a changed answers file is a changed hand-in
                digest.update(b"\0" + name.encode() + b"\0" + data)
            sha = digest.hexdigest()
            submissions.append((learner_id, step.notebook, sha))
            key = (step.notebook, sha)
            if key in queued:
                queued[key].append(learner_id)
                continue
            cached = None if regrade or gradebook is None else gradebook.lookup(
                step.notebook, sha, fingerprint)
            if cached is None and key in known:
                cached = known[key]
            if cached is not None:
                reused += 1
                grades[learner_id, step.notebook] = dataclasses.replace(
                    cached, notes=cached.notes + handin.notes, reused=True)
                continue
            try:
                plan = dataclasses.replace(plan_notebook(handin.data, step.key), files=attached)
            except InvalidNotebook as err:
                grade = failed(step, "invalid", str(err), sha256=sha)
                known[key] = grade
                if gradebook:
                    gradebook.store(grade, fingerprint, run_id)
                grades[learner_id, step.notebook] = dataclasses.replace(
                    grade, notes=grade.notes + handin.notes)
                continue
            queued[key] = [learner_id]
            plans.append((key, plan))
    if gradebook:
        gradebook.record_submissions(submissions, run_id)

    notes_of = {(lid, s.notebook): files.handins[s.notebook].notes
                for lid, files in collection.learners.items() for s in steps
                if s.notebook in files.handins}
    plan_notes_of = {key: plan.notes for key, plan in plans}
    if cluster:
        from .cluster import ClusterPool

        pool: WorkerPool | ClusterPool = ClusterPool(cluster, jobs, limits)
    else:
        pool = WorkerPool(jobs, limits)
    bar = _progress_bar(len(plans), progress)
    ran = 0
    outcome_text = "interrupted"
    outcomes = pool.run(plans)
    warnings: list[str] = []
    try:
        for outcome in outcomes:
            notebook, sha = outcome.key
            step = by_notebook[notebook]
            plan_notes = list(plan_notes_of[outcome.key])
            if outcome.status == "ok" and outcome.reply is not None:
                grade = judge_reply(step, outcome.reply, outcome.seconds, sha, plan_notes)
                warning = SANDBOX_WARNINGS.get(outcome.reply.get("user"))
                if warning and warning not in warnings:
                    warnings.append(warning)
            else:
                grade = failed(step, outcome.status, outcome.message, seconds=outcome.seconds,
                               sha256=sha, notes=plan_notes)
            ran += 1
            if gradebook:
                gradebook.store(grade, fingerprint, run_id)
            for index, learner_id in enumerate(queued[outcome.key]):
                grades[learner_id, notebook] = dataclasses.replace(
                    grade, notes=grade.notes + notes_of.get((learner_id, notebook), []),
                    reused=index > 0)
                reused += index > 0
            bar.update(1)  # type: ignore[attr-defined]
        outcome_text = "complete"
    finally:
        outcomes.close()  # on Ctrl-C: kill the running workers now, not when garbage-collected
        bar.close()  # type: ignore[attr-defined]
        if gradebook:
            gradebook.finish_run(run_id, outcome_text, ran, reused)

    learners = {}
    for learner_id in sorted(collection.learners, key=lambda n: (n.casefold(), n)):
        files = collection.learners[learner_id]
        learners[learner_id] = LearnerGrade(
            learner_id, {s.notebook: grades[learner_id, s.notebook] for s in steps},
            sorted(files.ignored), files.name, files.late, files.upload_prefix)
    return ClassGrades(collection.source, steps, learners, limits, fingerprint,
                       sorted(collection.ignored), time.perf_counter() - started, ran, reused,
                       warnings, collection.layout, list(collection.unplaced))
