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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..spec import ALL_STEPS, Step, unit
from .collect import MAX_ATTACHMENT_BYTES, Collection, HandIn, LearnerFiles
from .gradebook import Gradebook, grader_fingerprint, number
from .lane import handin_hash
from .notebook import MAX_CLASS_BYTES, MAX_NOTEBOOK_BYTES, InvalidNotebook
from .readers import READ_ERRORS
from .sandbox import Limits
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
                "statuses": self.status_counts(), "ignored": list(self.ignored),
                "warnings": list(self.warnings)}

    def to_dict(self) -> dict:
        return dict(self.head(),
                    learners={name: lg.to_dict() for name, lg in self.learners.items()})


def _progress_bar(total: int, enabled: bool, desc: str = "Grading",
                  unit_name: str = "nb") -> object:
    from tqdm import tqdm

    return tqdm(total=total, unit=unit_name, desc=desc, disable=not enabled or total == 0,
                file=sys.stderr, dynamic_ncols=True, smoothing=0.1, leave=desc == "Grading")


def graded_steps(collection: Collection, steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """Part 2 and the choose-the-mode exercise are optional: their steps are graded (and get
    their grades.csv columns) once any learner of the class hands in their notebook, so a class
    doing the page's four steps only sees those."""
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


def grade_class(collection: Collection, *, jobs: int | None = None,
                limits: Limits | None = None, gradebook: Gradebook | None = None,
                regrade: bool = False, progress: bool = False,
                steps: tuple[Step, ...] = ALL_STEPS, cluster: str | None = None,
                hide: tuple[str, ...] = ()) -> ClassGrades:
    """Grade every learner's notebooks; verdicts go to the gradebook as soon as they exist
    (without one, to a gradebook in memory). `cluster` (a Dask scheduler address, or local:N)
    runs the jobs on Dask workers instead of this machine's lanes; everything else stays here.
    No worker of the local pool sees the submissions, the gradebook or the folders in `hide`
    (OUT, say)."""
    limits = limits or Limits()
    steps = graded_steps(collection, steps)
    fingerprint = grader_fingerprint({"limits": limits.to_dict()})
    started = time.perf_counter()
    private = [*hide, collection.source] + ([str(gradebook.path), f"{gradebook.path}-wal",
                                             f"{gradebook.path}-shm"] if gradebook else [])
    book = gradebook or Gradebook(":memory:")
    run_id = book.start_run(collection.source, fingerprint)
    by_unit = {unit(s): s for s in steps}
    known = {} if regrade else book.stored(fingerprint)
    hashes = _Hashes(book.known_hashes())
    queued: dict[tuple[str, str], list[tuple[LearnerGrade, list[str]]]] = {}
    plans: list[tuple[tuple[str, str], HandIn, Attached]] = []
    submissions = []
    learners: dict[str, LearnerGrade] = {}
    reused = 0
    read_so_far = 0
    # One pass over the class: hash each hand-in (from memory when its file is unchanged),
    # reuse what the gradebook knows, queue the rest, one job per distinct hand-in.
    reading = _progress_bar(len(collection.learners), progress, "Reading", "learner")
    for learner_id in sorted(collection.learners, key=lambda n: (n.casefold(), n)):
        reading.update(1)  # type: ignore[attr-defined]
        files = collection.learners[learner_id]
        learner = learners[learner_id] = LearnerGrade(
            learner_id, {}, files.ignored, files.name, files.late, files.upload_prefix)
        for step in steps:
            name = unit(step)
            handin = files.handins.get(step.notebook)
            if handin is None:
                learner.verdicts[name] = _made(step, "missing", "not handed in")
                continue
            try:
                if read_so_far > MAX_CLASS_BYTES:
                    raise InvalidNotebook(f"the class's hand-ins passed "
                                          f"{MAX_CLASS_BYTES // 2**30} GB in total before it")
                sha, size, attached = _hash_handin(handin, files, hashes)
                read_so_far += size
            except InvalidNotebook as err:
                learner.verdicts[name] = _made(step, "invalid", str(err), handin.notes)
                continue
            submissions.append((learner_id, name, sha))
            key = (name, sha)
            if key in queued:
                queued[key].append((learner, handin.notes))
                continue
            stored = known.get(key)
            if stored is not None:
                reused += 1
                learner.verdicts[name] = Verdict(name, stored.status, stored.points,
                                                 stored.max_points, stored.seconds, sha,
                                                 notes=handin.notes, reused=True, run=stored.run)
                continue
            queued[key] = [(learner, handin.notes)]
            plans.append((key, handin, attached))
    reading.close()  # type: ignore[attr-defined]
    book.record_submissions(submissions, run_id)
    book.remember_hashes(hashes.new, hashes.seen, run_id)
    del submissions, known, hashes

    inline = cluster is not None
    keys: dict[int, tuple[str, str]] = {}
    waiting: list[tuple[str, str, dict, str]] = []  # verdicts not yet committed
    bar = _progress_bar(len(plans), progress)
    ran = 0

    def give(key: tuple[str, str], head: dict, why: str | None = None) -> None:
        """The verdict to every learner who handed in these bytes; with `why`, one about
        this run's reading of them, told but not stored (the next run grades them again)."""
        nonlocal reused
        for index, (learner, notes) in enumerate(queued.pop(key)):
            learner.verdicts[key[0]] = Verdict(key[0], head["status"], number(head["points"]),
                                               number(head["max_points"]),
                                               float(head["seconds"]), key[1], why or "",
                                               notes=notes, reused=index > 0,
                                               run=run_id if why is None else 0)
            reused += index > 0
        bar.update(1)  # type: ignore[attr-defined]

    def flush() -> None:
        if waiting:
            book.store_many(waiting, fingerprint, run_id)
            waiting.clear()

    def jobs_to_send() -> Iterator[dict]:
        for index, (key, handin, attached) in enumerate(plans):
            content = handin.data if handin.data is not None else handin.opener
            try:
                job = {"i": index, "unit": key[0], "sha": key[1],
                       "handin": _where(content, inline),
                       "files": [[name, _where(extra, inline)] for name, extra in attached]}
            except READ_ERRORS as err:  # only when the bytes go along (Dask)
                grade = failed(by_unit[key[0]], "invalid", f"the file could not be read ({err})")
                head = {"status": grade.status, "points": grade.points,
                        "max_points": grade.max_points, "seconds": 0.0}
                give(key, head, grade.message)
                continue
            keys[index] = key
            yield job

    if cluster:
        from .cluster import ClusterPool

        # each worker host hides those of these folders it has (all of them, with local:N)
        executor: object = ClusterPool(cluster, jobs, limits, hide=private)
    else:
        import os

        from .lanes import Lanes

        executor = Lanes(jobs, limits, hide=[p for p in private if os.path.exists(p)])
    outcome_text = "interrupted"
    last_flush = time.monotonic()
    try:
        if plans:
            for head, verdict in executor.run(jobs_to_send(), len(plans)):  # type: ignore
                key = keys.pop(head["i"])
                if head.get("again"):  # the file, not its bytes: told, not kept
                    give(key, head, str(json.loads(verdict).get("message", "")))
                else:
                    waiting.append((*key, head, verdict))
                    give(key, head)
                ran += 1
                if time.monotonic() - last_flush > FLUSH_EVERY:
                    flush()
                    last_flush = time.monotonic()
        outcome_text = "complete"
    finally:
        try:
            flush()  # every verdict received is kept, even on Ctrl-C
        finally:
            bar.close()  # type: ignore[attr-defined]
            book.finish_run(run_id, outcome_text, ran, reused)
    warnings = [*getattr(executor, "warnings", []), *getattr(executor, "problems", [])]
    reader = book.reader()

    def load(verdict: Verdict) -> NotebookGrade:
        step = by_unit[verdict.unit]
        if verdict.run == 0:
            return failed(step, verdict.status, verdict.message, notes=list(verdict.notes))
        grade = reader.load(verdict.unit, verdict.sha256, fingerprint)
        if grade is None:
            return failed(step, "error", "its verdict could not be read back from the "
                          "gradebook; grade again with --regrade", sha256=verdict.sha256,
                          notes=list(verdict.notes))
        return dataclasses.replace(grade, notes=grade.notes + list(verdict.notes),
                                   reused=verdict.reused)

    for learner in learners.values():
        learner.loader = load
        learner.ignored = sorted(learner.ignored)
        learner.verdicts = {name: learner.verdicts[name] for name in by_unit}  # course order
    return ClassGrades(collection.source, steps, learners, limits, fingerprint,
                       sorted(collection.ignored), time.perf_counter() - started, ran, reused,
                       warnings, collection.layout, list(collection.unplaced))


@functools.cache
def _max_points(step: Step) -> float:
    return failed(step, "missing", "").max_points


def _made(step: Step, status: str, why: str, notes: list[str] | None = None) -> Verdict:
    """A verdict made here, for a notebook that was never sent to grading."""
    return Verdict(unit(step), status, 0, number(_max_points(step)), message=why,
                   notes=notes if notes is not None else [])

