"""Grading a whole class: reuse what the gradebook knows, run the rest in isolated workers.

Identical notebooks (the untouched template handed in by ten learners, a re-run of an
unchanged class) are run once. Every learner gets one `NotebookGrade` per graded step whatever
happened (missing, invalid, timed out), so the reports always have a full row for them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import statistics
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..spec import ALL_STEPS, OPTIONAL_NOTEBOOKS, Step, unit
from .collect import Collection, HandIn, LearnerFiles
from .gradebook import Gradebook, grader_fingerprint
from .notebook import MAX_CLASS_BYTES, MAX_NOTEBOOK_BYTES, InvalidNotebook, Plan, plan_notebook
from .pool import WorkerPool
from .sandbox import Limits
from .verdicts import STATUSES, NotebookGrade, failed, judge_reply

# What the worker said of the user it ran learner code as, when that weakens isolation.
SANDBOX_WARNINGS = {
    "unprivileged+read": (
        "learner code ran unprivileged but able to READ files outside its sandbox (not the "
        "submissions, reports or gradebook, which are covered up), because Python is installed "
        "in a folder only root can read (a root-owned pyenv, say). For full isolation, install "
        "Python where every user can read it, or grade in a container."),
    "root": ("learner code ran as root, inside a user namespace (a rootless container, say) "
             "that maps no user ids for grading workers: it could change any file this grader "
             "can. Map a range of ids into the container (/etc/subuid), or grade as root in a "
             "container that has them."),
    "same user": ("learner code ran as you (only root can switch to an unprivileged user), so "
                  "it could read and change your files, see your /tmp and use the network. "
                  "Grade as root in a container, or as a dedicated user."),
}
# ... and of its namespaces, when it ran as root without them.
NO_NAMESPACES = ("learner code ran without namespaces of its own (this system refused them): "
                 "it shared /tmp, /dev/shm and the network with this machine, and could see "
                 "files every user can read. Grade as root where namespaces are allowed (a "
                 "container started with CAP_SYS_ADMIN, or a plain machine).")


def sandbox_warnings(reply: dict) -> list[str]:
    """What the instructor should know about how isolated one worker was."""
    found = [SANDBOX_WARNINGS[user]] if (user := reply.get("user")) in SANDBOX_WARNINGS else []
    if user not in ("same user", None) and reply.get("isolation") == "none":
        found.append(NO_NAMESPACES)
    return found


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
            names = list(dict.fromkeys(  # Part 2's four steps share one notebook: name it once
                g.notebook.split("#")[0].removesuffix(".ipynb") for g in self.notebooks.values()
                if g.status == status))
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


def graded_steps(collection: Collection, steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """Part 2 is optional: its steps are graded (and get their grades.csv columns) once any
    learner of the class hands in its notebook, so a class doing Part 1 only sees Part 1."""
    handed_in = {name for files in collection.learners.values() for name in files.handins}
    return tuple(s for s in steps if s.notebook not in OPTIONAL_NOTEBOOKS or
                 s.notebook in handed_in)


def _read(handin: HandIn, files: LearnerFiles) -> tuple[bytes, tuple[tuple[str, bytes], ...]]:
    try:
        data = handin.load()
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError, EOFError) as err:
        raise InvalidNotebook(handin.problem or f"the file could not be read ({err})") from None
    if handin.problem:
        raise InvalidNotebook(handin.problem)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise InvalidNotebook(f"the file is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
    return data, files.attached_to(handin)


def _hash(data: bytes, attached: tuple[tuple[str, bytes], ...]) -> str:
    digest = hashlib.sha256(data)
    for name, content in attached:  # a changed answers file is a changed hand-in
        digest.update(b"\0" + name.encode() + b"\0" + content)
    return digest.hexdigest()


def _digest(handin: HandIn, files: LearnerFiles) -> tuple[str, int]:
    """(content hash, bytes read) of a hand-in and the files that travel with it."""
    if handin.problem:
        raise InvalidNotebook(handin.problem)
    data, attached = _read(handin, files)
    return _hash(data, attached), len(data) + sum(len(c) for _, c in attached)


def _plan(handin: HandIn, files: LearnerFiles, step: Step, sha: str) -> Plan:
    """Read the hand-in again and plan it; the bytes must be those hashed."""
    data, attached = _read(handin, files)
    if _hash(data, attached) != sha:
        raise InvalidNotebook("it changed while the class was being graded; grade again")
    return dataclasses.replace(plan_notebook(data, step.key), files=attached)


def grade_class(collection: Collection, *, jobs: int | None = None,
                limits: Limits | None = None, gradebook: Gradebook | None = None,
                regrade: bool = False, progress: bool = False,
                steps: tuple[Step, ...] = ALL_STEPS, cluster: str | None = None,
                hide: tuple[str, ...] = ()) -> ClassGrades:
    """Grade every learner's notebooks; verdicts go to the gradebook as soon as they exist.
    `cluster` (a Dask scheduler address, or local:N) runs the plans on Dask workers instead of
    this machine's pool; everything else stays here. No worker of the local pool sees the
    submissions, the gradebook or the folders in `hide` (OUT, say)."""
    limits = limits or Limits()
    steps = graded_steps(collection, steps)
    fingerprint = grader_fingerprint({"limits": limits.to_dict()})
    started = time.perf_counter()
    run_id = gradebook.start_run(collection.source, fingerprint) if gradebook else 0
    grades: dict[tuple[str, str], NotebookGrade] = {}  # (learner, notebook) -> grade
    queued: dict[tuple[str, str], list[str]] = {}  # (notebook, sha) -> learners waiting
    plans = []
    submissions = []
    by_unit = {unit(s): s for s in steps}
    reused = 0
    read_so_far = 0
    # First pass: read each hand-in once, hash it and let it go (a class is never held in
    # memory), reusing what the gradebook knows; the second pass, below, reads again only what
    # must run, one notebook at a time as the workers take them.
    for learner_id, files in collection.learners.items():
        for step in steps:
            handin = files.handins.get(step.notebook)
            if handin is None:
                grades[learner_id, unit(step)] = failed(step, "missing", "not handed in")
                continue
            try:
                if read_so_far > MAX_CLASS_BYTES:
                    raise InvalidNotebook(f"the class's hand-ins passed "
                                          f"{MAX_CLASS_BYTES // 2**30} GB in total before it")
                sha, size = _digest(handin, files)
                read_so_far += size
            except InvalidNotebook as err:
                grades[learner_id, unit(step)] = failed(
                    step, "invalid", str(err), notes=list(handin.notes))
                continue
            submissions.append((learner_id, unit(step), sha))
            key = (unit(step), sha)
            if key in queued:
                queued[key].append(learner_id)
                continue
            cached = None if regrade or gradebook is None else gradebook.lookup(
                unit(step), sha, fingerprint)
            if cached is not None:
                reused += 1
                grades[learner_id, unit(step)] = dataclasses.replace(
                    cached, notes=cached.notes + handin.notes, reused=True)
                continue
            queued[key] = [learner_id]
            plans.append((key, step, handin, files))
    if gradebook:
        gradebook.record_submissions(submissions, run_id)

    notes_of = {(lid, unit(s)): files.handins[s.notebook].notes
                for lid, files in collection.learners.items() for s in steps
                if s.notebook in files.handins}
    plan_notes_of: dict[tuple[str, str], tuple[str, ...]] = {}
    bar = _progress_bar(len(plans), progress)

    def give(key: tuple[str, str], grade: NotebookGrade) -> int:
        """The verdict to every learner who handed in these bytes; how many reused it."""
        if gradebook:
            gradebook.store(grade, fingerprint, run_id)
        for index, learner_id in enumerate(queued[key]):
            grades[learner_id, key[0]] = dataclasses.replace(
                grade, notes=grade.notes + notes_of.get((learner_id, key[0]), []),
                reused=index > 0)
        return len(queued[key]) - 1

    def planned() -> Iterator[tuple[tuple[str, str], Plan]]:
        nonlocal reused
        for key, step, handin, files in plans:
            try:
                plan = _plan(handin, files, step, key[1])
            except InvalidNotebook as err:
                reused += give(key, failed(step, "invalid", str(err), sha256=key[1]))
                bar.update(1)  # type: ignore[attr-defined]
                continue
            plan_notes_of[key] = plan.notes
            yield key, plan

    private = [*hide, collection.source] + ([str(gradebook.path), f"{gradebook.path}-wal",
                                             f"{gradebook.path}-shm"] if gradebook else [])
    if cluster:
        from .cluster import ClusterPool

        pool: WorkerPool | ClusterPool = ClusterPool(cluster, jobs, limits)
    else:
        pool = WorkerPool(jobs, limits, hide=[p for p in private if os.path.exists(p)])
    ran = 0
    outcome_text = "interrupted"
    outcomes = pool.run(planned())
    warnings: list[str] = []
    try:
        for outcome in outcomes:
            notebook, sha = outcome.key
            step = by_unit[notebook]
            plan_notes = list(plan_notes_of[outcome.key])
            if outcome.status == "ok" and outcome.reply is not None:
                grade = judge_reply(step, outcome.reply, outcome.seconds, sha, plan_notes)
                warnings += [w for w in sandbox_warnings(outcome.reply) if w not in warnings]
            else:
                grade = failed(step, outcome.status, outcome.message, seconds=outcome.seconds,
                               sha256=sha, notes=plan_notes)
            ran += 1
            reused += give(outcome.key, grade)
            bar.update(1)  # type: ignore[attr-defined]
        outcome_text = "complete"
        warnings += getattr(pool, "problems", [])
    finally:
        outcomes.close()  # on Ctrl-C: kill the running workers now, not when garbage-collected
        bar.close()  # type: ignore[attr-defined]
        if gradebook:
            gradebook.finish_run(run_id, outcome_text, ran, reused)

    learners = {}
    for learner_id in sorted(collection.learners, key=lambda n: (n.casefold(), n)):
        files = collection.learners[learner_id]
        learners[learner_id] = LearnerGrade(
            learner_id, {unit(s): grades[learner_id, unit(s)] for s in steps},
            sorted(files.ignored), files.name, files.late, files.upload_prefix)
    return ClassGrades(collection.source, steps, learners, limits, fingerprint,
                       sorted(collection.ignored), time.perf_counter() - started, ran, reused,
                       warnings, collection.layout, list(collection.unplaced))
