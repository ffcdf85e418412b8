"""Step 3: `predict(feature)` returns `feature > threshold`, and `batch_results` applies it to
every customer with a list comprehension."""

from __future__ import annotations

import ast

from ..snapshot import Call, Snapshot, a_kind, type_name
from ..spec import EXPECTED_BATCH, EXPECTED_THRESHOLD
from . import Finding, check, fail, not_started, ok
from .code import assigns, calls_to, last_tree_assigning, mentions

PREDICT_HINT = "Use a function with a simple comparison: the feature against `threshold`."
PREDICT_LINE = "def predict(feature):\n    return feature > threshold"
BATCH_HINT = ("A list comprehension over `customers` that calls `predict` on each customer's "
              "feature.")
BATCH_LINE = "batch_results = [predict(feature) for customer_id, feature in customers]"


def _required(params: tuple[str, ...]) -> list[str]:
    return [p for p in params if "=" not in p and not p.startswith("*")]


@check("3", "predict_defined", "`predict` is a function of one feature value",
       reads=("predict",), line=PREDICT_LINE)
def predict_defined(snap: Snapshot) -> Finding:
    if not snap.has("predict"):
        return not_started("`predict` is not defined yet. Define it in the answer cell and run "
                           "that cell.", PREDICT_HINT, PREDICT_LINE)
    value = snap.value("predict")
    if not getattr(value, "is_callable", False):
        return fail(f"`predict` is {a_kind(value)}, not a function.",
                    "Define it with `def predict(feature):`.")
    if value.params is None:  # a built-in or callable object: its calls will tell
        return ok("`predict` can be called.")
    params = value.params
    required = _required(params)
    if not params:
        return fail("`predict` takes no input; it needs one: the feature value.", PREDICT_HINT,
                    PREDICT_LINE)
    if len(required) > 1:
        return fail(f"`predict` needs {len(required)} inputs ({', '.join(required)}); it should "
                    "take just one: the feature value.", PREDICT_HINT, PREDICT_LINE)
    return ok("`predict` is a function of one value.")


def _describe_failure(call: Call) -> str:
    if call.outcome == "timeout":
        return (f"`predict({call.argument})` did not finish within a second. Is there a loop "
                "that never ends?")
    return f"Calling `predict({call.argument})` raised `{call.error}`."


@check("3", "predict_returns", "`predict` returns True or False", needs=("predict_defined",),
       line=PREDICT_LINE)
def predict_returns(snap: Snapshot) -> Finding:
    calls = (*snap.calls("rule"), *snap.calls("at_threshold"))
    broken = [c for c in calls if c.outcome in ("raised", "timeout")]
    if broken:
        as_tuple = snap.call("whole_customer")
        if as_tuple.returned and isinstance(as_tuple.value, bool):
            return fail(f"`predict` expects a whole customer tuple like `{as_tuple.argument}`; "
                        "it should take just the feature value, like "
                        f"`predict({as_tuple.argument[-1]})`.",
                        "Take one input, the feature value, and compare it with `threshold`.",
                        PREDICT_LINE)
        return fail(_describe_failure(broken[0]),
                    "`predict` must work for any number between 0 and 1.", PREDICT_LINE)
    values = [c.value for c in calls]
    if all(v is None for v in values):
        if any(c.printed.strip() for c in calls):
            return fail("`predict` prints its answer instead of returning it, so the caller gets "
                        "`None`.", "Replace `print(...)` with `return ...` inside `predict`.",
                    PREDICT_LINE)
        return fail("`predict` gives back `None`: a `return` statement is missing.",
                    "End it with `return` and the comparison.", PREDICT_LINE)
    if all(isinstance(v, bool) for v in values):
        return ok("`predict` returns True or False.")
    odd = next(v for v in values if not isinstance(v, bool))
    if isinstance(odd, int):
        return fail(f"`predict` returns numbers like `{odd}`; it should return `True` or "
                    "`False`.", "A comparison is already True or False: return it as it is.",
                    PREDICT_LINE)
    if isinstance(odd, str):
        return fail(f"`predict` returns the text `{odd!r}`; it should return the value `True` or "
                    "`False`, without quotes.", "Return the comparison itself, not text.",
                    PREDICT_LINE)
    if odd is None:
        return fail("`predict` returns `None` for some values: one path has no `return`.",
                    "Make sure every branch returns True or False.", PREDICT_LINE)
    return fail(f"`predict` returns {a_kind(odd)}; it should return `True` or `False`.",
                PREDICT_HINT, PREDICT_LINE)


@check("3", "predict_rule", "`predict` says churn exactly when feature > threshold",
       needs=("predict_returns",), line=PREDICT_LINE)
def predict_rule(snap: Snapshot) -> Finding:
    limit = snap.threshold_value(EXPECTED_THRESHOLD)
    samples = snap.calls("rule")
    wrong = [c for c in samples if c.value != (c.argument > limit)]
    at_limit = snap.call("at_threshold")
    if wrong and len(wrong) == len(samples):
        return fail("`predict` is the wrong way round: it says churn for low values and stays "
                    "for high ones.", "A customer churns when `feature > threshold`.",
                    PREDICT_LINE)
    if wrong:
        arg = wrong[0].argument
        return fail(f"`predict({arg})` returned `{wrong[0].value}`; expected "
                    f"`{arg > limit}` because {arg} is {'' if arg > limit else 'not '}greater "
                    f"than {limit}.", PREDICT_HINT, PREDICT_LINE)
    if at_limit.value != (at_limit.argument > limit):
        return fail(f"`predict({at_limit.argument})` returned `{at_limit.value}`, but "
                    f"{at_limit.argument} is not greater than the threshold {limit}. Use `>` "
                    "rather than `>=`.",
                    "A customer exactly at the threshold stays: `feature > threshold`.",
                    PREDICT_LINE)
    return ok("`predict` says churn exactly when the feature is greater than the threshold, "
              "including at exactly 0.6.")


@check("3", "predict_uses_threshold", "`predict` reads `threshold` instead of a fixed 0.6",
       needs=("predict_rule",), line=PREDICT_LINE)
def predict_uses_threshold(snap: Snapshot) -> Finding:
    swapped = snap.calls("swapped")
    if any(c.outcome == "skipped" for c in swapped):
        return ok("`predict` gives the right answers (it is not a plain function, so changing "
                  "`threshold` could not be tried).")
    if swapped and all(c.value is (c.argument > c.threshold) for c in swapped):
        return ok("`predict` follows `threshold` when it changes.")
    return fail("When `threshold` changes, `predict` still answers as if it were 0.6: the "
                "number looks typed into the function.",
                "Compare with the variable, `feature > threshold`, so one change of `threshold` "
                "changes every prediction.", PREDICT_LINE)


def _is_pair_list(value: list) -> bool:
    return bool(value) and all(isinstance(v, tuple) and len(v) == 2 for v in value)


@check("3", "batch_values", "`batch_results` is [False, True, False, True]",
       reads=("batch_results",), line=BATCH_LINE)
def batch_values(snap: Snapshot) -> Finding:
    if not snap.has("batch_results"):
        return not_started("`batch_results` is not defined yet. Build it after `predict` and "
                           "run that cell.", BATCH_HINT, BATCH_LINE)
    value = snap.value("batch_results")
    kind = type_name(value)
    if kind == "generator":
        return fail("`batch_results` is a generator: round brackets around a comprehension "
                    "make a generator, not a list.",
                    "Use square brackets around the comprehension.", BATCH_LINE)
    if kind == "map":
        return fail("`batch_results` is a map object, not a list.", BATCH_HINT,
                    BATCH_LINE)
    if isinstance(value, tuple):
        return fail("`batch_results` is a tuple; the step asks for a list.",
                    "Use square brackets around the comprehension.", BATCH_LINE)
    if not isinstance(value, list):
        return fail(f"`batch_results` is {a_kind(value)}; the step asks for a list.",
                    BATCH_HINT, BATCH_LINE)
    if _is_pair_list(value) and all(isinstance(v[1], bool) for v in value):
        return fail("`batch_results` holds (ID, prediction) pairs; the step asks for just the "
                    "predictions, like `[False, True, False, True]`.", BATCH_HINT, BATCH_LINE)
    if value and all(v is None for v in value):
        return fail("`batch_results` is full of `None`: `predict` gives back nothing. Fix "
                    "`predict` first, then re-run this cell.", PREDICT_HINT, PREDICT_LINE)
    if value == EXPECTED_BATCH and all(isinstance(v, bool) for v in value):
        return ok("`batch_results` is [False, True, False, True].")
    if len(value) != len(EXPECTED_BATCH):
        return fail(f"`batch_results` has {len(value)} results; there are "
                    f"{len(EXPECTED_BATCH)} customers, so expect {len(EXPECTED_BATCH)}.",
                    BATCH_HINT, BATCH_LINE)
    return fail(f"`batch_results` is `{value}`; expected `{EXPECTED_BATCH}`.",
                "Apply `predict` to each customer's feature (the second item of each tuple).",
                BATCH_LINE)


def _appends_in_loop(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.While)):
            for inner in ast.walk(node):
                if (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute)
                        and inner.func.attr in ("append", "extend")
                        and isinstance(inner.func.value, ast.Name)
                        and inner.func.value.id == "batch_results"):
                    return True
    return False


@check("3", "batch_comprehension",
       "`batch_results` is built by a list comprehension that calls `predict`",
       needs=("batch_values",), line=BATCH_LINE)
def batch_comprehension(snap: Snapshot) -> Finding:
    tree = last_tree_assigning(snap.sources, "batch_results")
    if tree is None:
        return fail("The cell that builds `batch_results` couldn't be found or read. Run it "
                    "again (and make sure it has no syntax error).", BATCH_HINT, BATCH_LINE)
    if _appends_in_loop(tree):
        return fail("You built `batch_results` with a for-loop and `append`. That works, but "
                    "this step practises a list comprehension: one line that scores the whole "
                    "batch.", BATCH_HINT, BATCH_LINE)
    assignment = next(n for n in reversed(tree.body) if assigns(n, "batch_results"))
    built = assignment.value
    if isinstance(built, ast.ListComp):
        if not calls_to(built, "predict"):
            return fail("Your list comprehension works the answer out itself; call `predict` "
                        "inside it, so the batch uses the very same model as real-time "
                        "serving.", BATCH_HINT, BATCH_LINE)
        if not any(mentions(gen.iter, "customers") for gen in built.generators):
            return fail("Your list comprehension doesn't go over `customers`; loop over the "
                        "customer list so every customer is scored.", BATCH_HINT, BATCH_LINE)
        return ok("`batch_results` is built by a list comprehension over `customers`.")
    if isinstance(built, ast.List):
        return fail("`batch_results` is typed in by hand; compute it from `customers` with "
                    "`predict`, so it stays right when the data changes.", BATCH_HINT, BATCH_LINE)
    if isinstance(built, ast.Call) and isinstance(built.func, ast.Name) and built.func.id == "list":
        return fail("`batch_results` is built with `list(...)`; the step practises a list "
                    "comprehension.", BATCH_HINT, BATCH_LINE)
    return fail("`batch_results` is not built with a list comprehension.", BATCH_HINT,
                BATCH_LINE)
