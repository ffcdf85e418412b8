"""Cells a hostile learner pastes into a notebook to be graded without answering (issue 15,
Found 1), and new ones aimed at the harness that asks the questions. Each is the source of one
code cell; `{step}` is never needed: every attack finds what it needs in the worker itself."""

from __future__ import annotations

import json
from pathlib import Path

from grader.questions import SNAPSHOT_VERSION
from grader.spec import ALL_STEPS


def _solution_code() -> dict[str, list[str]]:
    """Each step's solution code cells, read here: the walls keep `solutions/` out of a worker's
    sight, so an attacker would bring them (from a classmate, say) in the forged cell itself."""
    root = Path(__file__).resolve().parents[2] / "solutions"
    code = {}
    for step in ALL_STEPS:
        notebook = json.loads((root / step.notebook).read_text())
        code[step.key] = ["".join(cell["source"]) for cell in notebook["cells"]
                          if cell["cell_type"] == "code"]
    return code


# What every attack shares: the worker's pipe (its one descriptor beyond stdio that writes to a
# pipe), the job the worker was given (found with `gc`), and the course's solutions run in a
# namespace of their own: what right code computes is at hand, so only the harness stands
# between these cells and full marks.
_FIND = """\
import gc, json, os, stat, fcntl

_SOLUTIONS = json.loads(__SOLUTIONS__)

def _pipe():
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            info = os.fstat(fd)
        except OSError:
            continue
        if fd > 2 and stat.S_ISFIFO(info.st_mode) and \\
                fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
            return fd

_job = next(o for o in gc.get_objects() if type(o).__name__ == "WorkerJob")

def _solved(step):
    from grader.sources import choose_sources, is_check_source, is_demo_source
    namespace, ran = {}, []
    for source in _SOLUTIONS[step]:
        if source and not is_check_source(source) and not is_demo_source(source):
            try:
                exec(get_ipython().transform_cell(source), namespace)
            except BaseException:
                pass
            ran.append(source)
    return namespace, choose_sources(step, ran, ran[-1:])
""".replace("__SOLUTIONS__", repr(json.dumps(_solution_code())))

# Found 1, as it was found: the solution's snapshot, taken with the grader's own probe, written
# to the pipe as the worker's reply, then the process ends before the worker can say anything.
SOLUTION_SNAPSHOT = _FIND + '''
from grader.probe import snapshot_for
_namespace, _sources = _solved(_job.step)
os.write(_pipe(), json.dumps({"snapshot": snapshot_for(_job.step, _namespace, _sources),
                              "cell_errors": [], "tampered": [], "output": "",
                              "dropped": 0}).encode())
os._exit(0)
'''

# The same, brought up to date: it reads this run's questions from the job and answers them with
# the grader's own probe on the solution's namespace, in the reply's new shape.
SOLUTION_ANSWERS = _FIND + '''
from grader.probe import answer_all
from grader.questions import question_from_data
_namespace, _ = _solved(_job.step)
os.write(_pipe(), json.dumps({
    "cells": [{"error": "", "printed": ""} for _ in _job.cells], "tampered": [], "output": "",
    "dropped": 0, "answers": answer_all(tuple(question_from_data(q) for q in _job.questions),
                                        _namespace)}).encode())
os._exit(0)
'''

# Found 1's one-line variant: the guard silenced, then the probe made to describe a right
# `threshold` whatever the learner's is.
SILENCED_GUARD = (
    "import grader.batch.worker, grader.values; "
    "grader.batch.worker.Guard.restore = lambda self: []; "
    "grader.values.describe.__code__ = (lambda value, depth=0, budget=None: "
    "{'t': 'float', 'v': '0.6'}).__code__"
)

# Found 1's hand-written one-line JSON snapshot of step 2.
_SNAPSHOT = {"version": SNAPSHOT_VERSION, "step": "2", "sources": [], "calls": [],
             "names": {"threshold": {"t": "float", "v": "0.6"}}, "printing": None}
HANDWRITTEN_SNAPSHOT = (
    "import os; os.write(3, b'" + json.dumps({"snapshot": _SNAPSHOT, "cell_errors": []})
    + "'); os._exit(0)"
)

# Found 1's one-line variant on step 3: the guard silenced, then the probe's calls of `predict`
# answered from a copy of what `check(3)` heard from a right `predict` on the course's inputs.
CANNED_CALLS = (
    "import grader.batch.worker, grader.probe\n"
    "grader.batch.worker.Guard.restore = lambda self: []\n"
    "grader.probe.CANNED = [{'for': p, 'threshold': t, 'outcome': 'returned', 'value': "
    "{'t': 'bool', 'v': v}, 'printed': ''} for p, t, v in (('rule', None, False), "
    "('rule', None, True), ('rule', None, False), ('rule', None, True), ('rule', None, True), "
    "('at_threshold', None, False), ('rule', None, False), ('rule', None, True), "
    "('swapped', 0.3, True), ('swapped', 0.85, False), ('whole_customer', None, True))]\n"
    "grader.probe.probe_predict.__code__ = (lambda predict, calls: list(CANNED)).__code__\n"
)

# New: the questions the worker answers swapped for the course's own (which a copied answer
# fits), the guard silenced so the swap stays.
REWRITTEN_QUESTIONS = (
    "import grader.batch.worker, grader.probe, types\n"
    "grader.batch.worker.Guard.restore = lambda self: []\n"
    "_own = grader.probe.answer_all\n"
    "_answer = types.FunctionType(_own.__code__, _own.__globals__, 'copied', _own.__defaults__)\n"
    "def _course(questions, namespace):\n"
    "    from grader.questions import course_questions\n"
    "    return _answer(course_questions('3'), namespace)\n"
    "grader.probe.answer_all.__code__ = (lambda questions, namespace: "
    "_COURSE(questions, namespace)).__code__\n"
    "grader.probe._COURSE = _course\n"
)

# New: a reply written early (the learner's own answers, honestly computed), then the worker's
# own reply after it on the same pipe.
EARLY_REPLY = _FIND + '''
from grader.probe import answer_all
from grader.questions import question_from_data
os.write(_pipe(), json.dumps({
    "cells": [{"error": "", "printed": ""} for _ in _job.cells], "output": "",
    "answers": answer_all(tuple(question_from_data(q) for q in _job.questions),
                          get_ipython().user_ns)}).encode())
'''

# New: an answer far larger than any description (the probe's describe made to return 6 MB).
HUGE_ANSWER = (
    "import grader.batch.worker, grader.values\n"
    "grader.batch.worker.Guard.restore = lambda self: []\n"
    "grader.values.describe.__code__ = (lambda value, depth=0, budget=None: "
    "{'t': 'str', 'v': 'x' * 6_000_000}).__code__\n"
)

# New: the process ends between two answers (`predict` exits on its twelfth call: after the
# course's own inputs, before the drawn ones).
EXIT_BETWEEN_ANSWERS = (
    "import os\n"
    "_calls = []\n"
    "def predict(feature):\n"
    "    _calls.append(feature)\n"
    "    if len(_calls) == 12 + 4:  # four calls while building batch_results\n"
    "        os._exit(0)\n"
    "    return feature > threshold\n"
)


# New: honest code (no forgery) that is right on every input `check(3)` asks about and wrong on
# any other: a table of the course's answers.
COURSE_ONLY_PREDICT = '''\
_KNOWN = {0.2: False, 0.8: True, 0.5: False, 0.9: True, 0.7: True, 0.6: False,
          0.59: False, 0.61: True}
def predict(feature):
    if feature == (101, 0.2) or feature == (105, 0.7):
        return feature[1] > threshold
    if threshold != 0.6:
        return {(0.5, 0.3): True, (0.8, 0.85): False}[(feature, threshold)]
    return _KNOWN.get(feature, False)'''


# New: the worker's own JSON encoder patched (the guard restores the grader's modules, not the
# classes of json's), so that its reply answers each call of `predict` from a table of the
# course's answers: `predict` itself is wrong everywhere.
PATCHED_ENCODER = _FIND + '''
import json.encoder
_COURSE = {(0.2, None): False, (0.8, None): True, (0.5, None): False, (0.9, None): True,
           (0.7, None): True, (0.6, None): False, (0.59, None): False, (0.61, None): True,
           (0.5, 0.3): True, (0.8, 0.85): False}
_encode = json.encoder.JSONEncoder.encode
def _forged(self, o):
    if isinstance(o, dict) and isinstance(o.get("answers"), list):
        for question, given in zip(_job.questions, o["answers"]):
            if question["ask"] == "call":
                key = (question["argument"], question["threshold"])
                churn = True if isinstance(key[0], list) else _COURSE.get(key, False)
                given.update(outcome="returned", value={"t": "bool", "v": churn}, error="")
    return _encode(self, o)
json.encoder.JSONEncoder.encode = _forged
def predict(feature):
    return False
'''

# New: a right reply written in full (this run's questions answered from the solution), then
# the process holds its pipe open and runs forever: what comes before the deadline is not a
# reply until the worker has ended; the learner's time runs out.
REPLY_THEN_HANG = _FIND + '''
from grader.probe import answer_all
from grader.questions import question_from_data
_namespace, _ = _solved(_job.step)
os.write(_pipe(), json.dumps({
    "cells": [{"error": "", "printed": ""} for _ in _job.cells], "output": "",
    "answers": answer_all(tuple(question_from_data(q) for q in _job.questions),
                          _namespace)}).encode())
while True:
    pass
'''

# New: a reply larger than any reply is read (8 MB), and one that is not JSON.
OVERSIZED_REPLY = _FIND + '''
os.write(_pipe(), b"[" + b"0," * 5_000_000 + b"0]")
os._exit(0)
'''
NOT_JSON_REPLY = _FIND + '''
os.write(_pipe(), b"\\xff\\xfe{not json")
os._exit(0)
'''
