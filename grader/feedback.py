"""Turning verdicts into words: rich HTML for notebooks, plain text for terminals and files.

All learner-derived text is escaped; backticks become code. Output is deterministic (no times,
no ids) so solution notebooks can be compared by nbval.
"""

from __future__ import annotations

import html
import re

from .results import CheckResult, StepResult

_TICKS = re.compile(r"`([^`]+)`")
MARKS = {"passed": "✔", "failed": "✘", "skipped": "·"}


def _state(check: CheckResult) -> str:
    if not check.ran:
        return "skipped"
    return "passed" if check.passed else "failed"


def _rich(text: str) -> str:
    return _TICKS.sub(r"<code>\1</code>", html.escape(text))


def headline(result: StepResult) -> str:
    total = len(result.checks)
    passed = sum(c.passed for c in result.checks)
    skipped = sum(not c.ran for c in result.checks)
    name = "The quiz" if result.step == "quiz" else f"Step {result.step}"
    if result.problem:
        return f"{name} could not be checked: {result.problem}"
    if result.passed:
        return f"{name} passed: {'its check is' if total == 1 else f'all {total} checks are'} "\
            "right. Well done!"
    if not result.started and result.step == "quiz":
        return ("The quiz is not done yet: answer the questions above (with the quiz widget, "
                'or with answer(1, "C")), then run this check.')
    if not result.started:
        return f"{name} is not done yet: write your answer above, run it, then run this check."
    waiting = f"; {skipped} more will run once the first ✘ is fixed" if skipped else ""
    return f"{name}: {passed} of {total} checks passed{waiting}. Start with the first ✘ below."


def as_text(result: StepResult, progress: str = "") -> str:
    lines = [headline(result), f"  {result.title}"]
    for check in result.checks:
        state = _state(check)
        lines.append(f"  {MARKS[state]} {check.title}")
        lines.append(f"      {check.message}")
        if check.hint and state == "failed":
            lines.append(f"      Hint: {check.hint}")
    if progress:
        lines.append(progress)
    return "\n".join(lines)


_COLOURS = {"passed": "#1b7f3b", "failed": "#b3261e", "skipped": "#6b6b6b"}


def as_html(result: StepResult, progress: str = "") -> str:
    tone = "passed" if result.passed else ("skipped" if not result.started else "failed")
    items = []
    for check in result.checks:
        state = _state(check)
        hint = (f"<div class='course-hint'><b>Hint:</b> {_rich(check.hint)}</div>"
                if check.hint and state == "failed" else "")
        items.append(
            f"<li class='course-check-{state}' style='list-style:none;margin:4px 0'>"
            f"<span style='color:{_COLOURS[state]};font-weight:bold' aria-label='{state}'>"
            f"{MARKS[state]} {_rich(check.title)}</span>"
            f"<div style='margin-left:1.3em'>{_rich(check.message)}</div>"
            f"<div style='margin-left:1.3em'>{hint}</div></li>")
    footer = (f"<div class='course-progress' style='margin-top:6px;color:#444'>"
              f"{html.escape(progress)}</div>" if progress else "")
    return (f"<div class='course-verdict course-{tone}' style='border-left:4px solid "
            f"{_COLOURS[tone]};padding:6px 10px'>"
            f"<div style='font-weight:bold'>{_rich(headline(result))}</div>"
            f"<div style='color:#444'>{html.escape(result.title)}</div>"
            f"<ul style='padding-left:0'>{''.join(items)}</ul>{footer}</div>")


def as_markdown(result: StepResult) -> str:
    """For the instructor's per-learner feedback files."""
    lines = [f"### {html.escape(result.title)} — {result.points:g} / {result.max_points:g}",
             "", headline(result), ""]
    for check in result.checks:
        state = _state(check)
        lines.append(f"- {MARKS[state]} **{check.title}** ({check.points:g}/"
                     f"{check.max_points:g}): {check.message}")
        if check.hint and state == "failed":
            lines.append(f"  - Hint: {check.hint}")
    return "\n".join(lines) + "\n"
