"""Stops the worker while its cell is being loaded: a decorator on softmax calls os._exit.

Only that cell is lost: the grader loads the submission again without it, so softmax scores
nothing and every other exercise keeps its points.
"""
import os

EXERCISE = "softmax"
SAYS = "left this cell out"


def _end_the_worker(function):
    os._exit(7)


@_end_the_worker
def softmax(Z):
    exps = np.exp(Z - Z.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1, keepdims=True)
