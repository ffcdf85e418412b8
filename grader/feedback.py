"""Turning verdicts into words: rich HTML for notebooks, plain text for terminals and files.

A verdict is compact: the first failing check leads, failures are shown in full, checks that
wait on a fix and parts not started yet fold into one line each, and passed checks fold into
one "✔ 6 checks passed" line. A failure gives a nudge first; the full answer line stays behind
a collapsed "Show me the line" until the same check has failed `REVEAL_AFTER` times (the
inline `check(N)` counts; see `reveal`). A step not started yet is one short line, no answers.

All learner-derived text is escaped; backticks become code. Output is deterministic (no times,
no ids) so solution notebooks can be compared by nbval.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection

from .results import CheckResult, StepResult
from .spec import Step, step_for

_TICKS = re.compile(r"`([^`]+)`")
MARKS = {"passed": "✔", "failed": "✘", "skipped": "·"}
REVEAL_AFTER = 3  # failures of the same check before its answer line is shown unasked
SHOW_LINE = "Show me the line"


def _state(check: CheckResult) -> str:
    if not check.ran:
        return "skipped"
    return "passed" if check.passed else "failed"


def _rich(text: str) -> str:
    return _TICKS.sub(r"<code>\1</code>", html.escape(text))


#: What Markdown (CommonMark, GitHub's) would act on in running text: emphasis, links and
#: images, raw HTML and entities, code spans, tables, strike-through, escapes.
_MD_ACTIVE = re.compile(r"([\\`*_\[\]<>&|~])")


def _md_code(text: str) -> str:
    """`text` as one inline code span whatever it holds: fenced by more backticks than it
    has in a row, padded where it starts or ends with one."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_inline(text: str) -> str:
    """Course words with learner-derived values in them, as inert Markdown on one line: the
    backticked parts as code, everything else with Markdown's active characters escaped, so a
    value can't close a code span and turn into HTML, a link, emphasis or a line of its own."""
    text = " ".join(text.split("\n"))
    parts = _TICKS.split(text)  # even: running text; odd: what was between backticks
    return "".join(_md_code(part) if i % 2 else _MD_ACTIVE.sub(r"\\\1", part)
                   for i, part in enumerate(parts))


def _step(result: StepResult) -> Step:
    """The step a result is of; an unknown key (`check(9)`) gets a plain record to speak of."""
    try:
        return step_for(result.step)
    except ValueError:
        return Step(result.step, result.title, "", "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def headline(result: StepResult) -> str:
    total = len(result.checks)
    passed = sum(c.passed for c in result.checks)
    step = _step(result)
    name = step.name
    if result.problem:
        return f"{name} could not be checked: {result.problem}"
    if result.passed:
        return f"{name} passed. Well done!"
    if not result.started:
        return f"{name} is not started yet: {step.start}."
    return (f"{name}: {passed} of {total} {step.item}s {step.passed_as}. Start with the first ✘ "
            "below.")


def _groups(result: StepResult) -> tuple[list[CheckResult], list[CheckResult],
                                         list[CheckResult], list[CheckResult]]:
    """(failures shown in full, not started yet, waiting on a fix, passed), in check order.
    The first failure always shows in full, started or not; later not-started ones fold."""
    failed = [c for c in result.checks if c.ran and not c.passed]
    full: list[CheckResult] = []
    repeats: list[CheckResult] = []  # the same words as a failure above: said once
    for index, check in enumerate(failed):
        if any(check.message == shown.message for shown in full):
            repeats.append(check)
        elif index == 0 or check.started:
            full.append(check)
    later = [c for c in failed if c not in full and c not in repeats]
    waiting = [c for c in result.checks if not c.ran or c in repeats]
    passed = [c for c in result.checks if c.passed]
    return full, later, waiting, passed


def _titles(checks: list[CheckResult]) -> str:
    return "; ".join(c.title for c in checks)


def _fold_lines(result: StepResult) -> list[tuple[str, str, list[CheckResult]]]:
    """(state, words, checks) for each folded line."""
    _, later, waiting, passed = _groups(result)
    lines = []
    if later and _step(result).item == "question":  # "Question 4 (medium)" -> "4"
        numbers = ", ".join(c.title.split(" (")[0].removeprefix("Question ") for c in later)
        lines.append(("skipped", f"{_plural(len(later), 'more question')} not answered yet: "
                      f"{numbers}", later))
    elif later:
        lines.append(("skipped", f"{_plural(len(later), 'more part')} not started yet: "
                      f"{_titles(later)}", later))
    if waiting:
        lines.append(("skipped", f"{_plural(len(waiting), 'more check')} will run once the "
                      f"first ✘ is fixed", waiting))
    if passed:
        step = _step(result)
        lines.append(("passed", f"{_plural(len(passed), step.item)} {step.passed_as}", passed))
    return lines


def _compact(result: StepResult) -> bool:
    """False when the verdict is its headline alone."""
    return not result.problem and result.started


def as_text(result: StepResult, progress: str = "", reveal: Collection[str] = ()) -> str:
    lines = [headline(result)]
    if _compact(result):
        full, *_ = _groups(result)
        for check in full:
            lines.append(f"  ✘ {check.title}")
            lines.append(f"      {check.message}")
            if check.hint:
                lines.append(f"      Hint: {check.hint}")
            if check.line and check.id in reveal:
                lines.append("      The line:")
                lines.extend(f"          {part}" for part in check.line.splitlines())
        for state, words, _ in _fold_lines(result):
            lines.append(f"  {MARKS[state]} {words}")
    if progress:
        lines.append(progress)
    return "\n".join(lines)


_COLOURS = {"passed": "#1b7f3b", "failed": "#b3261e", "skipped": "#6b6b6b"}


def _line_html(check: CheckResult, shown: bool) -> str:
    if not check.line:
        return ""
    note = (" <i>(shown because this check failed a few times)</i>" if shown else "")
    return (f"<details class='course-line'{' open' if shown else ''} style='margin:2px 0'>"
            f"<summary style='cursor:pointer;color:#444'>{SHOW_LINE}{note}</summary>"
            f"<pre style='margin:4px 0;padding:4px 8px;background:#f4f5f7'><code>"
            f"{html.escape(check.line)}</code></pre></details>")


def _failure_html(check: CheckResult, reveal: Collection[str]) -> str:
    hint = (f"<div class='course-hint'><b>Hint:</b> {_rich(check.hint)}</div>"
            if check.hint else "")
    return (f"<li class='course-check-failed' style='list-style:none;margin:4px 0'>"
            f"<span style='color:{_COLOURS['failed']};font-weight:bold' aria-label='failed'>"
            f"✘ {_rich(check.title)}</span>"
            f"<div style='margin-left:1.3em'>{_rich(check.message)}{hint}"
            f"{_line_html(check, check.id in reveal)}</div></li>")


def _fold_html(state: str, words: str, checks: list[CheckResult]) -> str:
    titles = "".join(f"<li>{_rich(c.title)}</li>" for c in checks)
    return (f"<li class='course-fold course-fold-{state}' style='list-style:none;margin:4px 0'>"
            f"<details><summary style='cursor:pointer;color:{_COLOURS[state]};"
            f"font-weight:bold' aria-label='{state}'>{MARKS[state]} {_rich(words)}</summary>"
            f"<ul style='margin:2px 0 0 1.3em;color:#444'>{titles}</ul></details></li>")


def as_html(result: StepResult, progress: str = "", reveal: Collection[str] = ()) -> str:
    tone = "passed" if result.passed else ("skipped" if not result.started else "failed")
    items = []
    if _compact(result):
        full, *_ = _groups(result)
        items = [_failure_html(c, reveal) for c in full]
        items += [_fold_html(*fold) for fold in _fold_lines(result)]
    body = f"<ul style='padding-left:0;margin:4px 0 0'>{''.join(items)}</ul>" if items else ""
    footer = (f"<div class='course-progress' style='margin-top:6px;color:#444'>"
              f"{html.escape(progress)}</div>" if progress else "")
    return (f"<div class='course-verdict course-{tone}' style='border-left:4px solid "
            f"{_COLOURS[tone]};padding:6px 10px'>"
            f"<div style='font-weight:bold'>{_rich(headline(result))}</div>"
            f"{body}{footer}</div>")


def as_markdown(result: StepResult) -> str:
    """For the instructor's per-learner feedback files: every check, with its points."""
    lines = [f"### {md_inline(result.title)} — {result.points:g} / {result.max_points:g}",
             "", md_inline(headline(result)), ""]
    for check in result.checks:
        state = _state(check)
        lines.append(f"- {MARKS[state]} **{md_inline(check.title)}** ({check.points:g}/"
                     f"{check.max_points:g}): {md_inline(check.message)}")
        if check.hint and state == "failed":
            lines.append(f"  - Hint: {md_inline(check.hint)}")
        if check.line and state == "failed":
            lines.append(f"  - <details><summary>{SHOW_LINE}</summary>\n\n"
                         f"    ```python\n    {check.line.replace(chr(10), chr(10) + '    ')}"
                         "\n    ```\n\n    </details>")
    return "\n".join(lines) + "\n"
