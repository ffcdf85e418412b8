"""The live serving panel of step 4: the learner's own ``predict``, served two ways.

Step 4 prints one batch list and one real-time answer. Printing shows *what* the two give
back; the panel lets a learner *feel* the difference: move a slider or type a customer and
one request goes to ``predict`` at once (real time, where latency matters); press one button
and every customer in ``customers`` is scored together (batch, where throughput matters).

The panel reads ``predict`` and ``customers`` from the notebook's namespace at every request,
never once at creation, so a learner who fixes ``predict`` and re-runs the cell sees the
panel recover without rebuilding it. Whatever the learner's code does (missing, raising,
returning something odd, looping forever) the panel answers with plain words, never a
traceback: it is a teaching tool, and a traceback in a widget callback is invisible anyway
(JupyterLab sends it to the log console).

Usage in a notebook::

    from churn_course.serving_panel import serving_panel
    serving_panel()
"""

from __future__ import annotations

import contextlib
import html
import io
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from numbers import Real
from typing import Any

import ipywidgets as widgets

from grader.deadline import TimeUp, time_limit

__all__ = ["LogEntry", "ServingPanel", "serving_panel", "TEXT_FALLBACK"]

#: What a front end without widgets shows (and what nbval compares): no timings, no ids.
TEXT_FALLBACK = (
    "Live serving panel: serve your predict function one request at a time (real time) "
    "or score every customer in `customers` at once (batch). "
    "It needs a live Jupyter kernel with ipywidgets to show."
)

#: How many requests the log keeps: enough to compare a few, few enough to read at a glance.
LOG_SIZE = 10
#: How many batch rows the table shows; a learner may build a long list, a page must stay short.
BATCH_ROWS_SHOWN = 20
#: Seconds one real-time request (or one whole batch) may take before it is stopped.
DEFAULT_TIME_LIMIT = 1.0

_WAITING = "No request yet: move the slider or press Serve."

# The panel's own look, scoped to its classes so nothing else on the page changes. ipywidgets
# gives HTML widgets and labels one 28 px line (to line up with inputs), which double-spaces
# a paragraph; tables come with no cell padding at all. One hidden widget carries this sheet.
_PANEL_CSS = """
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
.serving-panel table.serving-table th { border-bottom: 2px solid #c8c8c8; font-weight: 600; }
.serving-panel .serving-section-title { margin-top: 8px; }
"""

# Colours come with an icon and words, so colour is never the only signal.
_BADGE_STYLES = {
    "churn": ("#fde2e1", "#8a1c14"),
    "stays": ("#dff3e3", "#1d5e2c"),
    "none": ("#eeeeee", "#333333"),
}


class _Problem(Exception):
    """A learner-facing explanation of why a request got no prediction."""


@dataclass(frozen=True)
class LogEntry:
    """One request as the learner saw it; kept so the log and tests read the same facts."""

    time: str
    source: str  # "slider" or "customer"
    customer_id: int | None
    feature: float
    prediction: bool | None
    latency_ms: float | None

    @property
    def input_text(self) -> str:
        """The request in words, the way the log's Input column shows it."""
        if self.customer_id is None:
            return f"slider: feature {_format_number(self.feature)}"
        return f"customer {self.customer_id}: feature {_format_number(self.feature)}"

    @property
    def prediction_text(self) -> str:
        """The answer in words; a failed request says so rather than leaving a blank."""
        if self.prediction is None:
            return "no prediction"
        return "⚠ Churn (True)" if self.prediction else "✓ Stays (False)"

    @property
    def badge_text(self) -> str:
        """The badge for this request: the answer, and which request it answers.

        The slider and the customer form share one badge, so it names the call and where
        it came from: "⚠ Churn — predict(0.7) returned True (customer 105)".
        """
        call = f"predict({_format_number(self.feature)})"
        source = "slider" if self.customer_id is None else f"customer {self.customer_id}"
        if self.prediction is None:
            return f"? No prediction — {call} gave no answer ({source}); see the message below"
        if self.prediction:
            return f"⚠ Churn — {call} returned True ({source})"
        return f"✓ Stays — {call} returned False ({source})"

    @property
    def latency_text(self) -> str:
        """The latency of this one call, or a dash when the call gave no answer."""
        return "—" if self.latency_ms is None else _format_ms(self.latency_ms)


def _format_number(value: float) -> str:
    """Show a feature the way the learner typed it (0.7, not 0.7000000000000001)."""
    return format(value, ".6g")


def _format_ms(ms: float) -> str:
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


def _describe(value: Any) -> str:
    """A short, safe description of a learner value: its repr (cut short) and its type."""
    try:
        text = repr(value)
    except Exception:  # a learner class with a broken __repr__ must not break the panel
        text = "<a value that cannot be shown>"
    if len(text) > 60:
        text = text[:57] + "..."
    name = type(value).__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    return f"{text} ({article} {name})"


def _hint_for(error: BaseException) -> str:
    """One hint aimed at the usual reason for each kind of error in a step 3 ``predict``."""
    if isinstance(error, SystemExit):
        return "predict must not stop the program (sys.exit): return True or False instead."
    if isinstance(error, NameError):
        return "A name used inside predict is not defined: did you run the step 2 cell (threshold)?"
    if isinstance(error, TypeError):
        return "predict is called with one number, like predict(0.7): check its parameters."
    return "Run predict(0.7) in a cell of its own to see what goes wrong."


class ServingPanel:
    """The step 4 panel: real-time requests on one side, a batch run on the other.

    Every widget is an attribute, so tests (and curious learners) can drive it from Python:
    set ``slider.value``, call ``serve_button.click()`` or ``batch_button.click()``, then
    read ``badge.value``, ``latency.value``, ``message.value``, ``log`` and ``batch_rows``.
    """

    def __init__(
        self,
        namespace: Mapping[str, Any] | None = None,
        *,
        time_limit: float = DEFAULT_TIME_LIMIT,
    ) -> None:
        self._namespace = namespace
        if not (isinstance(time_limit, Real) and math.isfinite(time_limit) and time_limit > 0):
            raise ValueError(f"time_limit must be a positive number of seconds, got "
                             f"{time_limit!r}")
        self.time_limit = float(time_limit)
        self.log: list[LogEntry] = []
        self.batch_rows: list[tuple[Any, float, bool]] = []

        self.slider = widgets.FloatSlider(
            value=0.5,
            min=0.0,
            max=1.0,
            step=0.01,
            description="Feature value",
            style={"description_width": "initial"},
            readout_format=".2f",
            # One request per settled value: a drag would otherwise flood the log.
            continuous_update=False,
        )
        self.customer_id = widgets.IntText(
            value=105,
            description="Customer ID",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="160px"),
        )
        self.customer_value = widgets.FloatText(
            value=0.7,
            description="Customer's feature value",
            step=0.01,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="240px"),
        )
        self.serve_button = widgets.Button(
            description="Serve",
            button_style="primary",
            tooltip="Send one real-time request for this customer",
            layout=widgets.Layout(width="90px"),
        )
        self.badge = widgets.Label(value=_WAITING)
        self.latency = widgets.Label(value="")
        # HTML, not Label: a Label cuts long text with "...", and messages must be read whole.
        self.message = widgets.HTML(value="")
        self.log_table = widgets.HTML(value=self._render_log())

        self.batch_button = widgets.Button(
            description="Run batch", button_style="info", tooltip="Score every customer at once"
        )
        self.batch_time = widgets.HTML(value="")
        self.batch_message = widgets.HTML(value="")
        self.batch_table = widgets.HTML(value="")

        self._style_badge("none")
        self.badge.layout.padding = "5px 10px"
        self.badge.style.font_weight = "bold"
        for box in (self.message, self.batch_message):
            box.style.text_color = "#8a1c14"

        for widget, css_class in (
            (self.slider, "serving-slider"),
            (self.customer_id, "serving-customer-id"),
            (self.customer_value, "serving-customer-value"),
            (self.serve_button, "serving-serve-button"),
            (self.badge, "serving-badge"),
            (self.latency, "serving-latency"),
            (self.message, "serving-message"),
            (self.message, "serving-realtime-message"),
            (self.log_table, "serving-log"),
            (self.batch_button, "serving-batch-button"),
            (self.batch_time, "serving-batch-time"),
            (self.batch_message, "serving-message"),
            (self.batch_message, "serving-batch-message"),
            (self.batch_table, "serving-batch-table"),
        ):
            widget.add_class(css_class)

        self.slider.observe(self._on_slider, names="value")
        self.serve_button.on_click(self._on_serve)
        self.batch_button.on_click(self._on_batch)

        self.widget = self._layout()

    # ----------------------------------------------------------------- display

    def _layout(self) -> widgets.Widget:
        # display: none hides the widget's box, not the sheet: a <style> applies wherever it is.
        self.style_sheet = widgets.HTML(
            f"<style>{_PANEL_CSS}</style>", layout=widgets.Layout(display="none")
        ).add_class("serving-style")
        realtime = widgets.VBox(
            [
                widgets.HTML(
                    "<h4>Real-time serving</h4>"
                    "<p>One customer, the moment they interact with the app (opening it, "
                    "calling support). Each change below is <b>one request</b> to your "
                    "<code>predict</code>, answered at once. What matters here is "
                    "<b>latency</b>: how long one answer takes.</p>"
                ).add_class("serving-explain-realtime"),
                self.slider,
                widgets.HBox(
                    [self.customer_id, self.customer_value, self.serve_button],
                    layout=widgets.Layout(flex_flow="row wrap"),
                ),
                self.badge,
                self.latency,
                self.message,
                widgets.HTML("<b>Recent requests</b> (newest first)").add_class(
                    "serving-section-title"
                ),
                self.log_table,
            ],
            layout=widgets.Layout(flex="1 1 420px", padding="0 12px 0 0"),
        ).add_class("serving-realtime")
        batch = widgets.VBox(
            [
                widgets.HTML(
                    "<h4>Batch prediction</h4>"
                    "<p>Every customer at once, on a schedule (a nightly job, say). The "
                    "results are stored and read later, so nobody waits for one answer. "
                    "What matters here is <b>throughput</b>: many customers scored cheaply "
                    "in one run.</p>"
                ).add_class("serving-explain-batch"),
                self.batch_button,
                self.batch_time,
                self.batch_message,
                self.batch_table,
            ],
            layout=widgets.Layout(flex="1 1 320px"),
        ).add_class("serving-batch")
        self.realtime_box, self.batch_box = realtime, batch
        return widgets.HBox(
            [self.style_sheet, realtime, batch],
            layout=widgets.Layout(flex_flow="row wrap", width="100%"),
        ).add_class("serving-panel")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = TEXT_FALLBACK
        return bundle

    def __repr__(self) -> str:
        return TEXT_FALLBACK

    # ---------------------------------------------------------------- requests

    def serve(self, feature: float, customer_id: int | None = None) -> LogEntry:
        """Send one real-time request, update what the learner sees, and log it."""
        source = "slider" if customer_id is None else "customer"
        prediction: bool | None = None
        latency_ms: float | None = None
        try:
            predict = self._lookup_predict()
            started = time.perf_counter()
            result = self._call(predict, feature)
            latency_ms = (time.perf_counter() - started) * 1000
            prediction = result
        except _Problem as problem:
            self.latency.value = ""
            self.message.value = _as_html(str(problem))
        else:
            self.latency.value = f"Latency: {_format_ms(latency_ms)}"
            self.message.value = ""
        entry = LogEntry(
            time=datetime.now().strftime("%H:%M:%S"),
            source=source,
            customer_id=customer_id,
            feature=feature,
            prediction=prediction,
            latency_ms=latency_ms,
        )
        self._show_badge(entry)
        self.log.insert(0, entry)
        del self.log[LOG_SIZE:]
        self.log_table.value = self._render_log()
        return entry

    def run_batch(self) -> list[tuple[Any, float, bool]]:
        """Score every customer in one run and show the table; return its rows."""
        self.batch_rows = []
        self.batch_table.value = ""
        self.batch_time.value = ""
        try:
            predict = self._lookup_predict()
            customers = self._lookup_customers()
            started = time.perf_counter()
            rows = self._score_all(predict, customers)
            total_ms = (time.perf_counter() - started) * 1000
        except _Problem as problem:
            self.batch_message.value = _as_html(str(problem))
            return []
        self.batch_message.value = ""
        self.batch_rows = rows
        count = len(rows)
        noun = "customer" if count == 1 else "customers"
        self.batch_time.value = _as_html(
            f"Scored {count} {noun} in {_format_ms(total_ms)} in total — "
            f"{_format_ms(total_ms / count)} per customer."
        )
        self.batch_table.value = self._render_batch(rows)
        return rows

    def _on_slider(self, change: Mapping[str, Any]) -> None:
        # The slider shows two decimals; serve that number, not a float-step neighbour
        # such as 0.6000000000000001, which would churn while the readout says 0.60.
        self.serve(round(float(change["new"]), 2))

    def _on_serve(self, _button: widgets.Button) -> None:
        self.serve(float(self.customer_value.value), int(self.customer_id.value))

    def _on_batch(self, _button: widgets.Button) -> None:
        self.run_batch()

    # ------------------------------------------------------------ learner code

    def _namespace_now(self) -> Mapping[str, Any]:
        if self._namespace is not None:
            return self._namespace
        from IPython import get_ipython  # already imported by ipywidgets; kept local for clarity

        shell = get_ipython()
        if shell is None:
            raise _Problem(
                "The panel needs a running notebook kernel. Outside one, pass your "
                "variables in: serving_panel(globals())."
            )
        return shell.user_ns

    def _lookup_predict(self) -> Callable[[float], Any]:
        namespace = self._namespace_now()
        if "predict" not in namespace:
            raise _Problem(
                "predict is not defined yet. Run the step 3 cell with "
                "`def predict(feature):` first, then try again."
            )
        predict = namespace["predict"]
        if not callable(predict):
            raise _Problem(
                f"predict is {_describe(predict)}, not a function. Define it with "
                "`def predict(feature):` and run that cell again."
            )
        return predict

    def _lookup_customers(self) -> list[tuple[Any, float]]:
        namespace = self._namespace_now()
        if "customers" not in namespace:
            raise _Problem(
                "customers is not defined yet. Run the step 1 cell that creates the list "
                "of (ID, feature value) tuples."
            )
        customers = namespace["customers"]
        if not isinstance(customers, (list, tuple)):
            raise _Problem(
                f"customers is {_describe(customers)}. The batch expects a list of "
                "(ID, feature value) tuples, like [(101, 0.2), (102, 0.8)]."
            )
        if not customers:
            raise _Problem("customers is empty, so there is nobody to score in a batch.")
        pairs: list[tuple[Any, float]] = []
        for position, entry in enumerate(customers, start=1):
            if not isinstance(entry, (list, tuple)) or len(entry) != 2:
                raise _Problem(
                    f"Entry {position} of customers is {_describe(entry)}. Each entry "
                    "should be one (ID, feature value) tuple, like (101, 0.2)."
                )
            customer_id, value = entry
            if isinstance(value, bool) or not isinstance(value, Real):
                raise _Problem(
                    f"The feature value of entry {position} of customers is "
                    f"{_describe(value)}, not a number. Write it without quotes, like 0.2."
                )
            if (
                isinstance(customer_id, float)
                and 0 <= customer_id <= 1
                and isinstance(value, int)
                and value > 1
            ):
                raise _Problem(
                    f"Entry {position} of customers, {entry!r}, looks swapped: put the ID "
                    "first and the feature value second, like (101, 0.2)."
                )
            pairs.append((customer_id, float(value)))
        return pairs

    def _call(self, predict: Callable[[float], Any], feature: float) -> bool:
        """Call ``predict`` once under a time limit and turn any misbehaviour into words."""
        printed = io.StringIO()
        try:
            with time_limit(self.time_limit), contextlib.redirect_stdout(printed):
                result = predict(feature)
        except TimeUp:
            raise _Problem(
                f"predict({_format_number(feature)}) took longer than "
                f"{self.time_limit:g} s and was stopped. Does it loop forever?"
            ) from None
        except (Exception, SystemExit) as error:  # learner code may raise anything
            raise _Problem(
                f"predict({_format_number(feature)}) raised {type(error).__name__}: "
                f"{_short(error)}. {_hint_for(error)}"
            ) from None
        return self._check_result(result, feature, printed.getvalue())

    def _check_result(self, result: Any, feature: float, printed: str) -> bool:
        if isinstance(result, bool):
            return result
        call = f"predict({_format_number(feature)})"
        if result is None and printed.strip():
            first_line = printed.strip().splitlines()[0][:40]
            raise _Problem(
                f"{call} printed {first_line!r} but returned None. "
                "Use `return` instead of print, e.g. `return feature > threshold`."
            )
        if result is None:
            raise _Problem(
                f"{call} returned None. Did it forget `return`? E.g. `return feature > threshold`."
            )
        raise _Problem(
            f"{call} returned {_describe(result)} instead of True or False. Return the "
            "comparison itself, `return feature > threshold`, which is already a bool."
        )

    def _score_all(
        self, predict: Callable[[float], Any], customers: list[tuple[Any, float]]
    ) -> list[tuple[Any, float, bool]]:
        """Score the whole list under one time limit, like one batch job.

        One guard around the loop, not one per call: its few microseconds of signal set-up
        would otherwise swamp the per-customer time that batch is meant to show off.
        """
        printed = io.StringIO()
        results: list[Any] = []
        current = customers[0]
        try:
            with time_limit(self.time_limit), contextlib.redirect_stdout(printed):
                for current in customers:
                    results.append(predict(current[1]))
        except TimeUp:
            raise _Problem(
                f"The batch took longer than {self.time_limit:g} s and was stopped "
                f"(at customer {current[0]!r}). Does predict loop forever?"
            ) from None
        except (Exception, SystemExit) as error:  # learner code may raise anything
            raise _Problem(
                f"The batch stopped at customer {current[0]!r}: "
                f"predict({_format_number(current[1])}) raised {type(error).__name__}: "
                f"{_short(error)}. {_hint_for(error)}"
            ) from None
        rows = []
        for (customer_id, value), result in zip(customers, results, strict=True):
            try:
                prediction = self._check_result(result, value, printed.getvalue())
            except _Problem as problem:
                raise _Problem(f"At customer {customer_id!r}: {problem}") from None
            rows.append((customer_id, value, prediction))
        return rows

    # --------------------------------------------------------------- rendering

    def _style_badge(self, kind: str) -> None:
        background, text = _BADGE_STYLES[kind]
        self.badge.style.background = background
        self.badge.style.text_color = text
        for other in _BADGE_STYLES:
            self.badge.remove_class(f"serving-badge-{other}")
        self.badge.add_class(f"serving-badge-{kind}")

    def _show_badge(self, entry: LogEntry) -> None:
        self.badge.value = entry.badge_text
        if entry.prediction is None:
            self._style_badge("none")
        else:
            self._style_badge("churn" if entry.prediction else "stays")

    def _render_log(self) -> str:
        if not self.log:
            return "<p><i>No requests yet.</i></p>"
        rows = "".join(
            "<tr>"
            f"<td>{html.escape(entry.time)}</td>"
            f"<td>{html.escape(entry.input_text)}</td>"
            f"<td>{html.escape(entry.prediction_text)}</td>"
            f"<td>{html.escape(entry.latency_text)}</td>"
            "</tr>"
            for entry in self.log
        )
        return (
            '<table class="serving-table"><thead><tr>'
            "<th>Time</th><th>Input</th><th>Prediction</th><th>Latency</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
        )

    def _render_batch(self, rows: list[tuple[Any, float, bool]]) -> str:
        shown = rows[:BATCH_ROWS_SHOWN]
        body = "".join(
            "<tr>"
            f"<td>{html.escape(str(customer_id))}</td>"
            f"<td>{html.escape(_format_number(value))}</td>"
            f"<td>{'⚠ Churn (True)' if prediction else '✓ Stays (False)'}</td>"
            "</tr>"
            for customer_id, value, prediction in shown
        )
        more = ""
        if len(rows) > len(shown):
            more = f"<p>… and {len(rows) - len(shown)} more customers.</p>"
        return (
            '<table class="serving-table"><thead><tr><th>Customer ID</th>'
            "<th>Feature value</th><th>Prediction</th>"
            f"</tr></thead><tbody>{body}</tbody></table>{more}"
        )


def _as_html(text: str) -> str:
    """Plain words for an HTML widget: escaped, since messages quote learner values."""
    return html.escape(text, quote=False)


def _short(error: BaseException) -> str:
    """The first line of an error message, cut short so the panel stays tidy."""
    try:
        message = str(error).strip()
    except Exception:  # a learner exception with a broken __str__
        message = ""
    text = message.splitlines()[0] if message else "(no message)"
    return text if len(text) <= 120 else text[:117] + "..."


def serving_panel(
    namespace: Mapping[str, Any] | None = None, *, time_limit: float = DEFAULT_TIME_LIMIT
) -> ServingPanel:
    """Build the live serving panel over the notebook's ``predict`` and ``customers``.

    ``namespace`` defaults to the running kernel's user namespace, looked up at each
    request, so the panel always serves the learner's latest ``predict``.
    """
    return ServingPanel(namespace, time_limit=time_limit)
