"""The "choose the mode" exercise: six scenarios, each read for when its inputs are known,
whether it can be listed ahead, how stale an answer may be, who waits, and the pick.

One check that `mode_choices` holds the scenarios, then one per scenario. A scenario's verdict
speaks to each field: a wrong pick made for the right reasons is told that its reasons argue
for another mode; a right pick with answers that don't fit the scenario is told which answers,
and whether they would argue against the pick; each wrong answer gets the fact of the scenario
that decides it. Words that can't be read (a typo, a missing field, a `...` left) are named
before anything is judged.
"""

from __future__ import annotations

import difflib
from typing import Any

from ..snapshot import Snapshot, a_kind
from . import Finding, check, fail, not_started, ok
from .mode_scenarios import (
    FIELDS,
    NAME,
    QUESTIONS,
    SCENARIO_KEYS,
    SCENARIOS,
    Scenario,
    implied_mode,
)
from .mode_words import Reading, is_blank, read_entry

STEP = "mode"
NUMBERS = {2: "two", 3: "three", 4: "four"}
START = ("Replace each `...` in the answer cell with one of the words listed above it, run the "
         "cell, then this check.")


def _template_untouched(entries: dict) -> bool:
    return bool(entries) and all(
        isinstance(e, dict) and e and all(is_blank(v) for v in e.values())
        for e in entries.values())


@check(STEP, "choices", "`mode_choices` holds the scenarios", reads=(NAME,))
def choices(snap: Snapshot) -> Finding:
    if not snap.has(NAME):
        return not_started(f"`{NAME}` is not defined yet. Run the answer cell above (it "
                           "defines it), filled in.", START)
    entries = snap.value(NAME)
    if not isinstance(entries, dict):
        return fail(f"`{NAME}` is {a_kind(entries)}; the exercise asks for a dict with one entry "
                    "per scenario, as the answer cell gives it.",
                    "Start again from the answer cell's template: `mode_choices = {\"daily_email\":"
                    " {...}, ...}`.")
    unknown = [key for key in entries if key not in SCENARIO_KEYS]
    if unknown:
        return fail(" ".join(_unknown_key(key) for key in unknown),
                    f"The six keys are {', '.join(f'`{k}`' for k in SCENARIO_KEYS)}.")
    if _template_untouched(entries):
        return not_started("Nothing in `mode_choices` is filled in yet: every answer is still "
                           "`...`.", START)
    return ok(f"`{NAME}` is a dict of the scenarios.")


def _unknown_key(key: Any) -> str:
    close = difflib.get_close_matches(str(key), SCENARIO_KEYS, n=1, cutoff=0.6)
    shown = f'"{key}"' if isinstance(key, str) else repr(key)
    if close:
        return f"`{NAME}` has a key {shown} that names no scenario: did you mean `{close[0]}`?"
    return f"`{NAME}` has a key {shown} that names no scenario."


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _said(value: Any) -> str:
    return repr(value) if isinstance(value, bool) else f'"{value}"'


def _misread(scenario: Scenario, words: dict[str, Any], fields: list[str]) -> str:
    return " ".join(f"`{field}` is not {_said(words[field])} here: {scenario.why[field]}"
                    for field in fields)


def judge(scenario: Scenario, words: dict[str, Any]) -> Finding:
    """A scenario whose five answers read cleanly: the pick, and the reasons given for it."""
    pick = words["mode"]
    right_pick = scenario.accepts("mode", pick)
    wrong = [f for f in FIELDS[:-1] if not scenario.accepts(f, words[f])]
    argued = implied_mode(words["inputs"], words["listed"])
    line = scenario.line
    if not wrong and right_pick:
        return ok(f"{_capital(pick)}, for the right reasons.")
    if not wrong:
        return fail("Your answers about the scenario are all right, but they argue "
                    f"for {scenario.answer['mode']}, not {pick}. {scenario.not_mode[pick]}",
                    QUESTIONS["mode"], line)
    count = "one of your answers doesn't" if len(wrong) == 1 else \
        f"{NUMBERS[len(wrong)]} of your answers don't"
    if right_pick:
        against = (f", and as you give them your answers would argue for {argued} instead"
                   if argued != pick else "")
        lead = f"{_capital(pick)} is the right pick, but {count} fit the scenario{against}."
    elif argued == pick:
        lead = (f"{_capital(pick)} follows from your answers, but {count} fit the scenario. "
                f"{scenario.not_mode[pick]}")
    else:
        lead = (f"{_capital(pick)} is not the pick here. {scenario.not_mode[pick]} Also, "
                f"{count} fit the scenario.")
    return fail(f"{lead} {_misread(scenario, words, wrong)}", QUESTIONS[wrong[0]], line)


def _unreadable(scenario: Scenario, reading: Reading) -> Finding:
    said = list(reading.problems)
    if reading.blank:
        fields = ", ".join(f"`{f}`" for f in reading.blank)
        said.append(f"{fields} {'is' if len(reading.blank) == 1 else 'are'} still `...`.")
    return fail(" ".join(said),
                "Each answer is one of the words listed above the answer cell; `listed` is "
                "True or False.", scenario.line)


def _scenario_check(scenario: Scenario) -> None:
    @check(STEP, scenario.key, f"Scenario {scenario.number}: {scenario.title}",
           needs=("choices",), line=scenario.line)
    def scenario_check(snap: Snapshot) -> Finding:
        entries = snap.value(NAME)
        if scenario.key not in entries:
            return not_started(f"Not in `{NAME}` yet. Add "
                               f"`\"{scenario.key}\": {{...}}` with its five answers.", START,
                               scenario.line)
        reading = read_entry(entries[scenario.key])
        if isinstance(reading, str):
            return fail(_capital(reading), START, scenario.line)
        if reading.untouched:
            return not_started("Not filled in yet (every answer is `...`).",
                               START, scenario.line)
        if not reading.complete:
            return _unreadable(scenario, reading)
        return judge(scenario, reading.words)


for _scenario in SCENARIOS:
    _scenario_check(_scenario)
