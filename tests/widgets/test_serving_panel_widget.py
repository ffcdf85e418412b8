"""The step 4 serving panel, driven as a learner drives it: slider, form, buttons."""

from __future__ import annotations

import re
import signal
from typing import Any

import pytest
from widget_text import css_declarations, css_selectors, shown, table_headers

from churn_course.serving_panel import LOG_SIZE, TEXT_FALLBACK, ServingPanel, serving_panel

# The badge names the request it answers: the slider and the form share it.
CHURN_105 = "⚠ Churn — predict(0.7) returned True (customer 105)"
NO_ANSWER_105 = (
    "? No prediction — predict(0.7) gave no answer (customer 105); see the message below"
)
LATENCY = re.compile(r"^Time inside predict: (<0\.001 ms|\d+(\.\d+)? (ms|s))$")


def badge_kind(panel: ServingPanel) -> str:
    kinds = [c for c in panel.badge._dom_classes if c.startswith("serving-badge-")]
    assert len(kinds) == 1, kinds
    return kinds[0].removeprefix("serving-badge-")


@pytest.mark.parametrize(
    ("feature", "badge", "kind"),
    [
        (0.59, "✓ Stays — predict(0.59) returned False (slider)", "stays"),
        (0.6, "✓ Stays — predict(0.6) returned False (slider)", "stays"),
        (0.61, "⚠ Churn — predict(0.61) returned True (slider)", "churn"),
    ],
)
def test_slider_serves_one_request_around_the_threshold(
    solved_namespace: dict[str, Any], feature: float, badge: str, kind: str
) -> None:
    panel = serving_panel(solved_namespace)
    panel.slider.value = feature
    assert panel.badge.value == badge
    assert badge_kind(panel) == kind
    assert LATENCY.match(panel.latency.value), panel.latency.value
    assert shown(panel.message) == ""
    assert len(panel.log) == 1
    assert panel.log[0].input_text == f"slider: feature {feature:g}"


def test_slider_serves_the_value_its_readout_shows(solved_namespace: dict[str, Any]) -> None:
    # A browser slider stepping by 0.01 can land on 0.6000000000000001; the readout says
    # 0.60, so the learner must see "Stays", as predict(0.6) gives.
    panel = serving_panel(solved_namespace)
    panel.slider.value = 0.6000000000000001
    assert panel.badge.value == "✓ Stays — predict(0.6) returned False (slider)"


def test_customer_form_defaults_reproduce_step_4(solved_namespace: dict[str, Any]) -> None:
    panel = serving_panel(solved_namespace)
    assert (panel.customer_id.value, panel.customer_value.value) == (105, 0.7)
    panel.serve_button.click()
    assert panel.badge.value == CHURN_105
    assert LATENCY.match(panel.latency.value)
    entry = panel.log[0]
    assert entry.input_text == "customer 105: feature 0.7"
    assert entry.prediction is True


def test_customer_form_serves_what_is_typed(solved_namespace: dict[str, Any]) -> None:
    panel = serving_panel(solved_namespace)
    panel.customer_id.value = 103
    panel.customer_value.value = 0.5
    panel.serve_button.click()
    assert panel.badge.value == "✓ Stays — predict(0.5) returned False (customer 103)"
    assert panel.log[0].input_text == "customer 103: feature 0.5"


def test_batch_scores_every_customer_in_a_table(
    solved_namespace: dict[str, Any], read_table
) -> None:
    panel = serving_panel(solved_namespace)
    panel.batch_button.click()
    assert read_table(panel.batch_table.value) == [
        ["101", "0.2", "✓ Stays (False)", "same"],
        ["102", "0.8", "⚠ Churn (True)", "same"],
        ["103", "0.5", "✓ Stays (False)", "same"],
        ["104", "0.9", "⚠ Churn (True)", "same"],
    ]
    assert panel.batch_rows == [
        (101, 0.2, False),
        (102, 0.8, True),
        (103, 0.5, False),
        (104, 0.9, True),
    ]
    assert re.fullmatch(
        r"Scored 4 customers in .+ in total — .+ per customer\.", shown(panel.batch_time)
    )
    assert shown(panel.batch_message) == ""


def test_batch_uses_the_customers_of_the_moment(solved_namespace: dict[str, Any], read_table):
    panel = serving_panel(solved_namespace)
    solved_namespace["customers"] = [(201, 0.95)]
    panel.batch_button.click()
    assert read_table(panel.batch_table.value) == [["201", "0.95", "⚠ Churn (True)", "same"]]
    assert shown(panel.batch_time).startswith("Scored 1 customer in ")


def test_log_lists_recent_requests_newest_first(
    solved_namespace: dict[str, Any], read_table
) -> None:
    panel = serving_panel(solved_namespace)
    values = [round(0.3 + 0.03 * i, 2) for i in range(LOG_SIZE + 2)]
    for value in values:
        panel.slider.value = value
    panel.serve_button.click()
    rows = read_table(panel.log_table.value)
    assert len(rows) == len(panel.log) == LOG_SIZE
    assert rows[0][1:4] == ["customer 105: feature 0.7", "live", "⚠ Churn (True)"]
    assert [row[1] for row in rows[1:]] == [
        f"slider: feature {value:g}" for value in reversed(values[-(LOG_SIZE - 1) :])
    ]
    for time_text, _input, _answered_by, _prediction, latency in rows:
        assert re.fullmatch(r"\d\d:\d\d:\d\d", time_text)
        assert latency.endswith(("ms", " s"))


def assert_no_prediction(panel: ServingPanel, *words: str, badge: str = NO_ANSWER_105) -> None:
    assert panel.badge.value == badge
    assert badge_kind(panel) == "none"
    assert panel.latency.value == ""
    for word in words:
        assert word in shown(panel.message), shown(panel.message)
    assert "Traceback" not in shown(panel.message)
    assert panel.log[0].prediction is None
    assert panel.log[0].prediction_text == "no prediction"


def test_missing_predict_is_explained(solved_namespace: dict[str, Any]) -> None:
    del solved_namespace["predict"]
    panel = serving_panel(solved_namespace)
    panel.serve_button.click()
    assert_no_prediction(panel, "predict is not defined yet")
    panel.batch_button.click()
    assert "predict is not defined yet" in shown(panel.batch_message)
    assert panel.batch_table.value == ""


def test_predict_that_is_not_a_function(solved_namespace: dict[str, Any]) -> None:
    solved_namespace["predict"] = 0.7
    panel = serving_panel(solved_namespace)
    panel.serve_button.click()
    assert_no_prediction(panel, "predict is 0.7 (a float), not a function")


def test_raising_predict_is_explained(solved_namespace: dict[str, Any], learner_code) -> None:
    learner_code("def predict(feature):\n    return feature / 0 > threshold\n", solved_namespace)
    panel = serving_panel(solved_namespace)
    panel.slider.value = 0.61
    assert_no_prediction(
        panel,
        "predict(0.61) raised ZeroDivisionError",
        badge="? No prediction — predict(0.61) gave no answer (slider); see the message below",
    )


def test_predict_calling_sys_exit_is_explained(solved_namespace: dict[str, Any],
                                               learner_code) -> None:
    learner_code("import sys\ndef predict(feature):\n    sys.exit(1)\n", solved_namespace)
    panel = serving_panel(solved_namespace)
    panel.slider.value = 0.61
    assert_no_prediction(panel, "predict must not stop the program (sys.exit)",
                         badge="? No prediction — predict(0.61) gave no answer (slider); see "
                               "the message below")
    panel.batch_button.click()
    assert "sys.exit" in shown(panel.batch_message)


def test_a_bad_time_limit_is_refused_up_front(solved_namespace: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="positive number of seconds"):
        ServingPanel(solved_namespace, time_limit=-1)


def test_predict_expecting_a_tuple_gets_a_parameter_hint(
    solved_namespace: dict[str, Any], learner_code
) -> None:
    learner_code("def predict(customer):\n    return customer[1] > threshold\n", solved_namespace)
    panel = serving_panel(solved_namespace)
    panel.serve_button.click()
    assert_no_prediction(panel, "raised TypeError", "called with one number")


@pytest.mark.parametrize(
    ("body", "words", "batch_words"),
    [
        (
            "return 1 if feature > threshold else 0",
            "predict(0.7) returned 1 (an int) instead of True or False",
            "predict(0.2) returned 0 (an int) instead of True or False",
        ),
        (
            "return 'True' if feature > threshold else 'False'",
            "predict(0.7) returned 'True' (a str)",
            "predict(0.2) returned 'False' (a str)",
        ),
        (
            "feature > threshold",
            "predict(0.7) returned None. Did it forget `return`?",
            "predict(0.2) returned None. Did it forget `return`?",
        ),
        (
            "print(feature > threshold)",
            "predict(0.7) printed 'True' but returned None",
            "predict(0.2) printed 'False' but returned None",
        ),
    ],
)
def test_predict_returning_a_non_bool_is_explained(
    solved_namespace: dict[str, Any], learner_code, body: str, words: str, batch_words: str
) -> None:
    learner_code(f"def predict(feature):\n    {body}\n", solved_namespace)
    panel = serving_panel(solved_namespace)
    panel.serve_button.click()
    assert_no_prediction(panel, words)
    panel.batch_button.click()
    assert shown(panel.batch_message).startswith(f"At customer 101: {batch_words}")
    assert panel.batch_rows == [] and panel.batch_table.value == ""


# Each runaway is bounded (about 5 s), so a broken guard fails the test instead of hanging it.
@pytest.mark.parametrize(
    "body",
    [
        "import time\n    end = time.monotonic() + 5\n    while time.monotonic() < end:\n"
        "        pass\n    return True",
        "import time\n    time.sleep(5)\n    return True",
        # A learner's catch-all must not swallow the panel's time limit.
        "import time\n    for _ in range(100):\n        try:\n            time.sleep(0.05)\n"
        "        except Exception:\n            pass\n    return True",
    ],
    ids=["busy-loop", "sleep", "catch-all"],
)
def test_slow_predict_is_stopped(solved_namespace: dict[str, Any], learner_code, body) -> None:
    learner_code(f"def predict(feature):\n    {body}\n", solved_namespace)
    panel = serving_panel(solved_namespace, time_limit=0.2)
    panel.serve_button.click()
    assert_no_prediction(panel, "took longer than 0.2 s and was stopped")
    panel.batch_button.click()
    assert "The batch took longer than 0.2 s and was stopped" in shown(panel.batch_message)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_panel_leaves_an_outer_timer_alone(solved_namespace: dict[str, Any]) -> None:
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 60)
        panel = serving_panel(solved_namespace)
        panel.serve_button.click()
        assert panel.badge.value == CHURN_105
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 0
        assert signal.getsignal(signal.SIGALRM) is not previous
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert fired == []


def test_panel_recovers_when_predict_is_fixed(
    solved_namespace: dict[str, Any], learner_code, read_table
) -> None:
    learner_code("def predict(feature):\n    feature > threshold\n", solved_namespace)
    panel = serving_panel(solved_namespace)
    panel.serve_button.click()
    panel.batch_button.click()
    assert shown(panel.message) and shown(panel.batch_message)

    learner_code("def predict(feature):\n    return feature > threshold\n", solved_namespace)
    panel.serve_button.click()
    panel.batch_button.click()
    assert panel.badge.value == CHURN_105
    assert badge_kind(panel) == "churn"
    assert shown(panel.message) == "" and shown(panel.batch_message) == ""
    assert len(read_table(panel.batch_table.value)) == 4
    assert [entry.prediction for entry in panel.log] == [True, None]


def test_panel_follows_a_changed_threshold(solved_namespace: dict[str, Any]) -> None:
    panel = serving_panel(solved_namespace)
    panel.serve_button.click()
    assert panel.badge.value == CHURN_105
    solved_namespace["threshold"] = 0.8
    panel.serve_button.click()
    assert panel.badge.value == "✓ Stays — predict(0.7) returned False (customer 105)"


@pytest.mark.parametrize(
    ("customers", "words"),
    [
        (None, "customers is not defined yet"),
        ({101: 0.2, 102: 0.8}, "customers is {101: 0.2, 102: 0.8} (a dict)"),
        ("101, 0.2", "(a str). The batch expects a list of (ID, feature value) tuples"),
        ([], "customers is empty"),
        ([(101, 0.2), 102], "Entry 2 of customers is 102 (an int)"),
        ([(101, "0.2")], "entry 1 of customers is '0.2' (a str), not a number"),
        ([(0.2, 101)], "looks swapped: put the ID first"),
    ],
)
def test_odd_customers_are_explained(
    solved_namespace: dict[str, Any], customers: Any, words: str
) -> None:
    if customers is None:
        del solved_namespace["customers"]
    else:
        solved_namespace["customers"] = customers
    panel = serving_panel(solved_namespace)
    panel.batch_button.click()
    assert words in shown(panel.batch_message), shown(panel.batch_message)
    assert panel.batch_table.value == "" and panel.batch_rows == []
    assert shown(panel.batch_time) == ""


def test_batch_failure_names_the_customer(solved_namespace: dict[str, Any], learner_code):
    learner_code(
        "def predict(feature):\n"
        "    if feature == 0.5:\n"
        "        raise ValueError('bad value')\n"
        "    return feature > threshold\n",
        solved_namespace,
    )
    panel = serving_panel(solved_namespace)
    panel.batch_button.click()
    assert shown(panel.batch_message).startswith(
        "The batch stopped at customer 103: predict(0.5) raised ValueError: bad value."
    )


def test_panel_reads_the_kernel_namespace_by_default() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    try:
        panel = serving_panel()
        panel.serve_button.click()
        assert "needs a running notebook kernel" in shown(panel.message)

        shell = InteractiveShell.instance()
        shell.run_cell("threshold = 0.6\ndef predict(feature):\n    return feature > threshold\n")
        panel.serve_button.click()
        assert panel.badge.value == CHURN_105
    finally:
        InteractiveShell.clear_instance()


def test_text_fallback_is_plain_and_stable(solved_namespace: dict[str, Any]) -> None:
    first, second = serving_panel(solved_namespace), serving_panel(solved_namespace)
    second.serve_button.click()
    bundles = [first._repr_mimebundle_(), second._repr_mimebundle_()]
    assert bundles[0]["text/plain"] == bundles[1]["text/plain"] == TEXT_FALLBACK == repr(first)
    assert TEXT_FALLBACK.startswith("Live serving panel: ")
    assert not re.search(r"\d", TEXT_FALLBACK)
    views = [b["application/vnd.jupyter.widget-view+json"]["model_id"] for b in bundles]
    assert views == [first.widget.model_id, second.widget.model_id]


def test_the_panel_says_the_modes_differ_in_when_not_how_many(
    solved_namespace: dict[str, Any],
) -> None:
    """Batch and real time both score one customer or many: the panel's texts say when each
    answer is computed (issue 20), and point at the customer a batch table has no answer for."""
    panel = serving_panel(solved_namespace)
    realtime = panel.realtime_box.children[0].value
    batch = panel.batch_box.children[0].value
    assert "when the request arrives" in realtime
    assert "before anyone asks" in batch and "try 105" in batch
    assert "when it arrives" in TEXT_FALLBACK and "ahead of time" in TEXT_FALLBACK
    for text in (realtime, batch, TEXT_FALLBACK):
        assert not re.search(r"One customer|Every customer at once|one request at a time", text)


def test_widgets_carry_the_classes_browser_tests_select_on(
    solved_namespace: dict[str, Any],
) -> None:
    panel = serving_panel(solved_namespace)
    expected = {
        "slider": "serving-slider",
        "customer_id": "serving-customer-id",
        "customer_value": "serving-customer-value",
        "serve_button": "serving-serve-button",
        "badge": "serving-badge",
        "latency": "serving-latency",
        "message": "serving-message",
        "log_table": "serving-log",
        "batch_button": "serving-batch-button",
        "batch_time": "serving-batch-time",
        "batch_message": "serving-batch-message",
        "batch_table": "serving-batch-table",
    }
    for attribute, css_class in expected.items():
        assert css_class in getattr(panel, attribute)._dom_classes, attribute
    assert "serving-panel" in panel.widget._dom_classes


def test_panel_explains_batch_and_real_time(solved_namespace: dict[str, Any], read_text):
    panel = serving_panel(solved_namespace)
    realtime, batch = panel.realtime_box, panel.batch_box
    assert [c for c in panel.widget.children if c not in (realtime, batch)] == [panel.style_sheet]
    realtime_words = read_text(realtime.children[0].value)
    batch_words = read_text(batch.children[0].value)
    assert "Real-time serving" in realtime_words and "latency" in realtime_words
    assert "Batch prediction" in batch_words and "throughput" in batch_words
    assert "nightly" in batch_words


@pytest.mark.parametrize("limit", [0, -1, float("nan"), "1"])
def test_time_limit_must_be_positive(limit: Any) -> None:
    with pytest.raises(ValueError, match="time_limit"):
        serving_panel({}, time_limit=limit)


def test_badge_names_the_request_it_answers(solved_namespace: dict[str, Any]) -> None:
    # The slider and the form share one badge: after the form's request the slider still
    # reads 0.60, so the badge must say it answers customer 105, not the slider.
    panel = serving_panel(solved_namespace)
    panel.slider.value = 0.6
    assert panel.badge.value == "✓ Stays — predict(0.6) returned False (slider)"
    panel.serve_button.click()
    assert panel.slider.value == 0.6
    assert panel.badge.value == CHURN_105
    assert badge_kind(panel) == "churn"
    panel.slider.value = 0.62
    assert panel.badge.value == "⚠ Churn — predict(0.62) returned True (slider)"
    assert [entry.badge_text for entry in panel.log] == [
        "⚠ Churn — predict(0.62) returned True (slider)",
        CHURN_105,
        "✓ Stays — predict(0.6) returned False (slider)",
    ]


def test_controls_are_labelled_distinctly(solved_namespace: dict[str, Any]) -> None:
    panel = serving_panel(solved_namespace)
    labels = [panel.slider.description, panel.customer_id.description]
    labels.append(panel.customer_value.description)
    assert labels == ["Feature value", "Customer ID", "Customer's feature value"]
    # Labels are shown whole, not cut to the default label width.
    for control in (panel.slider, panel.customer_id, panel.customer_value):
        assert control.style.description_width == "initial"


def test_tables_have_headers_and_a_padded_scoped_style(
    solved_namespace: dict[str, Any], read_table
) -> None:
    panel = serving_panel(solved_namespace)
    panel.serve_button.click()
    panel.batch_button.click()
    assert table_headers(panel.log_table.value) == ["Time", "Input", "From", "Prediction",
                                                    "Took"]
    assert table_headers(panel.batch_table.value) == ["Customer ID", "Feature", "Stored",
                                                      "Live now"]
    for table in (panel.log_table, panel.batch_table):
        assert '<table class="serving-table">' in table.value

    sheet = panel.style_sheet
    assert sheet.layout.display == "none" and "serving-style" in sheet._dom_classes
    assert shown(sheet) == ""
    selectors = css_selectors(sheet.value)
    assert selectors and all(s.startswith(".serving-panel ") for s in selectors), selectors
    for cell in ("td", "th"):
        declared = css_declarations(sheet.value, f".serving-panel table.serving-table {cell}")
        assert declared["padding"] == "3px 12px 3px 6px", cell
    # HTML widgets get a normal line height instead of ipywidgets' 28 px line.
    for selector in (
        ".serving-panel .widget-html > .widget-html-content",
        ".serving-panel .jupyter-widget-html > .jupyter-widget-html-content",
    ):
        assert css_declarations(sheet.value, selector)["line-height"] == "1.45"


# ---- the batch job's stored table, stale answers and the live/stored toggle ----------------

def test_run_batch_writes_a_real_sqlite_table_with_its_threshold_and_time(
        solved_namespace: dict[str, Any], tmp_path) -> None:
    import sqlite3

    store = tmp_path / "stored.sqlite"
    panel = serving_panel(solved_namespace, store=store)
    assert "Nothing stored yet" in shown(panel.stored_summary) and not store.exists()
    panel.batch_button.click()
    panel.batch_button.click()  # a second run replaces the first: still one row per customer
    with sqlite3.connect(store) as conn:
        rows = conn.execute("SELECT customer_id, feature, churn, threshold, scored_at "
                            "FROM predictions ORDER BY customer_id").fetchall()
    assert [r[:4] for r in rows] == [(101, 0.2, 0, 0.6), (102, 0.8, 1, 0.6), (103, 0.5, 0, 0.6),
                                     (104, 0.9, 1, 0.6)]
    assert len({r[4] for r in rows}) == 1 and re.fullmatch(r"\d\d:\d\d:\d\d", rows[0][4])
    summary = shown(panel.stored_summary)
    assert "stored.sqlite" in summary and "threshold 0.6" in summary
    assert "Every stored answer matches live predict now" in summary


def test_stored_answers_go_stale_after_a_threshold_change_until_the_job_reruns(
        solved_namespace: dict[str, Any], read_table) -> None:
    panel = serving_panel(solved_namespace)
    panel.batch_button.click()
    solved_namespace["threshold"] = 0.85  # what a learner types in a new cell
    panel.mode.value = "stored"
    panel.customer_id.value, panel.customer_value.value = 102, 0.8
    panel.serve_button.click()
    assert panel.badge.value.startswith("⚠ Churn — stored by the batch run of ")
    assert "Stale: live predict(0.8) now returns False" in shown(panel.message)
    assert panel.latency.value.startswith("Time for the table lookup: ")
    assert read_table(panel.batch_table.value)[1] == [
        "102", "0.8", "⚠ Churn (True)", "⚠ now Stays"]
    assert 'class="serving-stale"' in panel.batch_table.value
    assert "1 of 4 stored answers are stale" in shown(panel.stored_summary)
    assert "threshold now 0.85" in shown(panel.stored_summary)

    panel.mode.value = "live"
    panel.serve_button.click()
    assert panel.badge.value == "✓ Stays — predict(0.8) returned False (customer 102)"
    assert [e.answered_by_text.split(" (")[0] for e in panel.log] == ["live", "stored"]

    panel.batch_button.click()  # the job runs again: nothing is stale any more
    assert "threshold 0.85" in shown(panel.stored_summary)
    assert "Every stored answer matches" in shown(panel.stored_summary)
    assert all(row[3] == "same" for row in read_table(panel.batch_table.value))


def test_stored_mode_explains_what_the_table_cannot_answer(
        solved_namespace: dict[str, Any]) -> None:
    panel = serving_panel(solved_namespace)
    panel.mode.value = "stored"
    panel.serve_button.click()  # customer 105 is not in customers: never scored by the job
    assert "No stored answer for customer 105" in shown(panel.message)
    panel.batch_button.click()
    panel.slider.value = 0.7
    assert "the slider is not a customer" in shown(panel.message)
    panel.customer_id.value, panel.customer_value.value = 103, 0.95
    panel.serve_button.click()  # the table knows 103 at 0.5; 0.95 is a request-time feature
    assert panel.badge.value.startswith("✓ Stays — stored by the batch run of ")
    assert "only live serving can use it" in shown(panel.message)


def test_the_slider_marks_the_threshold(solved_namespace: dict[str, Any]) -> None:
    panel = serving_panel(solved_namespace)
    assert "threshold 0.6" in shown(panel.threshold_mark)
    assert "left:60.0%" in panel.threshold_mark.value
    solved_namespace["threshold"] = 0.85
    panel.serve_button.click()
    assert "threshold 0.85" in shown(panel.threshold_mark)


def test_a_hanging_predict_is_not_asked_again_for_every_stored_row(
        solved_namespace: dict[str, Any], learner_code) -> None:
    panel = serving_panel(solved_namespace, time_limit=0.2)
    panel.batch_button.click()
    learner_code("def predict(feature):\n    while True:\n        pass\n", solved_namespace)
    panel.serve_button.click()  # one timed-out live call, then one for the stored table: 0.4 s
    assert "took longer than 0.2 s" in shown(panel.message)
    assert len(panel.log) == 1


def test_a_broken_predict_is_never_said_to_match_the_stored_answers(
        solved_namespace: dict[str, Any], learner_code, read_table) -> None:
    panel = serving_panel(solved_namespace)
    panel.batch_button.click()
    learner_code("def predict(feature):\n    return feature > treshold\n", solved_namespace)
    panel.batch_button.click()  # the job fails; the table of the run before stays
    assert "raised NameError" in shown(panel.batch_message)
    summary = shown(panel.stored_summary)
    assert "matches" not in summary and "match " not in summary
    assert "Live predict gives no answer now, so the stored answers can't be compared with " \
        "it: predict(0.2) raised NameError" in summary
    assert [row[3] for row in read_table(panel.batch_table.value)] == ["—"] * 4


def test_matches_is_said_only_of_the_answers_it_compared(
        solved_namespace: dict[str, Any], learner_code) -> None:
    solved_namespace["customers"] = [(200 + i, i / 20) for i in range(20)]
    panel = serving_panel(solved_namespace)
    panel.batch_button.click()
    assert "Every stored answer matches live predict now" in shown(panel.stored_summary)
    learner_code("import time\ndef predict(feature):\n    time.sleep(0.05)\n"
                 "    return feature > threshold\n", solved_namespace)
    panel.refresh()
    summary = shown(panel.stored_summary)
    compared = re.search(r"The (\d+) stored answers compared match live predict now\. "
                         r"\((\d+) not compared: live predict took too long", summary)
    assert compared, summary
    assert int(compared.group(1)) + int(compared.group(2)) == 20 and int(compared.group(1)) < 20
