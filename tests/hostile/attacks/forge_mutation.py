"""Changes params in place (a mistake the grader checks for) and hides it: it patches the
worker's mutation detector so the reply says nothing was changed.

Partly contained, as documented: the worker is the student's process, so its report on mutation
can be forged. Every value is still checked by the grader from what the worker returns, so the
forgery wins only the no_mutation check, which not mutating wins honestly.
"""
import sys

EXERCISE = "update"
PASSES = ("shapes", "direction", "step", "no_mutation")


def update(params, grads, lr):
    worker = sys.modules["__main__"]
    if hasattr(worker, "changed_inputs"):
        worker.changed_inputs = lambda inputs, snapshot: []
    for name in ("W1", "b1", "W2", "b2"):
        params[name] -= lr * grads["d" + name]
    return params
