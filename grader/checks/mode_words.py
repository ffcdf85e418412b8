"""Reading what a learner typed for one scenario of the "choose the mode" exercise.

The answer format is small on purpose: a dict per scenario, five fields, a few fixed words.
What a learner naturally types is read kindly: `"Real-Time"`, `"real_time"` and `"realtime"`
are `"real time"`, `"yes"` is `True`, `"in advance"` is `"ahead"`. What can't be read is named
with the words that would be (`"hybird"`: did you mean "hybrid"?), and a field still `...` is
counted as not filled in. Pure functions over rebuilt snapshot values.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from ..snapshot import a_kind
from ..values import Opaque
from .mode_scenarios import FIELDS, VOCABULARY

# Other ways learners write the vocabulary's words (after lower-casing, and with - and _ read
# as spaces). Only unambiguous ones: "none" is a staleness word, so it is no alias of "nobody".
ALIASES: dict[str, dict[str, str]] = {
    "inputs": {"in advance": "ahead", "ahead of time": "ahead", "before": "ahead",
               "beforehand": "ahead", "known ahead": "ahead",
               "request": "at request", "on request": "at request",
               "at request time": "at request", "request time": "at request",
               "at the request": "at request", "some of each": "both"},
    "stale": {"no": "none", "not at all": "none", "never": "none", "0": "none",
              "minute": "minutes", "a few minutes": "minutes", "few minutes": "minutes",
              "day": "a day", "1 day": "a day", "one day": "a day",
              "month": "a month", "1 month": "a month", "one month": "a month"},
    "waits": {"no one": "nobody", "noone": "nobody", "nobody waits": "nobody",
              "second": "seconds", "a few seconds": "seconds", "a second or two": "seconds",
              "under 1 second": "under a second", "less than a second": "under a second",
              "sub second": "under a second", "milliseconds": "under a second",
              "ms": "under a second"},
    "mode": {"realtime": "real time", "real time serving": "real time",
             "online": "real time", "batch prediction": "batch", "offline": "batch",
             "both": "hybrid"},
}
YES = ("true", "yes", "y")
NO = ("false", "no", "n")


def choices(field: str) -> str:
    """The words a field takes, as a sentence: `"ahead", "at request" or "both"`."""
    words = [repr(w) if isinstance(w, bool) else f'"{w}"' for w in VOCABULARY[field]]
    return ", ".join(words[:-1]) + f" or {words[-1]}"


def is_blank(value: Any) -> bool:
    """`...` (the template's placeholder), as the probe describes it."""
    return isinstance(value, Opaque) and value.type_name == "ellipsis"


def _plain(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").replace("_", " ").split())


def _show(value: Any) -> str:
    text = f'"{value}"' if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + '..."'


def read_word(field: str, value: Any) -> tuple[Any, str]:
    """(the vocabulary word meant, "") or (None, what is wrong with it)."""
    if field == "listed":
        if isinstance(value, bool):
            return value, ""
        if isinstance(value, str) and _plain(value) in YES + NO:
            return _plain(value) in YES, ""
        return None, f"`listed` is {_show(value)}: write True or False."
    if not isinstance(value, str):
        return None, (f"`{field}` is {a_kind(value)} ({_show(value)}): write one of the words "
                      f"{choices(field)}, in quotes.")
    word = _plain(value)
    word = ALIASES.get(field, {}).get(word, word)
    if word in VOCABULARY[field]:
        return word, ""
    close = difflib.get_close_matches(word, [*VOCABULARY[field], *ALIASES.get(field, {})],
                                      n=1, cutoff=0.6)
    if close:
        meant = ALIASES.get(field, {}).get(close[0], close[0])
        return None, f'`{field}` is {_show(value)}: did you mean "{meant}"?'
    return None, f"`{field}` is {_show(value)}, which is not one of {choices(field)}."


@dataclass(frozen=True)
class Reading:
    """One scenario's entry, read: the words understood, and what stops it being judged."""

    words: dict[str, Any]  # field -> vocabulary word, for every field that reads cleanly
    blank: tuple[str, ...] = ()  # fields still `...`
    problems: tuple[str, ...] = ()  # sentences: a missing or unknown field, an unknown word

    @property
    def untouched(self) -> bool:
        return len(self.blank) == len(FIELDS)

    @property
    def complete(self) -> bool:
        return not self.blank and not self.problems


def read_entry(entry: Any) -> Reading | str:
    """Read one scenario's dict; a str says why it isn't one."""
    if not isinstance(entry, dict):
        return (f"this scenario is {a_kind(entry)} ({_show(entry)}); give it a dict of the five "
                "answers like the other scenarios: "
                '`{"inputs": ..., "listed": ..., "stale": ..., "waits": ..., "mode": ...}`.')
    words: dict[str, Any] = {}
    blank: list[str] = []
    problems: list[str] = []
    for key in entry:
        if key not in FIELDS:
            close = difflib.get_close_matches(str(key), FIELDS, n=1, cutoff=0.6)
            meant = f': did you mean `{close[0]}`?' if close else (
                f": the five are {', '.join(f'`{f}`' for f in FIELDS)}.")
            problems.append(f"It has a field {_show(key)} the exercise doesn't ask for{meant}")
    for field in FIELDS:
        if field not in entry:
            if not any(difflib.get_close_matches(str(k), [field], n=1, cutoff=0.6)
                       for k in entry if k not in FIELDS):
                problems.append(f"`{field}` is missing.")
            continue
        value = entry[field]
        if is_blank(value):
            blank.append(field)
            continue
        word, problem = read_word(field, value)
        if problem:
            problems.append(problem)
        else:
            words[field] = word
    return Reading(words, tuple(blank), tuple(problems))
