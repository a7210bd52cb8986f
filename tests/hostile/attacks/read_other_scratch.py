"""Lists and reads the scratch folders of the submissions graded at the same time.

Each worker sees only its own scratch folder, mounted at /scratch.
"""
import glob
import os

EXERCISE = "backprop"
SAYS = "other scratch folders: []"
PATTERNS = ["/tmp/nnkit-scratch-*", "@TMP@/nnkit-scratch-*", "/tmp/*", "@TMP@/*"]


def backprop(X, Y, params, cache):
    others = [path for pattern in PATTERNS for path in glob.glob(pattern)
              if not os.path.samefile(path, os.getcwd())]
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
