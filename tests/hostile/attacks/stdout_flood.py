"""Prints 40 MB through print, sys.stderr and raw writes to file descriptors 1 and 2.

The grader keeps reading and drops all but the first 64 KiB; the report shows at most a few
thousand characters of it.
"""
import os
import sys

EXERCISE = "relu_derivative"
SAYS = "but it is None"
LINE = "flood " * 170 + "\n"


def relu_derivative(Z):
    for _ in range(10000):
        print(LINE, end="")
        sys.stderr.write(LINE)
        os.write(1, LINE.encode())
        os.write(2, LINE.encode())
    return None
