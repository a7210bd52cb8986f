"""Ends the worker process with os._exit(0) in the middle of a call.

The call is reported as having stopped the worker, the worker is restarted for the next call,
and only cross_entropy loses its points.
"""
import os

EXERCISE = "cross_entropy"
SAYS = "stopped the worker: it exited with status 0"


def cross_entropy(A, Y):
    os._exit(0)
