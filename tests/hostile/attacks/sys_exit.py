"""Raises SystemExit (sys.exit) from inside a graded function.

The worker reports the exit instead of stopping, and only relu loses its points.
"""
import sys

EXERCISE = "relu"
SAYS = "called exit(graded: 100 / 100)"


def relu(Z):
    sys.exit("graded: 100 / 100")
