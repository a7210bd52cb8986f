"""Lists and reads the scratch folders of the submissions graded at the same time.

Each worker sees only its own scratch folder, mounted at /scratch. (The interpreter and NumPy it
runs on are mounted read-only at their own paths, which may be under /tmp, as CI's venv is: that
is not a submission's folder, so it is left out of the list.)
"""
import glob
import os
import sys

import numpy

EXERCISE = "backprop"
SAYS = "other scratch folders: []"
PATTERNS = ["/tmp/nnkit-scratch-*", "@TMP@/nnkit-scratch-*", "/tmp/*", "@TMP@/*"]


def is_interpreter(path):
    real = os.path.realpath(path)
    return any(os.path.realpath(prefix) == real or os.path.realpath(prefix).startswith(real + os.sep)
               for prefix in (sys.prefix, sys.base_prefix, sys.executable, numpy.__file__))


def backprop(X, Y, params, cache):
    others = [path for pattern in PATTERNS for path in glob.glob(pattern)
              if not os.path.samefile(path, os.getcwd()) and not is_interpreter(path)]
    contents = []
    for folder in others:
        for path in glob.glob(os.path.join(folder, "*")):
            try:
                with open(path, "rb") as file:
                    contents.append(file.read(1000))
            except OSError:
                pass
    print(others, contents)
    raise FileNotFoundError(f"other scratch folders: {others}")
