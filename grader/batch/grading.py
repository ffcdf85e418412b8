"""Grading a whole class: reuse what the gradebook knows, send the rest to the grading lanes.

The coordinating process (this one) does as little per notebook as it can, so that one machine,
or a whole cluster, isn't capped by it: it hashes each hand-in once (and, on later runs, not
even that: the gradebook remembers each file's hash by its `stat` identity), asks the gradebook
in one query which verdicts it already has, and hands the rest out as small jobs. The lanes
(`lanes.py`, or Dask workers with `--cluster`) read, plan, run and judge; verdicts come back as
JSON and go straight into the gradebook in batches. What stays here is one small `Verdict` per
learner and notebook (status and points); a whole verdict is loaded from the gradebook only when
a report needs it, one learner at a time, so a class costs this process about 1.6 KB per
notebook (benchmarks/scale.py), not a whole verdict each.

Identical notebooks (the untouched template handed in by ten learners, a re-run of an
unchanged class) are run once. Every learner gets one verdict per graded step whatever
happened (missing, invalid, timed out), so the reports always have a full row for them.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from ..spec import ALL_STEPS, Step, unit
from .collect import MAX_ATTACHMENT_BYTES, Collection, HandIn, LearnerFiles
from .gradebook import Gradebook, Stored, grader_fingerprint, number
from .lane import handin_hash
from .notebook import MAX_CLASS_BYTES, MAX_NOTEBOOK_BYTES, InvalidNotebook
from .readers import READ_ERRORS
from .sandbox import Limits
from .selection import Selection
from .verdicts import STATUSES, NotebookGrade, failed


@dataclass(slots=True)
class Verdict:
    """What the coordinator keeps of one learner's one notebook: small, so a class of tens of
    thousands fits. The whole verdict is in the gradebook (`run` > 0) or made again from the
    reason (`run` 0: missing, or unreadable before it could be sent to grading)."""

    unit: str
    status: str
    points: float
    max_points: float
    seconds: float = 0.0
    sha256: str = ""
    message: str = ""  # why it was not graded, for a verdict made here
    notes: list[str] = field(default_factory=list)  # this learner's own (how it was found)
    reused: bool = False  # from the gradebook, or from an identical hand-in
    run: int = 0  # the gradebook run that stored the whole verdict


@dataclass
class LearnerGrade:
    learner: str
    verdicts: dict[str, Verdict]
    ignored: list[str] = field(default_factory=list)
    name: str = ""  # as the download wrote it, when it did (an LMS's own)
    late: bool | None = None  # as the download marked it; None: it said nothing
    upload_prefix: str = ""  # how the LMS named this learner's files (feedback goes back so)
    loader: Callable[[Verdict], NotebookGrade] | None = field(default=None, repr=False,
                                                              compare=False)

    @property
    def notebooks(self) -> dict[str, NotebookGrade]:
        """Every whole verdict, loaded now (not kept: ask once and hold on to it)."""
        if self.loader is None:
            raise RuntimeError("these grades can no longer be loaded")
        return {name: self.loader(v) for name, v in self.verdicts.items()}

    @property
    def total(self) -> float:
        return sum(v.points for v in self.verdicts.values())

    @property
    def max_total(self) -> float:
        return sum(v.max_points for v in self.verdicts.values())

    @property
    def status(self) -> str:
        """`ok`, or which notebooks were not checked and why, e.g. `timeout: 03_...`."""
        parts = []
        for status in STATUSES[1:]:
            names = list(dict.fromkeys(  # Part 2's four steps share one notebook: name it once
                v.unit.split("#")[0].removesuffix(".ipynb") for v in self.verdicts.values()
                if v.status == status))
            if names:
                parts.append(f"{status}: {', '.join(names)}")
        return "; ".join(parts) or "ok"

    def to_dict(self, notebooks: dict[str, NotebookGrade] | None = None) -> dict:
        notebooks = self.notebooks if notebooks is None else notebooks
        checks = [dict(c.to_dict(), notebook=g.notebook) for g in notebooks.values()
                  for c in g.result.checks]
        return {"learner": self.learner, "name": self.name, "late": self.late,
                "upload_prefix": self.upload_prefix,
                "total": self.total, "max_total": self.max_total,
                "status": self.status, "checks": checks,
                "notebooks": {name: g.to_dict() for name, g in notebooks.items()},
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
    chosen: str = ""  # how the instructor chose what counts (`--notebooks 01,02`); "": default
    # every whole verdict stored for this grader: (unit, sha256, the verdict as JSON text or as
    # a dict), in one pass: how the class report reads the class
    stored: Callable[[], Iterable[tuple[str, str, str | dict]]] | None = field(
        default=None, repr=False, compare=False)

    def counts(self) -> dict:
        """What counts in this run's totals, and who chose it (written into results.json and
        the class report)."""
        return {"steps": [s.key for s in self.steps],
                "notebooks": list(dict.fromkeys(s.notebook for s in self.steps)),
                "chosen": self.chosen or None}

    def status_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for learner in self.learners.values():
            for verdict in learner.verdicts.values():
                counts[verdict.status] += 1
        return counts

    def slowest(self, count: int = 5) -> list[tuple[str, Verdict]]:
        graded = [(name, v) for name, learner in self.learners.items()
                  for v in learner.verdicts.values() if v.status in ("ok", "timeout", "error")]
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
                f"{n}/{g.unit} {g.seconds:.2f} s ({g.status})" for n, g in slow))
        if self.unplaced:
            lines.append(f"  Warning: {len(self.unplaced)} file(s) whose learner could not be "
                         "told from the name, so not graded (listed in results.json under "
                         "'unplaced'); rename or move them and run again.")
        if self.ignored:
            lines.append(f"  Ignored outside learner folders: {len(self.ignored)} item(s) "
                         "(listed in results.json).")
        lines += [f"  Warning: {warning}" for warning in self.warnings]
        return "\n".join(lines)

    def head(self) -> dict:
        """Everything of results.json but the learners."""
        return {"source": self.source, "layout": self.layout, "unplaced": list(self.unplaced),
                "grader": {"fingerprint": self.fingerprint, "limits": self.limits.to_dict(),
                           "steps": [s.notebook for s in self.steps]},
                "counts": self.counts(), "statuses": self.status_counts(),
                "ignored": list(self.ignored), "warnings": list(self.warnings)}

    def to_dict(self) -> dict:
        return dict(self.head(),
                    learners={name: lg.to_dict() for name, lg in self.learners.items()})


def _progress_bar(total: int, enabled: bool, desc: str = "Grading",
                  unit_name: str = "nb") -> object:
    from tqdm import tqdm

    return tqdm(total=total, unit=unit_name, desc=desc, disable=not enabled or total == 0,
                file=sys.stderr, dynamic_ncols=True, smoothing=0.1, leave=desc == "Grading")


def graded_steps(collection: Collection, steps: tuple[Step, ...],
                 exact: bool = False) -> tuple[Step, ...]:
    """Part 2 and the choose-the-mode exercise are optional (unless the instructor named them:
    `exact`): their steps are graded (and get their grades.csv columns) once any learner of the
    class hands in their notebook, so a class doing the page's four steps only sees those."""
    if exact:
        return steps
    handed_in = {name for files in collection.learners.values() for name in files.handins}
    return tuple(s for s in steps if not s.optional or s.notebook in handed_in)



class _Hashes:
    """Content hashes of the files handed in: taken from the gradebook's memory of each file
    while its `stat` identity is unchanged (see readers.py), else read and hashed now."""

    def __init__(self, known: dict[str, str]) -> None:
        self.known = known
        self.new: dict[str, str] = {}  # identity -> sha256, read this run
        self.seen: list[str] = []  # identities whose hash was known

    def of(self, content: object) -> str:
        if isinstance(content, bytes):
            return hashlib.sha256(content).hexdigest()
        identity = content.identity  # type: ignore[attr-defined]
        sha = self.known.get(identity) or self.new.get(identity)
        if sha is not None:
            self.seen.append(identity)
            return sha
        sha = hashlib.sha256(content.read()).hexdigest()  # type: ignore[attr-defined]
        self.new[identity] = sha
        return sha


def _size(content: object) -> int:
    return len(content) if isinstance(content, bytes) else int(content.size)  # type: ignore


Attached = list[tuple[str, object]]  # (name, bytes or a reader) of the files sent along


def _hash_handin(handin: HandIn, files: LearnerFiles, hashes: _Hashes) -> tuple[str, int,
                                                                                 Attached]:
    """(content hash, size, the attached files used) of a hand-in, read only when its files are
    new or changed. An attached file that can't be read is listed as ignored and left out."""
    if handin.problem:
        raise InvalidNotebook(handin.problem)
    content = handin.data if handin.data is not None else handin.opener
    if content is None:
        raise InvalidNotebook("the file could not be read (nothing to read)")
    size = _size(content)
    if size > MAX_NOTEBOOK_BYTES:
        raise InvalidNotebook(f"the file is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
    try:
        sha = hashes.of(content)
    except READ_ERRORS as err:
        raise InvalidNotebook(f"the file could not be read ({err})") from None
    attached: Attached = []
    shas = []
    for name, path, extra in files.attachment_refs(handin):
        if _size(extra) > MAX_ATTACHMENT_BYTES:
            files.note_ignored(f"{path}: larger than {MAX_ATTACHMENT_BYTES:,} bytes, not used")
            continue
        try:
            shas.append((name, hashes.of(extra)))
        except READ_ERRORS as err:
            files.note_ignored(f"{path}: could not be read ({err})")
            continue
        attached.append((name, extra))
        size += _size(extra)
    return handin_hash(sha, shas), size, attached


def _where(content: object, inline: bool) -> dict:
    """How a lane finds a file's bytes: where it is, or (`inline`, for Dask workers on other
    machines, and for bytes given in memory) the bytes themselves."""
    if isinstance(content, bytes):
        return {"data": base64.b64encode(content).decode("ascii")}
    if inline:
        return {"data": base64.b64encode(content.read()).decode("ascii")}  # type: ignore
    return content.locator()  # type: ignore[attr-defined]


FLUSH_EVERY = 0.5  # seconds between gradebook commits while verdicts stream in

Key = tuple[str, str]  # (unit, content hash): one distinct hand-in, graded once


def grade_class(collection: Collection, *, jobs: int | None = None,
                limits: Limits | None = None, gradebook: Gradebook | None = None,
                regrade: bool = False, progress: bool = False,
                steps: tuple[Step, ...] = ALL_STEPS, cluster: str | None = None,
                hide: tuple[str, ...] = (), chosen: Selection | None = None) -> ClassGrades:
    """Grade every learner's notebooks; verdicts go to the gradebook as soon as they exist
    (without one, to a gradebook in memory). `cluster` (a Dask scheduler address, or local:N)
    runs the jobs on Dask workers instead of this machine's lanes; everything else stays here.
    No worker of the local pool sees the submissions, the gradebook or the folders in `hide`
    (OUT, say). `chosen`, the instructor's choice of what counts (`--notebooks 01,02`, see
    selection.py), replaces `steps`; by default Part 2 counts once anyone hands it in.

    Four stages: plan (what the gradebook already knows, one job per distinct hand-in),
    dispatch (the jobs to the lanes), record (each verdict to its learners and the gradebook),
    assemble (the class, whose whole verdicts are loaded from the gradebook on demand)."""
    limits = limits or Limits()
    chosen = chosen or Selection(steps)
    steps = graded_steps(collection, chosen.steps, chosen.exact)
    run = _Run.start(collection, steps, limits, gradebook, hide)
    plan = _plan(collection, steps, run, regrade, progress)
    executor = _executor(cluster, jobs, limits, run.private)
    ran = _dispatch(plan, run, executor, inline=cluster is not None, progress=progress)
    warnings = [*getattr(executor, "warnings", []), *getattr(executor, "problems", [])]
    return _assemble(collection, steps, plan, run, limits, ran, warnings, chosen)


@dataclass
class _Run:
    """What one grading run knows from the start: its gradebook, its run id, its grader."""

    book: Gradebook
    run_id: int
    fingerprint: str
    by_unit: dict[str, Step]
    private: list[str]  # what no worker may see
    started: float

    @classmethod
    def start(cls, collection: Collection, steps: tuple[Step, ...], limits: Limits,
              gradebook: Gradebook | None, hide: tuple[str, ...]) -> _Run:
        started = time.perf_counter()
        fingerprint = grader_fingerprint({"limits": limits.to_dict()})
        private = [*hide, collection.source] + ([str(gradebook.path), f"{gradebook.path}-wal",
                                                 f"{gradebook.path}-shm"] if gradebook else [])
        book = gradebook or Gradebook(":memory:")
        return cls(book, book.start_run(collection.source, fingerprint), fingerprint,
                   {unit(s): s for s in steps}, private, started)


@dataclass
class _Plan:
    """The class as planned: every learner's verdicts known so far, and the jobs for the rest
    (one per distinct hand-in, with every learner who handed in those very bytes)."""

    learners: dict[str, LearnerGrade] = field(default_factory=dict)
    jobs: list[tuple[Key, HandIn, Attached]] = field(default_factory=list)
    waiting: dict[Key, list[tuple[LearnerGrade, list[str]]]] = field(default_factory=dict)
    reused: int = 0
    bytes_read: int = 0


def _plan(collection: Collection, steps: tuple[Step, ...], run: _Run, regrade: bool,
          progress: bool) -> _Plan:
    """One pass over the class: hash each hand-in (from memory when its file is unchanged),
    reuse what the gradebook knows, queue the rest, one job per distinct hand-in."""
    plan = _Plan()
    known = {} if regrade else run.book.stored(run.fingerprint)
    hashes = _Hashes(run.book.known_hashes())
    submissions: list[tuple[str, str, str]] = []
    reading = _progress_bar(len(collection.learners), progress, "Reading", "learner")
    for learner_id in sorted(collection.learners, key=lambda n: (n.casefold(), n)):
        reading.update(1)  # type: ignore[attr-defined]
        files = collection.learners[learner_id]
        learner = plan.learners[learner_id] = LearnerGrade(
            learner_id, {}, files.ignored, files.name, files.late, files.upload_prefix)
        for step in steps:
            sha = _plan_handin(plan, learner, files, step, known, hashes)
            if sha:
                submissions.append((learner_id, unit(step), sha))
    reading.close()  # type: ignore[attr-defined]
    run.book.record_submissions(submissions, run.run_id)
    run.book.remember_hashes(hashes.new, hashes.seen, run.run_id)
    return plan


def _plan_handin(plan: _Plan, learner: LearnerGrade, files: LearnerFiles, step: Step,
                 known: dict[Key, Stored], hashes: _Hashes) -> str:
    """Settle one learner's one notebook now (missing, unreadable, known to the gradebook) or
    queue it; returns its content hash when it was handed in and read."""
    name = unit(step)
    handin = files.handins.get(step.notebook)
    if handin is None:
        learner.verdicts[name] = _made(step, "missing", "not handed in")
        return ""
    try:
        if plan.bytes_read > MAX_CLASS_BYTES:
            raise InvalidNotebook(f"the class's hand-ins passed {MAX_CLASS_BYTES // 2**30} GB "
                                  "in total before it")
        sha, size, attached = _hash_handin(handin, files, hashes)
        plan.bytes_read += size
    except InvalidNotebook as err:
        learner.verdicts[name] = _made(step, "invalid", str(err), handin.notes)
        return ""
    key = (name, sha)
    stored = known.get(key)
    if key in plan.waiting:  # the same bytes as another learner's, already queued
        plan.waiting[key].append((learner, handin.notes))
    elif stored is not None:
        plan.reused += 1
        learner.verdicts[name] = Verdict(name, stored.status, stored.points, stored.max_points,
                                         stored.seconds, sha, notes=handin.notes, reused=True,
                                         run=stored.run)
    else:
        plan.waiting[key] = [(learner, handin.notes)]
        plan.jobs.append((key, handin, attached))
    return sha


def _executor(cluster: str | None, jobs: int | None, limits: Limits,
              private: list[str]) -> object:
    """The grading lanes of this machine, or Dask workers (`cluster`): `run(jobs, count)`
    yields (header, verdict JSON) as verdicts come back."""
    if cluster:
        from .cluster import ClusterPool

        # each worker host hides those of these folders it has (all of them, with local:N)
        return ClusterPool(cluster, jobs, limits, hide=private)
    import os

    from .lanes import Lanes

    return Lanes(jobs, limits, hide=[p for p in private if os.path.exists(p)])


class _Recorder:
    """Gives each verdict that comes back to every learner waiting for it, and keeps it in the
    gradebook: committed in batches, at least every FLUSH_EVERY seconds, and on the way out."""

    def __init__(self, plan: _Plan, run: _Run, bar: object) -> None:
        self.plan, self.run, self.bar = plan, run, bar
        self.unsaved: list[tuple[str, str, dict, str]] = []
        self.last_flush = time.monotonic()

    def record(self, key: Key, head: dict, verdict: str) -> None:
        """A verdict from a lane: kept, unless it is about this run's reading of the file
        (`again`: told to the learner, not stored, so the next run grades it again)."""
        if head.get("again"):
            self.give(key, head, str(json.loads(verdict).get("message", "")))
            return
        self.unsaved.append((*key, head, verdict))
        self.give(key, head)
        if time.monotonic() - self.last_flush > FLUSH_EVERY:
            self.flush()

    def give(self, key: Key, head: dict, why: str | None = None) -> None:
        """The verdict to every learner who handed in these bytes (`why`: not stored)."""
        for index, (learner, notes) in enumerate(self.plan.waiting.pop(key)):
            learner.verdicts[key[0]] = Verdict(
                key[0], head["status"], number(head["points"]), number(head["max_points"]),
                float(head["seconds"]), key[1], why or "", notes=notes, reused=index > 0,
                run=self.run.run_id if why is None else 0)
            self.plan.reused += index > 0
        self.bar.update(1)  # type: ignore[attr-defined]

    def flush(self) -> None:
        if self.unsaved:
            self.run.book.store_many(self.unsaved, self.run.fingerprint, self.run.run_id)
            self.unsaved.clear()
        self.last_flush = time.monotonic()


def _jobs(plan: _Plan, run: _Run, recorder: _Recorder, sent: dict[int, Key],
          inline: bool) -> Iterator[dict]:
    """Each planned hand-in as a job for a lane (`sent` maps the job's number back to it). A
    file that can't be read to send along (Dask) is that learner's `invalid` at once."""
    for index, (key, handin, attached) in enumerate(plan.jobs):
        content = handin.data if handin.data is not None else handin.opener
        try:
            job = {"i": index, "unit": key[0], "sha": key[1],
                   "handin": _where(content, inline),
                   "files": [[name, _where(extra, inline)] for name, extra in attached]}
        except READ_ERRORS as err:  # only when the bytes go along (Dask)
            grade = failed(run.by_unit[key[0]], "invalid", f"the file could not be read ({err})")
            recorder.give(key, {"status": grade.status, "points": grade.points,
                                "max_points": grade.max_points, "seconds": 0.0}, grade.message)
            continue
        sent[index] = key
        yield job


def _dispatch(plan: _Plan, run: _Run, executor: object, *, inline: bool,
              progress: bool) -> int:
    """Send the planned jobs to `executor` and record each verdict as it comes back; every
    verdict received is kept, even when the run is interrupted. Returns how many ran."""
    bar = _progress_bar(len(plan.jobs), progress)
    recorder = _Recorder(plan, run, bar)
    sent: dict[int, Key] = {}
    ran, outcome = 0, "interrupted"
    try:
        if plan.jobs:
            jobs = _jobs(plan, run, recorder, sent, inline)
            for head, verdict in executor.run(jobs, len(plan.jobs)):  # type: ignore
                recorder.record(sent.pop(head["i"]), head, verdict)
                ran += 1
        outcome = "complete"
    finally:
        try:
            recorder.flush()
        finally:
            bar.close()  # type: ignore[attr-defined]
            run.book.finish_run(run.run_id, outcome, ran, plan.reused)
    return ran


def _assemble(collection: Collection, steps: tuple[Step, ...], plan: _Plan, run: _Run,
              limits: Limits, ran: int, warnings: list[str], chosen: Selection) -> ClassGrades:
    """The class as graded, in course order, each learner's whole verdicts loadable from the
    gradebook (or made again from the reason, for a notebook never graded)."""
    reader = run.book.reader()

    def load(verdict: Verdict) -> NotebookGrade:
        step = run.by_unit[verdict.unit]
        if verdict.run == 0:
            return failed(step, verdict.status, verdict.message, notes=list(verdict.notes))
        grade = reader.load(verdict.unit, verdict.sha256, run.fingerprint)
        if grade is None:
            return failed(step, "error", "its verdict could not be read back from the "
                          "gradebook; grade again with --regrade", sha256=verdict.sha256,
                          notes=list(verdict.notes))
        return dataclasses.replace(grade, notes=grade.notes + list(verdict.notes),
                                   reused=verdict.reused)

    for learner in plan.learners.values():
        learner.loader = load
        learner.ignored = sorted(learner.ignored)
        learner.verdicts = {name: learner.verdicts[name] for name in run.by_unit}
    return ClassGrades(collection.source, steps, plan.learners, limits, run.fingerprint,
                       sorted(collection.ignored), time.perf_counter() - run.started, ran,
                       plan.reused, warnings, collection.layout, list(collection.unplaced),
                       chosen.said, functools.partial(reader.verdicts, run.fingerprint))


@functools.cache
def _max_points(step: Step) -> float:
    return failed(step, "missing", "").max_points


def _made(step: Step, status: str, why: str, notes: list[str] | None = None) -> Verdict:
    """A verdict made here, for a notebook that was never sent to grading."""
    return Verdict(unit(step), status, 0, number(_max_points(step)), message=why,
                   notes=notes if notes is not None else [])

