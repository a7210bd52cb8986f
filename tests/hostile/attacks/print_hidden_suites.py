"""Reads the hidden suites, the rubric and the reference, and puts them everywhere a report
could show them: printed output, an exception message and a returned string.

They are not in the worker's file system (bubblewrap), or it may not open them (Landlock), so
nothing of them can reach a report.
"""
import glob
import os

EXERCISE = "relu_derivative"
SAYS = "the hidden suites are not in reach"
KIT = "@KIT@"


def relu_derivative(Z):
    stolen = []
    for pattern in ("grader/checks/suites/*.py", "grader/checks/rubric.toml", "reference/*.py"):
        for path in glob.glob(os.path.join(KIT, pattern)):
            try:
                with open(path) as file:
                    stolen.append(file.read())
            except OSError:
                continue
    text = "\n".join(stolen)
    print(text)
    if not stolen:
        raise FileNotFoundError("the hidden suites are not in reach")
    raise RuntimeError(text)
