"""What a probe is asked and what it answers, as typed records; who asks chooses the inputs.

Checks never see learner code, only a snapshot, and a snapshot is built from answers to
questions: describe this name, call `predict` on this input with `threshold` set to this,
gather these Part 2 facts, which quiz answers are recorded (and, where a cell's prints were not
heard when it ran, run it again and say what it printed). How each cell's run ended and what it
printed come with the runs themselves (`sources.Run`): the recorder hears them in the learner's
kernel, a grading worker reports them beside its answers. The learner's own `check(N)` asks the
course's questions (`course_questions`); a grading harness asks those *and* inputs it draws
afresh for every run (`draw`), so a forged answer has to compute what right code would. Both
read the answers the same way (`read_answer`, then `snapshot.assemble`), so an inline verdict
and a grade agree.

Answers come from learner-controlled processes: `read_answer` takes only the shape its question
asks for, within bounds, and refuses anything else with a `SnapshotError`.

This module is plain data and small functions: the learner's kernel imports it with `check`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .sources import Run
from .spec import EXPECTED_THRESHOLD, PredictCall, Step, step_for
from .values import SnapshotError

if TYPE_CHECKING:  # Part 2's inputs are loaded when a Part 2 question is made or read
    from .part2.questions import Questions as Part2Questions

SNAPSHOT_VERSION = 3
MAX_PRINTED = 20_000  # what one call or one re-run of a cell may be heard printing
MAX_ERROR = 300  # an error's text, "TypeError: ..."


@dataclass(frozen=True)
class Describe:
    """Describe the learner's `name` (see `values.describe`), or say it is not defined."""

    name: str


@dataclass(frozen=True)
class RerunCells:
    """Run these cells again, in order, in a copy of the learner's namespace, and say what
    each printed: only for cells whose prints were not heard when they ran (an API caller's
    `check(4, source=...)`); a grading worker tells them as it runs them."""

    sources: tuple[str, ...]


@dataclass(frozen=True)
class GatherFacts:
    """Gather the Part 2 facts of this gatherer (`grader.part2.probe.FACTS`), asking with
    `inputs` (Part 2's questions as data: the course's own when None)."""

    gatherer: str
    inputs: Part2Questions | None = None

    @property
    def asked(self) -> Part2Questions:
        from .part2.questions import DEFAULT

        return DEFAULT if self.inputs is None else self.inputs


@dataclass(frozen=True)
class RecordedQuiz:
    """Which quiz answers are recorded (in the kernel and in the answers file beside it)."""


# `PredictCall` (spec.py) is itself a question: call `predict(argument)` with `threshold` set.
Question = Describe | PredictCall | RerunCells | GatherFacts | RecordedQuiz
Kind = Literal["describe", "call", "rerun", "facts", "quiz"]
_KINDS: dict[type, Kind] = {Describe: "describe", PredictCall: "call", RerunCells: "rerun",
                            GatherFacts: "facts", RecordedQuiz: "quiz"}


def kind_of(question: Question) -> Kind:
    return _KINDS[type(question)]


@dataclass(frozen=True)
class Described:
    value: dict | None  # its description (rebuilt and checked in `Snapshot.load`); None: absent


@dataclass(frozen=True)
class Called:
    outcome: str  # returned / raised / timeout / skipped, or absent (no callable `predict`)
    value: dict | None = None  # the description of what it returned
    error: str = ""
    printed: str = ""


@dataclass(frozen=True)
class Reran:
    runs: tuple[tuple[str, str], ...]  # (its error, what it printed) for each cell run again
    timed_out: bool = False  # the last one did not finish (the rest were not run)


@dataclass(frozen=True)
class Gathered:
    facts: dict  # checked in `Snapshot.load` (`part2.facts.load_facts`)


@dataclass(frozen=True)
class QuizRecord:
    answers: dict  # question id -> letter, checked in `Snapshot.load`
    seen: list  # the questions whose worked solution was shown, checked there too


Answer = Described | Called | Reran | Gathered | QuizRecord
CALL_OUTCOMES = ("returned", "raised", "timeout", "skipped", "absent")


def _text(raw: dict, key: str, limit: int) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or len(value) > limit:
        raise SnapshotError(f"an answer's {key} is not a string of at most {limit:,} characters")
    return value


def _choice(raw: dict, key: str, choices: tuple[str, ...]) -> str:
    value = raw.get(key)
    if value not in choices:
        raise SnapshotError(f"an answer's {key} is not one of {', '.join(choices)}")
    return str(value)


def _description(raw: dict, key: str) -> dict | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, dict):
        raise SnapshotError(f"an answer's {key} is not a description")
    return value


def read_answer(question: Question, raw: object) -> Answer:
    """The answer to `question` in `raw` (JSON from a probe), or a `SnapshotError`: it must say
    which kind of question it answers and hold exactly what that kind of answer holds."""
    kind = kind_of(question)
    if not isinstance(raw, dict) or raw.get("kind") != kind:
        raise SnapshotError(f"an answer does not answer its question (a {kind} question)")
    if isinstance(question, Describe):
        if raw.get("name") != question.name:
            raise SnapshotError(f"a description of another name than `{question.name}`")
        if not isinstance(raw.get("defined"), bool):
            raise SnapshotError("a description does not say whether the name is defined")
        value = _description(raw, "value")
        if raw["defined"] != (value is not None):
            raise SnapshotError("a description contradicts itself")
        return Described(value)
    if kind == "call":
        outcome = _choice(raw, "outcome", CALL_OUTCOMES)
        value = _description(raw, "value")
        if (outcome == "returned") != (value is not None):
            raise SnapshotError("a call's value does not match its outcome")
        return Called(outcome, value, _text(raw, "error", MAX_ERROR),
                      _text(raw, "printed", MAX_PRINTED))
    if isinstance(question, RerunCells):
        runs = raw.get("runs")
        if not isinstance(runs, list) or len(runs) > len(question.sources) or not all(
                isinstance(r, dict) for r in runs) or not isinstance(raw.get("timed_out"), bool):
            raise SnapshotError("the cells run again are not told one by one")
        return Reran(tuple((_text(r, "error", MAX_ERROR), _text(r, "printed", MAX_PRINTED))
                           for r in runs), raw["timed_out"])
    if kind == "facts":
        facts = raw.get("facts")
        if not isinstance(facts, dict):
            raise SnapshotError("facts are not a mapping")
        return Gathered(facts)
    answers, seen = raw.get("answers"), raw.get("seen")
    if not isinstance(answers, dict) or not isinstance(seen, list):
        raise SnapshotError("quiz answers are not a mapping and a list")
    return QuizRecord(answers, seen)


def course_questions(step: str | Step, runs: Sequence[Run] = (),
                     calls: tuple[PredictCall, ...] | None = None) -> tuple[Question, ...]:
    """What the learner's `check(N)` asks: the step's `Probe`, on the course's own inputs
    (`calls` replaces its calls of `predict`). Step 4 reads what its cells printed: `runs`
    (see `sources.choose_sources`) are run again when one's prints were not heard."""
    record = step if isinstance(step, Step) else step_for(step)
    probe = record.probe
    asked: list[Question] = [Describe(name) for name in probe.names]
    asked += probe.calls if calls is None else calls
    if probe.printing and any(run.printed is None for run in runs):
        asked.append(RerunCells(tuple(run.source for run in runs)))
    if probe.facts:
        asked.append(GatherFacts(probe.facts))
    if probe.quiz_answers:
        asked.append(RecordedQuiz())
    return tuple(asked)


def calls_in(questions: tuple[Question, ...]) -> tuple[PredictCall, ...]:
    return tuple(q for q in questions if isinstance(q, PredictCall))


def draw(step: str | Step, rng: random.Random) -> tuple[Question, ...]:
    """What a grading harness asks: the course's questions, then calls of `predict` on inputs
    drawn from `rng` for this run; Part 2's facts on the course's inputs, then on inputs drawn
    afresh (`part2.questions.draw`). The course's own inputs come first, so a verdict names
    what the learner's `check(N)` named; the drawn ones make sure that answers were computed,
    not copied (see `batch.harness.judge`)."""
    asked: tuple[Question, ...] = ()
    for question in course_questions(step):
        asked += (question,)
        if isinstance(question, GatherFacts):  # then again, on inputs drawn for this run
            from .part2.questions import draw

            asked += (GatherFacts(question.gatherer, draw(rng.getrandbits(32))),)
    places = [i for i, q in enumerate(asked) if isinstance(q, PredictCall)]
    if not places:
        return asked
    after = places[-1] + 1
    return (*asked[:after], *fresh_calls(rng), *asked[after:])


def fresh_calls(rng: random.Random, threshold: float = EXPECTED_THRESHOLD
                ) -> tuple[PredictCall, ...]:
    """Calls of `predict` on features drawn around `threshold`, and with `threshold` swapped to
    a drawn low and high value, a feature on each side of each. Features are hundredths within
    the range the course's own inputs span (0.15-0.9), never within 0.04 of the threshold in
    force, so code that is right on the course's inputs (rounding to two decimals, say) is
    judged on the drawn ones as they judge it: the draws catch copied answers, not new
    mistakes."""
    limit = round(threshold * 100)

    def hundredths(low: int, high: int) -> int:
        return rng.randint(low, high)

    features = [hundredths(20, limit - 4) for _ in range(3)]
    features += [hundredths(limit + 4, 90) for _ in range(3)]
    rng.shuffle(features)
    low, high = hundredths(25, 40), hundredths(70, 80)
    swapped = (
        (low + hundredths(4, 15), low),  # churns at `low`, not at 0.6
        (low - hundredths(4, 10), low),
        (hundredths(limit + 4, high - 4), high),  # churns at 0.6, not at `high`
        (high + hundredths(4, 10), high),
    )
    return (*(PredictCall("rule", f / 100) for f in features),
            *(PredictCall("swapped", f / 100, t / 100) for f, t in swapped))


def question_data(question: Question) -> dict[str, Any]:
    """A question as plain JSON (for a kernel that is sent its questions as code)."""
    kind = kind_of(question)
    if isinstance(question, Describe):
        return {"ask": kind, "name": question.name}
    if isinstance(question, PredictCall):
        return {"ask": kind, "purpose": question.purpose, "argument": question.argument,
                "threshold": question.threshold}
    if isinstance(question, RerunCells):
        return {"ask": kind, "sources": list(question.sources)}
    if isinstance(question, GatherFacts):
        from .part2.questions import as_data

        return {"ask": kind, "gatherer": question.gatherer,
                "inputs": None if question.inputs is None else as_data(question.inputs)}
    return {"ask": kind}


def question_from_data(data: dict[str, Any]) -> Question:
    """The inverse of `question_data` (tuples, as JSON made them lists, become tuples again)."""
    kind = data["ask"]
    if kind == "describe":
        return Describe(data["name"])
    if kind == "call":
        argument = data["argument"]
        return PredictCall(data["purpose"], tuple(argument) if isinstance(argument, list)
                           else argument, data["threshold"])
    if kind == "rerun":
        return RerunCells(tuple(data["sources"]))
    if kind == "facts":
        from .part2.questions import Questions as Part2Questions
        from .part2.questions import from_data

        inputs = data.get("inputs")
        return GatherFacts(data["gatherer"],
                           None if inputs is None else from_data(Part2Questions, inputs))
    return RecordedQuiz()
