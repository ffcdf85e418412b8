"""The "choose the mode" exercise: every way a learner's answer can be off gets its own words,
each scenario's every field is spoken to, and what a learner naturally types is read kindly."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from grader.checks.mode_scenarios import FIELDS, SCENARIOS, VOCABULARY, entry_text
from grader.results import CheckResult, StepResult

from .helpers import first_failure, run_step

RIGHT = {s.key: dict(s.answer) for s in SCENARIOS}
BY_KEY = {s.key: s for s in SCENARIOS}


def code(choices: Any) -> str:
    return f"mode_choices = {choices!r}"


def judged(choices: Any) -> StepResult:
    return run_step("mode", code(choices))


def changed(key: str, **fields: Any) -> dict:
    answer = copy.deepcopy(RIGHT)
    answer[key].update(fields)
    return answer


def scenario_result(result: StepResult, key: str) -> CheckResult:
    return next(c for c in result.checks if c.id == f"mode.{key}")


def test_the_right_answers_pass_every_check() -> None:
    result = judged(RIGHT)
    assert result.passed, result.to_dict()
    assert len(result.checks) == 1 + len(SCENARIOS)
    assert "Batch, for the right reasons" in scenario_result(result, "daily_email").message


def test_the_template_as_given_is_not_started() -> None:
    blank = "mode_choices = {" + ", ".join(
        f'"{s.key}": {{' + ", ".join(f'"{f}": ...' for f in FIELDS) + "}" for s in SCENARIOS) + "}"
    result = run_step("mode", blank)
    assert not result.started and not result.passed
    assert "still `...`" in first_failure(result).message


def test_nothing_run_yet_is_not_started() -> None:
    result = run_step("mode", "# YOUR CODE HERE")
    assert not result.started
    assert "`mode_choices` is not defined yet" in first_failure(result).message


def test_a_wrong_pick_with_the_right_reasons_is_told_so() -> None:
    result = judged(changed("daily_email", mode="real time"))
    failure = scenario_result(result, "daily_email")
    assert not failure.passed
    assert "Your answers about the scenario are all right, but they argue for batch, not real " \
           "time" in failure.message
    assert BY_KEY["daily_email"].not_mode["real time"] in failure.message
    assert failure.line == BY_KEY["daily_email"].line


def test_a_right_pick_with_an_answer_that_argues_against_it() -> None:
    failure = scenario_result(judged(changed("support_call", inputs="ahead")), "support_call")
    assert "Real time is the right pick, but one of your answers doesn't fit the scenario, and " \
           "as you give them your answers would argue for batch instead." in failure.message
    assert '`inputs` is not "ahead" here: ' + BY_KEY["support_call"].why["inputs"] \
        in failure.message


def test_a_right_pick_with_a_detail_off_does_not_claim_a_contradiction() -> None:
    failure = scenario_result(judged(changed("card_fraud", stale="a day")), "card_fraud")
    assert "Real time is the right pick, but one of your answers doesn't fit" in failure.message
    assert "argue for" not in failure.message
    assert BY_KEY["card_fraud"].why["stale"] in failure.message


def test_a_wrong_pick_that_follows_from_misread_answers() -> None:
    misread = {"inputs": "ahead", "listed": True, "stale": "a day", "waits": "nobody",
               "mode": "batch"}
    failure = scenario_result(judged(changed("first_session", **misread)), "first_session")
    assert failure.message.startswith("Batch follows from your answers, but four of your "
                                      "answers don't fit")
    for field in ("inputs", "listed", "stale", "waits"):
        assert BY_KEY["first_session"].why[field] in failure.message


def test_a_wrong_pick_that_even_its_own_answers_do_not_support() -> None:
    failure = scenario_result(judged(changed("monthly_report", stale="none", mode="real time")),
                              "monthly_report")
    assert failure.message.startswith("Real time is not the pick here.")
    assert "Also, one of your answers doesn't fit" in failure.message


@pytest.mark.parametrize("typed, meant", [("hybird", "hybrid"), ("real tme", "real time"),
                                          ("bach", "batch")])
def test_a_typo_in_a_choice_is_named_with_the_word_meant(typed: str, meant: str) -> None:
    failure = first_failure(judged(changed("news_feed", mode=typed)))
    assert failure.id == "mode.news_feed"
    assert f'`mode` is "{typed}": did you mean "{meant}"?' in failure.message


def test_a_word_that_is_nothing_like_a_choice_gets_the_list() -> None:
    failure = first_failure(judged(changed("news_feed", waits="whenever")))
    assert '`waits` is "whenever", which is not one of "nobody", "seconds" or "under a ' \
           'second".' in failure.message


@pytest.mark.parametrize("typed", [
    {"mode": "Real-Time"}, {"mode": "real_time"}, {"mode": "realtime"}, {"mode": " REAL TIME "},
    {"listed": "no"}, {"listed": "False"}, {"waits": "Under 1 second"},
    {"inputs": "at request time"}, {"inputs": "both"},  # also true of card fraud
])
def test_what_a_learner_naturally_types_is_read_kindly(typed: dict) -> None:
    assert judged(changed("card_fraud", **typed)).passed


def test_a_missing_scenario_is_not_started_and_the_rest_still_judged() -> None:
    answer = copy.deepcopy(RIGHT)
    del answer["monthly_report"]
    answer["news_feed"]["mode"] = "batch"
    result = judged(answer)
    missing = scenario_result(result, "monthly_report")
    assert not missing.started
    assert 'Not in `mode_choices` yet. Add `"monthly_report": {...}`' in missing.message
    assert first_failure(result).id == "mode.news_feed"
    assert sum(c.passed for c in result.checks) == 5


def test_a_half_filled_scenario_names_the_blanks() -> None:
    failure = first_failure(judged(changed("news_feed", stale=..., waits=...)))
    assert failure.started
    assert "`stale`, `waits` are still `...`." in failure.message


def test_a_scenario_left_as_the_template_gives_is_not_started() -> None:
    result = judged(changed("news_feed", **{f: ... for f in FIELDS}))
    assert not scenario_result(result, "news_feed").started
    assert result.started  # the other five are answered


@pytest.mark.parametrize("entry, words", [
    ({"input": "both", "listed": True, "stale": "minutes", "waits": "under a second",
      "mode": "hybrid"}, 'It has a field "input" the exercise doesn\'t ask for: did you mean '
                         '`inputs`?'),
    ({"listed": True, "stale": "minutes", "waits": "under a second", "mode": "hybrid"},
     "`inputs` is missing."),
    (("both", True, "minutes", "under a second", "hybrid"), "This scenario is a tuple"),
    ("hybrid", "This scenario is a str"),
    ({"inputs": "both", "listed": True, "stale": "minutes", "waits": 0.5, "mode": "hybrid"},
     "`waits` is a float (0.5): write one of the words"),
    ({"inputs": "both", "listed": "maybe", "stale": "minutes", "waits": "under a second",
      "mode": "hybrid"}, '`listed` is "maybe": write True or False.'),
])
def test_an_entry_that_cannot_be_read_says_why(entry: Any, words: str) -> None:
    answer = copy.deepcopy(RIGHT)
    answer["news_feed"] = entry
    failure = first_failure(judged(answer))
    assert failure.id == "mode.news_feed"
    assert words in failure.message


@pytest.mark.parametrize("value, words", [
    ({"daily email": RIGHT["daily_email"]}, 'a key "daily email" that names no scenario: did '
                                            'you mean `daily_email`?'),
    ([RIGHT["daily_email"]], "`mode_choices` is a list; the exercise asks for a dict"),
])
def test_the_container_is_checked_first(value: Any, words: str) -> None:
    result = judged(value)
    failure = first_failure(result)
    assert failure.id == "mode.choices" and words in failure.message
    assert all(not c.ran for c in result.checks[1:])


CASES = [(s.key, field) for s in SCENARIOS for field in FIELDS[:-1]]


@pytest.mark.parametrize("key, field", CASES, ids=[f"{k}-{f}" for k, f in CASES])
def test_every_field_of_every_scenario_is_spoken_to(key: str, field: str) -> None:
    scenario = BY_KEY[key]
    wrong = next(w for w in VOCABULARY[field] if not scenario.accepts(field, w))
    failure = scenario_result(judged(changed(key, **{field: wrong})), key)
    assert not failure.passed and failure.started
    assert scenario.why[field] in failure.message
    assert failure.hint and failure.line == scenario.line


PICKS = [(s.key, pick) for s in SCENARIOS for pick in VOCABULARY["mode"]
         if not s.accepts("mode", pick)]


@pytest.mark.parametrize("key, pick", PICKS, ids=[f"{k}-{p}" for k, p in PICKS])
def test_every_wrong_pick_has_its_own_reason(key: str, pick: str) -> None:
    failure = scenario_result(judged(changed(key, mode=pick)), key)
    assert BY_KEY[key].not_mode[pick] in failure.message


def test_messages_differ_from_scenario_to_scenario() -> None:
    messages = [scenario_result(judged(changed(k, mode=p)), k).message for k, p in PICKS]
    assert len(set(messages)) == len(messages)


def test_each_answer_line_is_the_scenarios_entry_as_python() -> None:
    typed = "mode_choices = {\n" + "\n".join(s.line for s in SCENARIOS) + "\n}"
    assert run_step("mode", typed).passed
    assert entry_text("x", dict.fromkeys(FIELDS, "...")).count("...") == len(FIELDS)


def test_a_cell_that_raised_is_reported_not_judged() -> None:
    broken = "mode_choices = {\n" + "\n".join(s.line for s in SCENARIOS).replace("},", "}", 1) \
        + "\n}"
    failure = first_failure(run_step("mode", broken))
    assert "raised `SyntaxError`" in failure.message and "`mode_choices`" in failure.message


def test_who_cannot_be_listed_ahead_argues_for_real_time_on_its_own() -> None:
    """`listed` False alone rules batch out, whatever `inputs` says: customer 105's lesson."""
    fraud = scenario_result(judged(changed("card_fraud", inputs="ahead")), "card_fraud")
    assert fraud.message.startswith("Real time is the right pick, but one of your answers")
    assert "argue for" not in fraud.message
    report = scenario_result(judged(changed("monthly_report", listed=False, mode="real time")),
                             "monthly_report")
    assert report.message.startswith("Real time follows from your answers")
