"""The live serving panel of step 4: the learner's own ``predict``, served two ways.

Step 4 prints one batch list and one real-time answer. The panel lets a learner *see* the
difference: move a slider or type a customer and one request is answered at once, either live
(``predict`` is called) or from the stored batch table (a toggle); press **Run batch** and a
batch job scores every customer in ``customers`` and writes the answers, with the threshold
used and the time of the run, to a real SQLite table beside the notebook. Change ``threshold``
and the stored answers visibly go stale next to live ones until the job runs again.

This module wires the widgets; the learner's code is reached through ``learner_code.py``, the
table lives in ``stored_batch.py`` and the words and tables come from ``panel_view.py``.

Usage in a notebook::

    from churn_course.serving_panel import serving_panel
    serving_panel()
"""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Mapping
from datetime import datetime
from numbers import Real
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from .learner_code import (
    Problem,
    call_predict,
    find_customers,
    find_predict,
    find_threshold,
    format_number,
    score_all,
)
from .panel_view import (
    BADGE_STYLES,
    PANEL_CSS,
    LogEntry,
    as_html,
    format_ms,
    render_log,
    render_stored,
    stored_summary,
    threshold_mark,
)
from .stored_batch import DEFAULT_FILE, BatchStore

__all__ = ["LogEntry", "ServingPanel", "serving_panel", "TEXT_FALLBACK"]

#: What a front end without widgets shows (and what nbval compares): no timings, no ids.
TEXT_FALLBACK = (
    "Live serving panel: answer each request with your predict function when it arrives "
    "(real time), or score every customer in `customers` ahead of time and store the "
    "answers (batch). "
    "It needs a live Jupyter kernel with ipywidgets to show."
)
#: How many requests the log keeps: enough to compare a few, few enough to read at a glance.
LOG_SIZE = 10
#: Seconds one real-time request (or one whole batch) may take before it is stopped.
DEFAULT_TIME_LIMIT = 1.0
#: Seconds the panel may spend asking live predict about the stored answers when it redraws
#: (after every cell run): a slow predict delays a cell by this much at most.
REFRESH_SECONDS = 0.3
#: Stored answers compared with live predict at most, per redraw.
COMPARE_ROWS = 1000
MODES = (("Live: call predict", "live"), ("Stored: batch table", "stored"))
_WAITING = "No request yet: move the slider or press Serve."


class ServingPanel:
    """The step 4 panel: real-time requests on one side, a batch job on the other.

    Every widget is an attribute, so tests (and curious learners) can drive it from Python:
    set ``slider.value`` or ``mode.value``, call ``serve_button.click()`` or
    ``batch_button.click()``, then read ``badge.value``, ``latency.value``, ``message.value``,
    ``log``, ``batch_rows`` and ``stored_table.value``.
    """

    def __init__(self, namespace: Mapping[str, Any] | None = None, *,
                 time_limit: float = DEFAULT_TIME_LIMIT,
                 store: str | Path = DEFAULT_FILE) -> None:
        self._namespace = namespace
        if not (isinstance(time_limit, Real) and math.isfinite(time_limit) and time_limit > 0):
            raise ValueError(f"time_limit must be a positive number of seconds, got "
                             f"{time_limit!r}")
        self.time_limit = float(time_limit)
        self.store = BatchStore(store)
        self.log: list[LogEntry] = []
        self.batch_rows: list[tuple[Any, float, bool]] = []

        def labelled(widget: Any) -> Any:
            widget.style = {"description_width": "initial"}
            return widget

        self.slider = labelled(widgets.FloatSlider(
            value=0.5, min=0.0, max=1.0, step=0.01, description="Feature value",
            readout_format=".2f", layout=widgets.Layout(width="420px"),
            # One request per settled value: a drag would otherwise flood the log.
            continuous_update=False))
        # Under the slider's track (its label takes about 100 px, its readout about 70 px).
        self.threshold_mark = widgets.HTML(layout=widgets.Layout(width="238px",
                                                                 margin="0 0 0 104px"))
        self.customer_id = labelled(widgets.IntText(
            value=105, description="Customer ID", layout=widgets.Layout(width="160px")))
        self.customer_value = labelled(widgets.FloatText(
            value=0.7, description="Customer's feature value", step=0.01,
            layout=widgets.Layout(width="240px")))
        self.serve_button = widgets.Button(
            description="Serve", button_style="primary",
            tooltip="Send one real-time request for this customer",
            layout=widgets.Layout(width="90px"))
        self.mode = widgets.ToggleButtons(
            options=MODES, value="live", description="Answer from",
            style={"description_width": "initial", "button_width": "160px"},
            tooltips=["Call your predict now", "Read the answer the batch job stored"])
        self.badge = widgets.Label(value=_WAITING)
        self.latency = widgets.Label(value="")
        # HTML, not Label: a Label cuts long text with "...", and messages must be read whole.
        self.message = widgets.HTML(value="")
        self.log_table = widgets.HTML(value=render_log(self.log))

        self.batch_button = widgets.Button(
            description="Run batch", button_style="info",
            tooltip="Run the batch job: score every customer and store the answers")
        self.batch_time = widgets.HTML(value="")
        self.batch_message = widgets.HTML(value="")
        self.stored_summary = widgets.HTML(value="")
        self.stored_table = widgets.HTML(value="")
        self.batch_table = self.stored_table  # the batch job's table *is* the stored table

        self._style_badge("none")
        self.badge.layout.padding = "5px 10px"
        self.badge.style.font_weight = "bold"
        for box in (self.message, self.batch_message):
            box.style.text_color = "#8a1c14"
        for widget, css_class in (
            (self.slider, "serving-slider"), (self.threshold_mark, "serving-threshold-mark"),
            (self.customer_id, "serving-customer-id"),
            (self.customer_value, "serving-customer-value"),
            (self.serve_button, "serving-serve-button"), (self.mode, "serving-mode"),
            (self.badge, "serving-badge"), (self.latency, "serving-latency"),
            (self.message, "serving-message"), (self.message, "serving-realtime-message"),
            (self.log_table, "serving-log"), (self.batch_button, "serving-batch-button"),
            (self.batch_time, "serving-batch-time"), (self.batch_message, "serving-message"),
            (self.batch_message, "serving-batch-message"),
            (self.stored_summary, "serving-stored-summary"),
            (self.stored_table, "serving-batch-table"),
        ):
            widget.add_class(css_class)

        self.slider.observe(self._on_slider, names="value")
        self.serve_button.on_click(self._on_serve)
        self.batch_button.on_click(self._on_batch)
        self.widget = self._layout()
        self.refresh()
        self._watch_cells()

    # ----------------------------------------------------------------- display

    def _layout(self) -> widgets.Widget:
        # display: none hides the widget's box, not the sheet: a <style> applies wherever it is.
        self.style_sheet = widgets.HTML(
            f"<style>{PANEL_CSS}</style>", layout=widgets.Layout(display="none")
        ).add_class("serving-style")
        realtime = widgets.VBox([
            widgets.HTML(
                "<h4>Real-time serving</h4>"
                "<p>The answer is computed <b>when the request arrives</b>: a customer "
                "opens the app or calls support, and the inputs are the ones they have "
                "right now. Each change below is <b>one request</b>, answered at once: "
                "<b>live</b> by calling your <code>predict</code>, or from the <b>stored</b> "
                "table the batch job wrote. What matters here is <b>latency</b>: how long one "
                "answer takes. The time shown is only the call to <code>predict</code> (or the "
                "table lookup) in this kernel; a real endpoint adds the network and the server "
                "(Part 2 measures them).</p>"
            ).add_class("serving-explain-realtime"),
            self.mode, self.slider, self.threshold_mark,
            widgets.HBox([self.customer_id, self.customer_value, self.serve_button],
                         layout=widgets.Layout(flex_flow="row wrap")),
            self.badge, self.latency, self.message,
            widgets.HTML("<b>Recent requests</b> (newest first)").add_class(
                "serving-section-title"),
            self.log_table,
        ], layout=widgets.Layout(flex="1 1 560px", padding="0 12px 0 0")).add_class(
            "serving-realtime")
        batch = widgets.VBox([
            widgets.HTML(
                "<h4>Batch prediction</h4>"
                "<p>The answers are computed <b>before anyone asks</b>, on a schedule (a "
                "nightly job, say), for every customer known at the time. The job stores "
                "them, with the threshold it used and when it ran, and they are read later, "
                "so nobody waits for the model. What matters here is <b>throughput</b>: many "
                "customers scored cheaply in one run. A customer who wasn't there when it ran "
                "(try 105) has no stored answer.</p>"
                "<p>Try it: press <b>Run batch</b>, then in a new cell below set "
                "<code>threshold = 0.85</code> and run it. Serve customer 102 from the "
                "stored table and live: the stored answer is stale until the job runs "
                "again.</p>"
            ).add_class("serving-explain-batch"),
            self.batch_button, self.batch_time, self.batch_message, self.stored_summary,
            self.stored_table,
        ], layout=widgets.Layout(flex="1 1 380px")).add_class("serving-batch")
        self.realtime_box, self.batch_box = realtime, batch
        return widgets.HBox([self.style_sheet, realtime, batch],
                            layout=widgets.Layout(flex_flow="row wrap", width="100%")
                            ).add_class("serving-panel")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = TEXT_FALLBACK
        return bundle

    def __repr__(self) -> str:
        return TEXT_FALLBACK

    # ---------------------------------------------------------------- requests

    def serve(self, feature: float, customer_id: int | None = None) -> LogEntry:
        """Send one real-time request (live or stored, as the toggle says), show, log it."""
        if self.mode.value == "stored":
            entry = self._serve_stored(feature, customer_id)
        else:
            entry = self._serve_live(feature, customer_id)
        self.latency.value = entry.timing_label
        self._show_badge(entry)
        self.log.insert(0, entry)
        del self.log[LOG_SIZE:]
        self.log_table.value = render_log(self.log)
        self.refresh()
        return entry

    def _entry(self, feature: float, customer_id: int | None, **facts: Any) -> LogEntry:
        return LogEntry(time=datetime.now().strftime("%H:%M:%S"),
                        source="slider" if customer_id is None else "customer",
                        customer_id=customer_id, feature=feature, **facts)

    def _serve_live(self, feature: float, customer_id: int | None) -> LogEntry:
        try:
            predict = find_predict(self._namespace_now())
            started = time.perf_counter()
            prediction = call_predict(predict, feature, self.time_limit)
            latency_ms = (time.perf_counter() - started) * 1000
        except Problem as problem:
            self.message.value = as_html(str(problem))
            return self._entry(feature, customer_id, prediction=None, latency_ms=None)
        self.message.value = ""
        return self._entry(feature, customer_id, prediction=prediction, latency_ms=latency_ms)

    def _serve_stored(self, feature: float, customer_id: int | None) -> LogEntry:
        if customer_id is None:
            self.message.value = as_html(
                "The stored table answers customers the batch job scored, by their ID; the "
                "slider is not a customer. Type a customer ID and press Serve, or switch to "
                "Live.")
            return self._entry(feature, customer_id, prediction=None, latency_ms=None,
                               answered_by="stored")
        started = time.perf_counter()
        stored = self.store.lookup(customer_id)
        latency_ms = (time.perf_counter() - started) * 1000
        if stored is None:
            self.message.value = as_html(
                f"No stored answer for customer {customer_id}: the last batch run did not "
                "score them (a new customer, or no run yet). Only live serving can answer "
                "now: switch to Live, or add them to customers and run the batch job.")
            return self._entry(feature, customer_id, prediction=None, latency_ms=latency_ms,
                               answered_by="stored")
        notes = []
        if abs(stored.feature - feature) > 1e-9:
            notes.append(f"The table scored feature {format_number(stored.feature)} at "
                         f"{stored.scored_at}; the {format_number(feature)} you typed is "
                         "newer, and only live serving can use it.")
        live = self._live_quietly(stored.feature)
        if live is not None and live != stored.churn:
            notes.append(f"Stale: live predict({format_number(stored.feature)}) now returns "
                         f"{live}. Run the batch job again to refresh the table.")
        self.message.value = as_html(" ".join(notes))
        return self._entry(feature, customer_id, prediction=stored.churn,
                           latency_ms=latency_ms, answered_by="stored", stored=stored)

    def run_batch(self) -> list[tuple[Any, float, bool]]:
        """Run the batch job: score every customer, store the answers, show the table."""
        self.batch_time.value = ""
        try:
            namespace = self._namespace_now()
            predict = find_predict(namespace)
            customers = find_customers(namespace)
            started = time.perf_counter()
            rows = score_all(predict, customers, self.time_limit)
            total_ms = (time.perf_counter() - started) * 1000
            self.store.write(rows, find_threshold(namespace))
        except Problem as problem:
            self.batch_message.value = as_html(str(problem))
            self.batch_rows = []
            self.refresh()
            return []
        except Exception as err:  # sqlite3.Error or OSError: a locked or unwritable file
            self.batch_message.value = as_html(f"The batch job could not write its table: {err}")
            return []
        self.batch_message.value = ""
        self.batch_rows = rows
        count = len(rows)
        noun = "customer" if count == 1 else "customers"
        self.batch_time.value = as_html(
            f"Scored {count} {noun} in {format_ms(total_ms)} in total — "
            f"{format_ms(total_ms / count)} per customer.")
        self.refresh()
        return rows

    def refresh(self) -> None:
        """Redraw the threshold mark and the stored table next to live predict *now*: after
        a request, a batch run, and every cell the learner runs (see `_watch_cells`)."""
        try:
            namespace = self._namespace_now()
        except Problem:
            namespace = {}
        threshold = find_threshold(namespace)
        self.threshold_mark.value = threshold_mark(threshold)
        try:
            answers = self.store.answers()
        except Exception as err:  # an unreadable file: say so, keep serving live
            self.stored_summary.value = as_html(f"The stored table can't be read: {err}")
            self.stored_table.value = ""
            return
        live, why = self._compare(answers)
        self.stored_summary.value = stored_summary(answers, live, why, self.store.path.name,
                                                   threshold)
        self.stored_table.value = render_stored(answers, live) if answers else ""

    def _compare(self, answers: list[Any]) -> tuple[dict[int, bool], str]:
        """Live predict's answer for each stored answer it could give one for, by position,
        within `REFRESH_SECONDS`; and why it stopped short ("" when it compared them all)."""
        live: dict[int, bool] = {}
        ends = time.perf_counter() + REFRESH_SECONDS
        for position, answer in enumerate(answers[:COMPARE_ROWS]):
            left = min(self.time_limit, ends - time.perf_counter())
            if left <= 0:
                return live, "live predict took too long to ask about them all"
            try:
                live[position] = call_predict(find_predict(self._namespace_now()),
                                              answer.feature, left)
            except Problem as problem:  # stop at the first: don't ask twenty times
                if time.perf_counter() >= ends and left < self.time_limit:
                    return live, "live predict took too long to ask about them all"
                return live, str(problem)
        if len(answers) > COMPARE_ROWS:
            return live, f"only the first {COMPARE_ROWS} are compared"
        return live, ""

    def _live_quietly(self, feature: float) -> bool | None:
        """Live predict's answer, or None when it gives none (the message says why elsewhere)."""
        try:
            return call_predict(find_predict(self._namespace_now()), feature, self.time_limit)
        except Problem:
            return None

    def _on_slider(self, change: Mapping[str, Any]) -> None:
        # The slider shows two decimals; serve that number, not a float-step neighbour
        # such as 0.6000000000000001, which would churn while the readout says 0.60.
        self.serve(round(float(change["new"]), 2))

    def _on_serve(self, _button: widgets.Button) -> None:
        self.serve(float(self.customer_value.value), int(self.customer_id.value))

    def _on_batch(self, _button: widgets.Button) -> None:
        self.run_batch()

    def _watch_cells(self) -> None:
        """Redraw after every cell the learner runs, so a changed `threshold` or `predict`
        shows at once, not at the next request."""
        if self._namespace is not None:
            return  # a namespace passed in: its owner says when it changes
        try:
            from IPython import get_ipython
        except ImportError:
            return
        shell = get_ipython()
        if shell is None:
            return
        _WATCHED[str(self.store.path.resolve())] = weakref.ref(self)
        if not getattr(shell, "_serving_panel_watch", False):
            shell.events.register("post_run_cell", _redraw_panels)
            shell._serving_panel_watch = True

    def _namespace_now(self) -> Mapping[str, Any]:
        if self._namespace is not None:
            return self._namespace
        from IPython import get_ipython  # already imported by ipywidgets; kept local for clarity

        shell = get_ipython()
        if shell is None:
            raise Problem("The panel needs a running notebook kernel. Outside one, pass your "
                          "variables in: serving_panel(globals()).")
        return shell.user_ns

    # --------------------------------------------------------------- rendering

    def _style_badge(self, kind: str) -> None:
        background, text = BADGE_STYLES[kind]
        self.badge.style.background = background
        self.badge.style.text_color = text
        for other in BADGE_STYLES:
            self.badge.remove_class(f"serving-badge-{other}")
        self.badge.add_class(f"serving-badge-{kind}")

    def _show_badge(self, entry: LogEntry) -> None:
        self.badge.value = entry.badge_text
        if entry.prediction is None:
            self._style_badge("none")
        else:
            self._style_badge("churn" if entry.prediction else "stays")


# The newest panel over each stored table (re-running the panel's cell replaces it).
_WATCHED: dict[str, weakref.ref[ServingPanel]] = {}


def _redraw_panels(_result: Any = None) -> None:
    """IPython's `post_run_cell`: redraw every watched panel; never disturb the cell."""
    for key, ref in list(_WATCHED.items()):
        panel = ref()
        if panel is None:
            del _WATCHED[key]
            continue
        try:
            panel.refresh()
        except Exception:  # a panel that can't redraw must not turn into a cell's error
            continue


def serving_panel(namespace: Mapping[str, Any] | None = None, *,
                  time_limit: float = DEFAULT_TIME_LIMIT,
                  store: str | Path = DEFAULT_FILE) -> ServingPanel:
    """Build the live serving panel over the notebook's ``predict`` and ``customers``.

    ``namespace`` defaults to the running kernel's user namespace, looked up at each
    request, so the panel always serves the learner's latest ``predict``. ``store`` is the
    SQLite file the batch job writes (beside the notebook by default).
    """
    return ServingPanel(namespace, time_limit=time_limit, store=store)
