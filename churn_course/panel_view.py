"""How the serving panel looks: its words, numbers, tables, badge colours and style sheet.

Pure functions of what happened (a `LogEntry`, the batch rows, the stored answers), so what
changes with the panel's looks is apart from what changes with learner code or storage.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from .learner_code import format_number
from .stored_batch import StoredAnswer

#: How many batch rows the table shows; a learner may build a long list, a page must stay short.
BATCH_ROWS_SHOWN = 20

# The panel's own look, scoped to its classes so nothing else on the page changes. ipywidgets
# gives HTML widgets and labels one 28 px line (to line up with inputs), which double-spaces
# a paragraph; tables come with no cell padding at all. One hidden widget carries this sheet.
PANEL_CSS = """
.serving-panel .widget-html > .widget-html-content,
.serving-panel .jupyter-widget-html > .jupyter-widget-html-content {
  line-height: 1.45;
}
.serving-panel h4 { margin: 4px 0 6px; }
.serving-panel p { margin: 0 0 8px; }
.serving-panel .serving-realtime .serving-badge {
  height: auto; line-height: 1.4; white-space: normal; border-radius: 4px; margin: 6px 2px 2px;
}
.serving-panel table.serving-table {
  border-collapse: collapse; margin: 2px 0 8px; font-variant-numeric: tabular-nums;
}
.serving-panel table.serving-table th,
.serving-panel table.serving-table td {
  padding: 3px 12px 3px 6px; text-align: left; vertical-align: top;
  border-bottom: 1px solid #e0e0e0; white-space: nowrap;
}
.serving-panel .serving-scroll { overflow-x: auto; max-width: 100%; }
.serving-panel .serving-realtime, .serving-panel .serving-batch { min-width: 0; }
.serving-panel .serving-log, .serving-panel .serving-batch-table { max-width: 100%; }
.serving-panel table.serving-table th { border-bottom: 2px solid #c8c8c8; font-weight: 600; }
.serving-panel table.serving-table tr.serving-stale td { background: #fff1d6; }
.serving-panel .serving-section-title { margin-top: 8px; }
"""

# Colours come with an icon and words, so colour is never the only signal.
BADGE_STYLES = {
    "churn": ("#fde2e1", "#8a1c14"),
    "stays": ("#dff3e3", "#1d5e2c"),
    "none": ("#eeeeee", "#333333"),
}


def format_ms(ms: float) -> str:
    """Milliseconds in a form a person reads at a glance, precise enough for tiny calls."""
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    if ms >= 10:
        return f"{ms:.1f} ms"
    if ms >= 0.01:
        return f"{ms:.2f} ms"
    if ms >= 0.001:
        return f"{ms:.3f} ms"
    return "<0.001 ms"


def verdict(prediction: bool | None) -> str:
    if prediction is None:
        return "no prediction"
    return "⚠ Churn (True)" if prediction else "✓ Stays (False)"


@dataclass(frozen=True)
class LogEntry:
    """One request as the learner saw it; kept so the log and tests read the same facts."""

    time: str
    source: str  # "slider" or "customer"
    customer_id: int | None
    feature: float
    prediction: bool | None
    latency_ms: float | None
    answered_by: str = "live"  # "live": predict was called; "stored": the batch table was read
    stored: StoredAnswer | None = None

    @property
    def input_text(self) -> str:
        """The request in words, the way the log's Input column shows it."""
        if self.customer_id is None:
            return f"slider: feature {format_number(self.feature)}"
        return f"customer {self.customer_id}: feature {format_number(self.feature)}"

    @property
    def prediction_text(self) -> str:
        """The answer in words; a failed request says so rather than leaving a blank."""
        return verdict(self.prediction)

    @property
    def answered_by_text(self) -> str:
        if self.answered_by == "live":
            return "live"
        if self.stored is None:
            return "stored: none"
        return f"stored ({self.stored.scored_at})"

    @property
    def badge_text(self) -> str:
        """The badge for this request: the answer, and which request it answers.

        The slider and the customer form share one badge, so it names the call and where
        it came from: "⚠ Churn — predict(0.7) returned True (customer 105)".
        """
        source = "slider" if self.customer_id is None else f"customer {self.customer_id}"
        if self.answered_by == "stored":
            if self.prediction is None:
                return f"? No stored answer ({source}); see the message below"
            run = self.stored.scored_at if self.stored else "?"
            word = "⚠ Churn" if self.prediction else "✓ Stays"
            return f"{word} — stored by the batch run of {run} ({source})"
        call = f"predict({format_number(self.feature)})"
        if self.prediction is None:
            return f"? No prediction — {call} gave no answer ({source}); see the message below"
        if self.prediction:
            return f"⚠ Churn — {call} returned True ({source})"
        return f"✓ Stays — {call} returned False ({source})"

    @property
    def latency_text(self) -> str:
        """The time of this one request, or a dash when it gave no answer."""
        return "—" if self.latency_ms is None else format_ms(self.latency_ms)

    @property
    def timing_label(self) -> str:
        """What the time measures, named for what it is: no network, no server here."""
        if self.latency_ms is None:
            return ""
        if self.answered_by == "stored":
            return f"Time for the table lookup: {format_ms(self.latency_ms)}"
        return f"Time inside predict: {format_ms(self.latency_ms)}"


def render_log(log: list[LogEntry]) -> str:
    if not log:
        return "<p><i>No requests yet.</i></p>"
    rows = "".join(
        "<tr>"
        f"<td>{html.escape(entry.time)}</td>"
        f"<td>{html.escape(entry.input_text)}</td>"
        f"<td>{html.escape(entry.answered_by_text)}</td>"
        f"<td>{html.escape(entry.prediction_text)}</td>"
        f"<td>{html.escape(entry.latency_text)}</td>"
        "</tr>"
        for entry in log
    )
    return ('<div class="serving-scroll"><table class="serving-table"><thead><tr>'
            "<th>Time</th><th>Input</th><th>From</th><th>Prediction</th><th>Took</th>"
            f"</tr></thead><tbody>{rows}</tbody></table></div>")


def render_stored(answers: list[StoredAnswer], live: dict[int, bool | None]) -> str:
    """The stored table next to what live `predict` says now; stale rows are marked.

    `live` maps a row's position to live predict's answer now (None: it gave none)."""
    shown = answers[:BATCH_ROWS_SHOWN]
    body = []
    for position, answer in enumerate(shown):
        now = live.get(position)
        stale = now is not None and now != answer.churn
        now_text = "—" if now is None else (
            "⚠ now " + ("Churn" if now else "Stays") if stale else "same")
        row_class = ' class="serving-stale"' if stale else ""
        body.append(
            f"<tr{row_class}>"
            f"<td>{html.escape(str(answer.customer_id))}</td>"
            f"<td>{html.escape(format_number(answer.feature))}</td>"
            f"<td>{verdict(answer.churn)}</td>"
            f"<td>{html.escape(now_text)}</td>"
            "</tr>")
    more = ""
    if len(answers) > len(shown):
        more = f"<p>… and {len(answers) - len(shown)} more customers.</p>"
    return ('<div class="serving-scroll"><table class="serving-table"><thead><tr>'
            "<th>Customer ID</th><th>Feature</th><th>Stored</th>"
            f"<th>Live now</th></tr></thead><tbody>{''.join(body)}</tbody></table></div>{more}")


def stored_summary(answers: list[StoredAnswer], live: dict[int, bool], why: str,
                   file_name: str, threshold_now: float | None) -> str:
    """One line on the stored table: when and with what threshold, and how it compares with
    live predict now. `live`: live predict's answer by row position, for the rows it could
    answer; `why`: why the others were not compared. "Matches" only for what was compared."""
    if not answers:
        return "Nothing stored yet: press <b>Run batch</b> to run the batch job."
    first = answers[0]
    used = "an unknown threshold" if first.threshold is None else \
        f"threshold {format_number(first.threshold)}"
    line = (f"Stored in <code>{html.escape(file_name)}</code> by the run of "
            f"{html.escape(first.scored_at)}, with {used}.")
    total, compared = len(answers), len(live)
    stale = sum(1 for i, now in live.items() if now != answers[i].churn)
    rest = html.escape(f" ({total - compared} not compared: {why})") if compared < total else ""
    if not compared:
        return (f"{line} <b>Live predict gives no answer now, so the stored answers can't be "
                f"compared with it:</b> {html.escape(why)}")
    if stale:
        now = "" if threshold_now is None else \
            f" (threshold now {format_number(threshold_now)})"
        of = f"{total}" if compared == total else f"the {compared} compared"
        return (f"{line} <b>{stale} of {of} stored answers are stale</b>: live "
                f"predict now answers differently{now}. Run the batch job again to refresh "
                f"them.{rest}")
    if compared == total:
        return f"{line} Every stored answer matches live predict now."
    return f"{line} The {compared} stored answers compared match live predict now.{rest}"


def threshold_mark(threshold: float | None) -> str:
    """A strip under the slider: where the threshold sits between 0 and 1."""
    if threshold is None or not 0 <= threshold <= 1:
        return ("<div class='serving-threshold-text'>threshold: not a number between 0 and 1"
                "</div>")
    at = f"{100 * threshold:.1f}%"
    return (f"<div style='position:relative;height:8px;border-radius:4px;margin:2px 0 0;"
            f"background:linear-gradient(to right,#bfe5c8 {at},#f6c3bf {at})'>"
            f"<div style='position:absolute;left:{at};top:-3px;width:2px;height:14px;"
            f"background:#333'></div></div>"
            f"<div class='serving-threshold-text' style='position:relative;height:1.4em'>"
            f"<span style='position:absolute;left:{at};transform:translateX(-50%);"
            f"white-space:nowrap;font-size:90%'>▲ threshold {format_number(threshold)}"
            f"</span></div>")


def as_html(text: str) -> str:
    """Plain words for an HTML widget: escaped, since messages quote learner values."""
    return html.escape(text, quote=False)


