"""Part 2 ("Measure it"): the probe facts of steps 5-8 and their validation.

`probe.py` runs beside learner code (in the learner's kernel for `check(N)`, in the grading
worker for a grade) and is reached from `grader/probe.py` through one small hook (each step's
`Probe.facts` in `grader/spec.py` names its gatherer); `facts.py` checks the shape of what it
wrote before any check reads it. The checks themselves live in
`grader/checks/step5.py` … `step8.py`, beside steps 1-4.
"""
