"""The "choose the mode" exercise as data: its answer vocabulary and its six scenarios.

For each scenario the learner says when the inputs are known, whether everyone who might need
an answer can be listed ahead, how stale an answer may be, who waits and how long, and picks
batch, real time or a hybrid. Each scenario carries the answer its text supports and, for each
field, the fact of the scenario that decides it: that fact is what a learner who got the field
wrong is told. The checks (`mode_choice.py`) and the words a learner types (`mode_words.py`)
read this module; the scenario texts themselves are in the notebook
(`solutions/04b_choose_the_mode.ipynb`), under the same titles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NAME = "mode_choices"  # what the learner's answer cell defines

# The fields of one scenario's answer, in the order the template gives them, and the words
# each accepts. `listed` takes True or False; the rest take one of their words.
FIELDS = ("inputs", "listed", "stale", "waits", "mode")
VOCABULARY: dict[str, tuple[Any, ...]] = {
    "inputs": ("ahead", "at request", "both"),
    "listed": (True, False),
    "stale": ("none", "minutes", "a day", "a month"),
    "waits": ("nobody", "seconds", "under a second"),
    "mode": ("batch", "real time", "hybrid"),
}
# The question each field answers: the criterion the course teaches, asked of one scenario.
QUESTIONS = {
    "inputs": "When are the inputs known: could a job that ran before the request have seen "
              "them?",
    "listed": "Could you list, before anyone asks, everyone (or everything) that might need an "
              "answer?",
    "stale": "How old may an answer be when it is used?",
    "waits": "Who waits for the answer when it is asked for, and how long can they wait?",
    "mode": "Everything known and listed ahead, and a stored answer fresh enough: batch. "
            "Something that exists only at request time: real time. Most of it known ahead "
            "and a part only at request time: a hybrid.",
}


@dataclass(frozen=True)
class Scenario:
    key: str  # its key in `mode_choices`
    number: int
    title: str  # as the notebook titles it
    answer: dict[str, Any]  # the answer the scenario's text supports, field by field
    why: dict[str, str]  # for each field but the pick: the fact of the scenario that decides it
    not_mode: dict[str, str]  # for each wrong pick: why not, in this scenario
    also: dict[str, tuple[Any, ...]] | None = None  # other values a field may take here

    def accepts(self, field: str, value: Any) -> bool:
        return value == self.answer[field] or value in (self.also or {}).get(field, ())

    @property
    def line(self) -> str:
        """The scenario's answer as the answer cell lays it out (behind "Show me the line")."""
        return entry_text(self.key, {f: _literal(self.answer[f]) for f in FIELDS})


def entry_text(key: str, said: dict[str, str]) -> str:
    """One scenario's entry in `mode_choices`, in the answer cell's layout (three fields, then
    two, so a filled-in line still fits a notebook cell's width)."""
    first, second = FIELDS[:3], FIELDS[3:]
    return "\n".join([f'"{key}": {{',
                      "    " + " ".join(f'"{f}": {said[f]},' for f in first),
                      "    " + " ".join(f'"{f}": {said[f]},' for f in second),
                      "},"])


def _literal(value: Any) -> str:
    return repr(value) if isinstance(value, bool) else f'"{value}"'


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "daily_email", 1, "a daily churn email",
        {"inputs": "ahead", "listed": True, "stale": "a day", "waits": "nobody",
         "mode": "batch"},
        {"inputs": "the model uses each customer's activity up to midnight, so everything it "
                   "needs exists before the morning.",
         "listed": "the emails go to your own customers, and you know all of them.",
         "stale": "the team is happy with yesterday's data, so an answer may be a day old.",
         "waits": "the email goes out at 7:00 from a list made ahead; no person waits for any "
                  "one answer."},
        {"real time": "No request comes for one customer at a time: the 7:00 job reads the "
                      "whole list, and everything the model needs exists at midnight. A "
                      "real-time service would sit waiting for requests that never come.",
         "hybrid": "There is nothing the stored list can't know: every input exists at "
                   "midnight, so there is no request-time part to add."},
    ),
    Scenario(
        "support_call", 2, "an offer during a support call",
        {"inputs": "at request", "listed": True, "stale": "none", "waits": "seconds",
         "mode": "real time"},
        {"inputs": "the model's only input is the reason for the call, which the agent types in "
                   "as the call starts: no job that ran earlier could see it.",
         "listed": "every caller is one of your customers, and you know all of them; what you "
                   "can't know ahead is why they will call.",
         "stale": "the answer must use the reason typed in a moment ago, so no stored answer is "
                  "fresh enough.",
         "waits": "the agent (and the customer on the line) waits, for two seconds at most."},
        {"batch": "A nightly table can't hold an answer that depends on the reason for the "
                  "call: nobody knew it before the customer phoned.",
         "hybrid": "A hybrid needs a part to compute ahead, and here the model's only input, the "
                   "reason for the call, exists only once the call starts."},
    ),
    Scenario(
        "card_fraud", 3, "card fraud",
        {"inputs": "at request", "listed": False, "stale": "none", "waits": "under a second",
         "mode": "real time"},
        {"inputs": "the amount and the shop are known only when the card is used (the count of "
                   "the last ten minutes could be kept up to date ahead, but not the rest).",
         "listed": "the answer is for a payment, and a payment doesn't exist until the card is "
                   "used: you can list the cards, not the payments they will make.",
         "stale": "the score must include this very payment, so no stored answer is fresh "
                  "enough.",
         "waits": "the card terminal waits, and the network allows 100 ms: well under a second."},
        {"batch": "No job, however often it runs, can score a payment before it is made.",
         "hybrid": "There is no stored answer to start from: the payment didn't exist when any "
                   "job ran. (Keeping the ten-minute count up to date ahead helps the real-time "
                   "path; the score itself is still computed on request.)"},
        also={"inputs": ("both",)},
    ),
    Scenario(
        "news_feed", 4, "a news feed",
        {"inputs": "both", "listed": True, "stale": "minutes", "waits": "under a second",
         "mode": "hybrid"},
        {"inputs": "what the user read up to yesterday is known ahead, but the breaking news of "
                   "the last few minutes exists only when they open the app: some of each.",
         "listed": "the feed is for your own users, and you know all of them.",
         "stale": "the ranking may be a day old, but the breaking news on top must be minutes "
                  "old at most: give the tightest need.",
         "waits": "the user waits for the feed, and it has half a second to appear."},
        {"batch": "A nightly table can't hold the breaking news of the last few minutes.",
         "real time": "It works, but it ranks every feed again at each open, while the user "
                      "waits, though last night's job could have done that ranking: nearly "
                      "every user opens the app, so almost none of it would be wasted. Store "
                      "the ranking and add the newest stories at request time."},
    ),
    Scenario(
        "first_session", 5, "a new user's first session",
        {"inputs": "at request", "listed": False, "stale": "none", "waits": "under a second",
         "mode": "real time"},
        {"inputs": "the topics they picked while signing up exist only from that moment.",
         "listed": "they were not a user when any job ran, so no list made ahead holds them "
                   "(like customer 105 in step 4).",
         "stale": "the answer must use the topics picked seconds ago, so no stored answer is "
                  "fresh enough.",
         "waits": "the new user waits for their first screen, which has half a second."},
        {"batch": "No job ran since they signed up, so the stored table has no answer for "
                  "them, just as step 4's had none for customer 105.",
         "hybrid": "A hybrid starts from a stored answer for the user, and this user has none: "
                   "they didn't exist when any job ran. (The app may keep a stored table for "
                   "its older users; this user's first screen is still real time.)"},
    ),
    Scenario(
        "monthly_report", 6, "a monthly report",
        {"inputs": "ahead", "listed": True, "stale": "a month", "waits": "nobody",
         "mode": "batch"},
        {"inputs": "the report is built from last month's data, which is all there on the "
                   "first day.",
         "listed": "the report covers your own customers, and you know all of them.",
         "stale": "the report is made once, on the first of the month, and read all month.",
         "waits": "finance reads the report when it suits them; no one waits while it is "
                  "computed."},
        {"real time": "Nobody asks one customer at a time: the report is read whole, and "
                      "everything it needs exists on the first of the month.",
         "hybrid": "There is nothing to add at request time: the report uses last month's data "
                   "only."},
    ),
)
SCENARIO_KEYS = tuple(s.key for s in SCENARIOS)


def implied_mode(inputs: Any, listed: Any) -> str:
    """The pick a learner's own answers argue for: what can't be known or listed ahead must be
    computed on request; what is partly known ahead can be precomputed and completed then."""
    if inputs == "at request" or listed is False:
        return "real time"
    if inputs == "both":
        return "hybrid"
    return "batch"
