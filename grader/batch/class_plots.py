"""The class report's plots: bar charts drawn by matplotlib as inline SVG.

Self-contained (text stays text, in the page's own font: no font or script is embedded or
fetched), deterministic (no dates; ids salted and prefixed per plot, so two plots on one page
never share an id and the same figures give the same bytes), and accessible: each SVG is an
image with a title and a sentence saying what it shows; the page puts a table beside it.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence

INK = "#1f1f1f"
BAR = "#1f5fa8"  # 6.5:1 on white
GOOD = "#1b7f3b"
BAD = "#b3261e"
GRID = "#d0d0d0"

_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|xlink:href="#|href="#)([^)"]+)')


def _figure(width: float, height: float, left: float = 0.7, bottom: float = 0.6,
            top: float = 0.15) -> object:
    """A figure `width` × `height` inches, its margins fixed in inches (laid out once: a
    'tight' layout would draw every plot twice)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    figure.subplots_adjust(left=left / width, right=1 - 0.2 / width, bottom=bottom / height,
                           top=1 - top / height)
    return figure


def _axes(figure: object, xlabel: str, ylabel: str) -> object:
    axes = figure.add_subplot()  # type: ignore[attr-defined]
    axes.set_xlabel(xlabel, color=INK)
    axes.set_ylabel(ylabel, color=INK)
    axes.tick_params(colors=INK)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_axisbelow(True)
    return axes


def _svg(figure: object, name: str, title: str, summary: str) -> str:
    """The figure as an inline <svg> element: an image titled `title`, described by
    `summary`, its ids prefixed with `name`."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": name}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})  # type: ignore
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.DOTALL)
    text = _ID.sub(lambda m: f'id="{name}-{m.group(1)}"', text)
    text = _REF.sub(lambda m: f"{m.group(1)}{name}-{m.group(2)}", text)
    width = re.search(r'width="([\d.]+)pt"', text)
    style = f"width:100%;max-width:{float(width.group(1)) * 4 / 3:.0f}px;height:auto" \
        if width else "width:100%;height:auto"
    text = re.sub(r'\swidth="[\d.]+pt" height="[\d.]+pt"', "", text, count=1)
    head = (f'<svg role="img" aria-labelledby="{name}-title {name}-desc" '
            f'class="plot" style="{style}"')
    text = head + text[len("<svg"):]
    close = text.index(">") + 1
    return (text[:close] + f'<title id="{name}-title">{html.escape(title)}</title>'
            f'<desc id="{name}-desc">{html.escape(summary)}</desc>' + text[close:])


def histogram(starts: Sequence[int], counts: Sequence[int], maximum: float, summary: str) -> str:
    """Learners per total score: one bar per point (a bar at 7 counts totals from 7 up to 8)."""
    figure = _figure(6.4, 2.6)
    axes = _axes(figure, f"total score (out of {maximum:g})", "learners")
    axes.bar(list(starts), list(counts), width=0.8, color=BAR, align="center")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.grid(axis="y", color=GRID, linewidth=0.6)
    return _svg(figure, "plot-scores", "Score distribution", summary)


def pass_rates(labels: Sequence[str], rates: Sequence[float], summary: str) -> str:
    """Share of the class that passed each step, as horizontal bars."""
    figure = _figure(6.4, 0.4 * len(labels) + 0.8, left=0.75)
    axes = _axes(figure, "learners who passed the step (%)", "")
    positions = list(range(len(labels)))[::-1]
    axes.barh(positions, list(rates), color=BAR, height=0.6)
    axes.set_yticks(positions, list(labels))
    axes.set_xlim(0, 100)
    for y, rate in zip(positions, rates, strict=True):
        axes.text(min(rate + 1, 92), y, f"{rate:.0f} %", va="center", color=INK, fontsize=9)
    axes.grid(axis="x", color=GRID, linewidth=0.6)
    return _svg(figure, "plot-steps", "Pass rate per step", summary)


def item_analysis(labels: Sequence[str], facility: Sequence[float | None],
                  discrimination: Sequence[float | None], summary: str) -> str:
    """Facility and discrimination index per question, side by side (missing ones left out)."""
    figure = _figure(6.4, 2.9, top=0.45)
    axes = _axes(figure, "question", "%")
    positions = range(len(labels))
    axes.bar([p - 0.2 for p in positions], [f or 0 for f in facility], width=0.4,
             color=BAR, label="facility index")
    axes.bar([p + 0.2 for p in positions], [d or 0 for d in discrimination], width=0.4,
             color=GOOD, label="discrimination index")
    axes.axhline(0, color=INK, linewidth=0.8)
    axes.set_xticks(list(positions), list(labels))
    axes.set_ylim(min(-10, *(d or 0 for d in discrimination)) - 5, 105)
    axes.grid(axis="y", color=GRID, linewidth=0.6)
    figure.legend(frameon=False, loc="upper center", ncols=2, labelcolor=INK)
    return _svg(figure, "plot-quiz", "Quiz: facility and discrimination per question",
                summary)
