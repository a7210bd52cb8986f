"""Writes garbage and a forged frame onto the worker's private channel to the grader (the file
descriptors the worker moved to 100 and above), then returns a wrong result.

The grader reads frames strictly: the garbage is refused, cross_entropy scores nothing, and the
worker is restarted for the next call.
"""
import os

EXERCISE = "cross_entropy"
SAYS = "more than the grader's limit"


def cross_entropy(A, Y):
    for fd in range(100, 110):
        try:
            os.write(fd, b"NNK1" + b"\xff" * 12 + b'{"kind": "returned", "value": 0.0}')
        except OSError:
            pass
    return 1e9
