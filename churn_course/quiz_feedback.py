"""What a learner is told after picking an option: the same words as plain text (``answer()``)
and as HTML (the widget).

A question is in one of four states, decided by its tries alone (so a re-run widget shows each
question as it was left): not answered; right (with the worked solution); wrong once (why that
option is not it, and a second try); wrong twice, or the learner asked (the worked solution).
Colours always come with an icon and a word, so no one needs to tell red from green.
"""

from __future__ import annotations

import html
import re

from .quiz_bank import Question

#: Wrong tries before the worked solution shows by itself.
TRIES_BEFORE_SOLUTION = 2
_STYLE = {  # text colour, background, bar: dark on light, readable in a dark theme's output too
    "right": ("#1b5e20", "#e8f5e9", "#2e7d32"),
    "retry": ("#7a3e00", "#fff4e5", "#ef6c00"),
    "wrong": ("#8c1d18", "#fdecea", "#c62828"),
}


def state_of(question: Question, tries: list[str], asked: bool = False) -> str:
    """"unanswered", "right", "retry" (wrong, a second try to come) or "wrong" (solution shown)."""
    if not tries:
        return "unanswered"
    if question.is_right(tries[-1]):
        return "right"
    wrong = sum(not question.is_right(letter) for letter in tries)
    return "wrong" if asked or wrong >= TRIES_BEFORE_SOLUTION else "retry"


_TICKS = re.compile(r"`([^`]+)`")


def rich(text: str) -> str:
    """Text from the bank as HTML: escaped, with `code` in backticks shown as code."""
    return _TICKS.sub(r"<code>\1</code>", html.escape(text))


def _verdict(question: Question, letter: str, state: str) -> tuple[str, str]:
    """(icon and word, the rest of the verdict sentence)."""
    text = question.option_text(letter).rstrip()
    picked = f"{letter}. {text}"
    if state == "right":
        return "✓ Right!", picked
    if state == "retry":
        return "✗ Not yet.", f"You picked {picked}"
    # An option's words may end without a full stop: one goes before the next sentence.
    ended = picked if text.endswith((".", "!", "?")) else f"{picked}."
    return "✗ Not quite.", f"You picked {ended} The answer is {question.answer}."


def _retry_words(question: Question) -> str:
    return ("Try again: one more pick before the worked solution shows. "
            f"Hint: {question.hint}")


def as_lines(question: Question, letter: str, state: str) -> list[str]:
    """The feedback in plain lines, for ``answer()``."""
    mark, rest = _verdict(question, letter, state)
    lines = [f"Question {question.number} ({question.difficulty}): {mark} {rest}"]
    why = question.option_feedback(letter)
    if why:
        lines.append(f"Why not: {why}")
    if state == "retry":
        lines.append(_retry_words(question) + ' (Or see it now: answer again with the same '
                     'letter.)')
        return lines
    lines.append("Worked solution:")
    for number, step in enumerate(question.solution, start=1):
        lines.append(f"  Step {number}: {step.title}. {step.text}")
    lines.append(f"Final answer: {question.final_answer}")
    lines.append(f"Quick check: {question.quick_check}")
    lines.append("Common mistakes:")
    lines.extend(f"  - {mistake}" for mistake in question.common_mistakes)
    return lines


def solution_html(question: Question) -> str:
    steps = "".join(
        f"<li><b>{rich(step.title)}.</b> {rich(step.text)}</li>" for step in question.solution
    )
    mistakes = "".join(f"<li>{rich(m)}</li>" for m in question.common_mistakes)
    return (
        f"<p><b>Worked solution</b></p><ol>{steps}</ol>"
        f"<p><b>Final answer:</b> {rich(question.final_answer)}</p>"
        f"<p><b>Quick check:</b> {rich(question.quick_check)}</p>"
        f"<p><b>Common mistakes</b></p><ul>{mistakes}</ul>"
    )


def as_html(question: Question, letter: str, state: str) -> str:
    """The feedback as the widget shows it."""
    mark, rest = _verdict(question, letter, state)
    colour, background, bar = _STYLE[state]
    parts = [
        f'<p class="quiz-verdict quiz-{state}" style="color:{colour};background:{background};'
        f'border-left:4px solid {bar};padding:4px 8px;margin:4px 0">'
        f"<b>{html.escape(mark)}</b> {rich(rest)}</p>"
    ]
    why = question.option_feedback(letter)
    if why:
        parts.append(f'<p class="quiz-why"><b>Why not:</b> {rich(why)}</p>')
    if state == "retry":
        parts.append(f'<p class="quiz-retry-note"><b>Try again:</b> one more pick before the '
                     f"worked solution shows (or press Show solution). <b>Hint:</b> "
                     f"{rich(question.hint)}</p>")
        return "".join(parts)
    return "".join(parts) + solution_html(question)
