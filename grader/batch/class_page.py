"""`class.html`: the class report's figures (class.json) as one self-contained page.

Rendered from the figures alone, so the page and class.json can't disagree. Works from a file,
offline and without JavaScript: styles inline, plots as inline SVG (class_plots.py), sections
reached by plain links. Readable by everyone: every plot is an image with a title and a
description, with a table of the same figures beside it; every table has a caption and
header cells; colours pass WCAG AA contrast and never carry meaning alone (a right answer says
"right", not only green). Learner-derived text (ids, messages) is escaped.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from ..feedback import _rich
from ..spec import QUIZ
from . import class_plots
from .verdicts import STATUSES

COURSE = "Batch Prediction vs Real-Time Serving"
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f1f1f;background:#fff;
max-width:64em;margin:0 auto;padding:1em 1.5em;line-height:1.45}
h1{margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ccc;padding-bottom:.2em}
h3{margin:1.4em 0 .4em;font-size:1.05em}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.4em 1.2em}
a{color:#0b57a4}a:focus-visible{outline:3px solid #0b57a4;outline-offset:2px}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.95em}
caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border:1px solid #c8c8c8;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f0f2f5}table.said tbody th{font-weight:normal}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.n{white-space:nowrap}
figcaption{font-size:.9em;color:#444}
.right{color:#1b7f3b;font-weight:600}.drew{color:#b3261e;font-weight:600}
.muted{color:#555}q.option{display:block;color:#444;font-size:.9em;white-space:normal;
max-width:28em;margin:.1em 0 .3em}.reads{color:#555;white-space:normal}
.line{display:block;white-space:nowrap}
code{background:#f3f3f3;padding:0 3px}
figure{margin:0 0 .5em}figure .plot{display:block}summary{cursor:pointer;color:#0b57a4}
.note{background:#f6f7f9;border-left:4px solid #0b57a4;padding:.5em .8em}
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _n(value: object, suffix: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}{suffix}"
    return f"{value}{suffix}"


def _count(number: int, noun: str) -> str:
    """`1 learner`, `32 learners`, `no learner`."""
    if number == 0:
        return f"no {noun}"
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _link(learner: dict) -> str:
    if not learner.get("report"):
        return _e(learner["id"])
    return f'<a href="{_e(quote(learner["report"]))}">{_e(learner["id"])}</a>'


def _table(caption: str, headers: list[str], rows: list[list[str]],
           numeric: set[int] = frozenset(),  # type: ignore[assignment]
           kind: str = "") -> str:
    """A table with a caption and header cells; cells are HTML already (`kind`: its class)."""
    head = "".join(f'<th scope="col"{" class=n" if i in numeric else ""}>{h}</th>'
                   for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(
        (f'<th scope="row">{cell}</th>' if i == 0 else
         f'<td{" class=n" if i in numeric else ""}>{cell}</td>')
        for i, cell in enumerate(row)) + "</tr>" for row in rows)
    klass = f' class="{kind}"' if kind else ""
    return (f"<table{klass}><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def _what_counts(figures: dict) -> str:
    counts = figures["counts"]
    names = ", ".join(f"<code>{_e(n)}</code>" for n in counts["notebooks"])
    how = (f"chosen with <code>{_e(counts['chosen'])}</code>" if counts["chosen"]
           else "the default: every notebook, the optional ones once anyone hands them in")
    return f"<p><b>What counts:</b> {names} ({how}).</p>"


def _header(figures: dict) -> str:
    scores = figures["scores"]
    return (f"<header><h1>Class report</h1><p class='muted'>{_e(COURSE)} · "
            f"{_count(figures['learners'], 'learner')} · source "
            f"<code>{_e(figures['source'])}</code>"
            f"</p>{_what_counts(figures)}"
            f"<p>Mean score <b>{_n(scores['mean'])}</b> of {_n(scores['max'])}, median "
            f"{_n(scores['median'])}, {_count(scores['full_marks'], 'learner')} with full marks. "
            f"The same figures are in <a href='class.json'>class.json</a>.</p></header>")


SECTIONS = (("scores", "Scores"), ("steps", "Steps"), ("mistakes", "What the class got wrong"),
            ("quiz", "Quiz: item analysis"), ("notebooks", "Notebooks"),
            ("problems", "Grader problems"))


def _nav(figures: dict) -> str:
    items = "".join(f'<li><a href="#{key}">{_e(title)}</a></li>' for key, title in SECTIONS
                    if key != "quiz" or figures["quiz"])
    return f'<nav aria-label="Sections of this report"><ul>{items}</ul></nav>'


def _scores(figures: dict) -> str:
    scores = figures["scores"]
    starts, counts = scores["histogram"]["from"], scores["histogram"]["learners"]
    busiest = max(range(len(counts)), key=lambda i: counts[i]) if any(counts) else 0
    summary = (f"Bar chart of {scores['learners']} learners' total scores out of "
               f"{_n(scores['max'])}; the most common score is {starts[busiest]} "
               f"({counts[busiest]} learners). The table beside it gives every bar.")
    plot = class_plots.histogram(starts, counts, scores["max"] or 0, summary)
    rows = [[_e(start), _e(count)] for start, count in zip(starts, counts, strict=True)
            if count]
    table = _table("Learners per total score", ["score", "learners"], rows, {1})
    return (f'<section id="scores" aria-labelledby="scores-h"><h2 id="scores-h">Scores</h2>'
            f"<figure>{plot}<figcaption>Total scores (a bar at 7 counts totals from 7 up to "
            f"but not including 8).</figcaption></figure><details><summary>The same as a "
            f"table</summary>{table}</details></section>")


def _steps(figures: dict) -> str:
    steps = figures["steps"]
    # the quiz is "passed" only with every question right: its questions have their own
    # section, so the chart of pass rates is the steps'
    charted = [s for s in steps if s["step"] != QUIZ.key]
    labels = [s["label"] for s in charted]
    rates = [s["pass_rate"] or 0.0 for s in charted]
    summary = "Horizontal bar chart of the share of the class that passed each step: " + \
        "; ".join(f"{label} {rate:.0f} %" for label, rate in zip(labels, rates, strict=True))
    plot = class_plots.pass_rates(labels, rates, summary) if charted else ""
    figure = (f"<figure>{plot}<figcaption>Pass rate per step, of the whole class (the table "
              f"below gives every figure).</figcaption></figure>" if plot else "")
    quiz = (" The quiz counts as passed with every question right; how each of its "
            "questions did is in <a href='#quiz'>its item analysis</a>."
            if figures["quiz"] and figures["quiz"]["attempts"] else "")
    rows = [[f"{_e(s['label'])}: {_e(s['title'])}", _e(s["handed_in"]), _e(s["checked"]),
             _e(s["passed"]), _n(s["pass_rate"], " %"), _n(s["pass_rate_of_handed_in"], " %"),
             f"{_n(s['mean_points'])} / {_n(s['max_points'])}"] for s in steps]
    table = _table("Each step", ["step", "handed in", "checked", "passed", "pass rate",
                                 "of those handed in", "mean points"], rows, {1, 2, 3, 4, 5, 6})
    return (f'<section id="steps" aria-labelledby="steps-h"><h2 id="steps-h">Steps</h2>'
            f"<p>A step is passed when its notebook ran and every check of it passed. "
            f"Optional notebooks (Part 2's steps 5-8, choosing the mode) appear once anyone "
            f"hands them in.{quiz}</p>{figure}{table}</section>")


OUTCOMES = (("failed", "failed"), ("passed", "passed"), ("not_started", "not started"),
            ("not_reached", "not reached"), ("not_checked", "not checked"))


def _mistakes(figures: dict) -> str:
    parts = []
    for check in figures["checks"]:
        if not check["mistakes"]:
            continue
        rows = [[_rich(m["said"]), _e(m["learners"]),
                 ", ".join(_link(x) for x in m["examples"])
                 + (" …" if m["learners"] > len(m["examples"]) else "")]
                for m in check["mistakes"]]
        counts = " · ".join(f"{check[key]} {words}" for key, words in OUTCOMES if check[key])
        parts.append(f"<h3>{_e(check['label'])} · {_rich(check['title'])} "
                     f"<span class=muted>({_e(check['id'])})</span></h3><p>{counts}</p>"
                     + _table(f"Mistakes in {_e(check['id'])}, most common first",
                              ["what the check said", "learners", "for example"], rows, {1},
                              "said"))
    body = "".join(parts) or "<p>No check failed for anyone. Well taught!</p>"
    return ('<section id="mistakes" aria-labelledby="mistakes-h"><h2 id="mistakes-h">What the '
            "class got wrong</h2><p>For each check, its failures grouped by what the check "
            "said (words that differ between learners shown as …), most common first, with "
            "a few learners each, linked to their reports. <b>Not started</b>: the answer "
            "cell was handed in as given; <b>not reached</b>: a check before it failed; "
            "<b>not checked</b>: the notebook was missing or did not run (see "
            "<a href='#notebooks'>Notebooks</a>).</p>" + body + "</section>")


def _options(question: dict) -> str:
    cells = []
    for option in question["options"]:
        words = f"{_e(option['option'])}: {option['picked']} ({_n(option['share'], ' %')})"
        if option["right"]:
            words = f"<span class=right>{words} right</span>"
        elif any(d["option"] == option["option"] and d["more_than_the_answer"]
                 for d in question["distractors"]):
            # the misconception to teach again: in its own words
            words = (f"<span class=drew>{words} drew the class</span><q class=option>"
                     f"{_e(option['text'])}</q>")
        cells.append(words)
    return "".join(f"<span class=line>{cell}</span>" for cell in cells)


def _quiz(figures: dict) -> str:
    quiz = figures["quiz"]
    if not quiz:
        return ""
    if not quiz["attempts"]:
        return ('<section id="quiz" aria-labelledby="quiz-h"><h2 id="quiz-h">Quiz: item '
                "analysis</h2><p>No quiz was graded: nobody's quiz notebook ran and was "
                "checked.</p></section>")
    questions = quiz["questions"]
    labels = [f"Q{q['number']}" for q in questions]
    summary = ("Grouped bar chart of each question's facility index and discrimination "
               "index, in per cent: " + "; ".join(
                   f"Q{q['number']} facility {_n(q['facility'])}, discrimination "
                   f"{_n(q['discrimination'])}" for q in questions))
    plot = class_plots.item_analysis(labels, [q["facility"] for q in questions],
                                     [q["discrimination"] for q in questions], summary)
    rows = [[f"Q{q['number']} ({_e(q['difficulty'])})",
             f"{_n(q['facility'], ' %')}<br><span class=reads>{_e(q['facility_reads'])}</span>",
             _n(q["sd"], " %"),
             f"{_n(q['discrimination'], ' %')}<br><span class=reads>"
             f"{_e(q['discrimination_reads'])}</span>",
             _n(q["efficiency"], " %"), _options(q), _e(q["no_answer"])] for q in questions]
    table = _table(f"Item analysis of {_count(quiz['attempts'], 'graded quiz attempt')}",
                   ["question", "facility index", "SD", "discrimination index",
                    "discriminative efficiency", "options picked", "no answer"], rows,
                   {1, 2, 3, 4, 6})
    return ('<section id="quiz" aria-labelledby="quiz-h"><h2 id="quiz-h">Quiz: item '
            "analysis</h2><p class=note>As Moodle's quiz statistics define them. "
            "<b>Facility index</b>: the class's mean mark on the question, in per cent (35-64 "
            "is about right for the average learner; above 80, easy). <b>Discrimination "
            "index</b>: how well the question tells stronger learners from weaker ones, the "
            "correlation between its marks and the rest of the quiz (30 or more is adequate, "
            "50 or more very good; negative: look at the question). <b>Discriminative "
            "efficiency</b>: the discrimination index as a share of the most it could be "
            "with these marks. <b>Options picked</b>: how often each option was the "
            "learner's answer; a wrong option picked more often than the right one is a "
            "distractor that <em>drew the class</em>. The quiz counts each learner's latest "
            "answer, after feedback and a second try, so facility reads high.</p>"
            f"<figure>{plot}<figcaption>Facility and discrimination index per question (a "
            f"question without a figure shows none; the table below gives every figure)."
            f"</figcaption></figure>{table}</section>")


def _notebooks(figures: dict) -> str:
    notebooks = figures["notebooks"]
    rows = [[_e(s["unit"]), *(_e(s["statuses"][k]) for k in STATUSES)]
            for s in figures["steps"]]
    rows.append(["all", *(_e(notebooks["statuses"][k]) for k in STATUSES)])
    statuses = _table("Notebooks by status", ["notebook", *STATUSES], rows,
                      set(range(1, len(STATUSES) + 1)))
    late = (f"{_count(notebooks['late'], 'learner')} handed in late"
            + (": " + ", ".join(_link(x) for x in notebooks["late_learners"][:20])
               + (" …" if notebooks["late"] > 20 else "") if notebooks["late"] else "")
            + "." if notebooks["late_known"] else
            "The download did not say who was late (Canvas's does).")
    slow = _table("The slowest notebooks", ["learner", "notebook", "seconds", "status"],
                  [[_link({"id": s["learner"], "report": s["report"]}), _e(s["notebook"]),
                    _e(f"{s['seconds']:.2f}"), _e(s["status"])]
                   for s in notebooks["slowest"]], {2}) if notebooks["slowest"] else ""
    return ('<section id="notebooks" aria-labelledby="notebooks-h"><h2 id="notebooks-h">'
            "Notebooks</h2><p><b>ok</b>: ran and checked; <b>timeout</b>: did not finish in "
            "time; <b>error</b>: stopped the grader; <b>invalid</b>: not a readable notebook; "
            f"<b>missing</b>: not handed in.</p>{statuses}<p>{late}</p>{slow}</section>")


def _problems(figures: dict) -> str:
    items = "".join(f"<li>{_e(p)}</li>" for p in figures["problems"])
    body = f"<ul>{items}</ul>" if items else "<p>None: every check ran as it should.</p>"
    return ('<section id="problems" aria-labelledby="problems-h"><h2 id="problems-h">Grader '
            f"problems</h2>{body}</section>")


def render(figures: dict) -> str:
    """The whole page."""
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>Class report · {_e(COURSE)}</title><style>{STYLE}</style></head><body>"
            f"{_header(figures)}{_nav(figures)}<main>{_scores(figures)}{_steps(figures)}"
            f"{_mistakes(figures)}{_quiz(figures)}{_notebooks(figures)}{_problems(figures)}"
            "</main></body></html>\n")
