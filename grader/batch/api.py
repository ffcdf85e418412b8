"""Batch grading from Python: one notebook, or a whole class.

    from grader.batch import grade_notebook, grade_folder

    grade = grade_notebook("submissions/ana/03_predict_and_batch.ipynb")
    grade.status, grade.points, [c.message for c in grade.result.checks]

    grades = grade_folder("submissions", out="graded")   # also writes the reports
    grades.learners["ana"].total

Both run learner code in the same isolated workers as `python -m grader grade`. Scripts that
call them must guard their top level with `if __name__ == "__main__":`, as any program using
`multiprocessing` must.
"""

from __future__ import annotations

from pathlib import Path

from ..spec import ALL_STEPS, Step, step_for, step_for_notebook, unit
from .collect import Collection, HandIn, LearnerFiles, collect
from .gradebook import Gradebook
from .grading import ClassGrades, grade_class
from .reports import write_reports
from .sandbox import Limits
from .verdicts import NotebookGrade


def _step_of(path: Path, step: int | str | None) -> Step:
    if step is not None:
        return step_for(step)
    found = step_for_notebook(path.name)
    if found is None:
        names = ", ".join(s.notebook for s in ALL_STEPS)
        raise ValueError(f"{path.name} is not a course notebook name ({names}); pass step=")
    return found


def grade_notebook(notebook: str | Path | bytes, step: int | str | None = None, *,
                   timeout: float = 30.0, memory_mb: int = 512) -> NotebookGrade:
    """Grade one notebook (a path, or its bytes with `step=`) in an isolated worker."""
    if isinstance(notebook, bytes):
        if step is None:
            raise ValueError("pass step= when grading a notebook given as bytes")
        data, chosen = notebook, step_for(step)
    else:
        path = Path(notebook)
        chosen = _step_of(path, step)
        data = path.read_bytes()
    collection = Collection("<notebook>", {
        "learner": LearnerFiles("learner", {chosen.notebook: HandIn(chosen.notebook,
                                                                    chosen.notebook, data)})})
    result = grade_class(collection, jobs=1, limits=Limits(timeout=timeout, memory_mb=memory_mb),
                         steps=(chosen,))
    return result.learners["learner"].notebooks[unit(chosen)]


def grade_folder(submissions: str | Path, out: str | Path | None = None, *,
                 jobs: int | None = None, timeout: float = 30.0, memory_mb: int = 512,
                 gradebook: str | Path | None = None, regrade: bool = False,
                 progress: bool = False, steps: tuple[Step, ...] = ALL_STEPS,
                 limits: Limits | None = None) -> ClassGrades:
    """Grade a class (a folder of learner folders, or a zip). With `out`, write the reports
    there and keep the gradebook at `out/gradebook.sqlite` unless `gradebook` says otherwise.
    `limits` (a `Limits`) overrides `timeout` and `memory_mb` when given."""
    book_path = Path(gradebook) if gradebook else (Path(out) / "gradebook.sqlite" if out
                                                    else None)
    collection = collect(Path(submissions), steps,
                         exclude=tuple(p for p in (Path(out) if out else None, book_path) if p))
    limits = limits or Limits(timeout=timeout, memory_mb=memory_mb)
    book = Gradebook(book_path) if book_path else None
    try:
        result = grade_class(collection, jobs=jobs, limits=limits, gradebook=book,
                             regrade=regrade, progress=progress, steps=steps,
                             hide=(str(out),) if out is not None else ())
    finally:
        collection.close()
        if book:
            book.close()
    if out is not None:
        write_reports(result, Path(out))
    return result
