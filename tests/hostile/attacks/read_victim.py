"""Reads another student's submission (by its path, and by globbing next to it) and prints it.

Other submissions are not in the worker's file system: the victim's secret appears in no report
but the victim's own.
"""
import glob
import os

EXERCISE = "forward"
SAYS = "read 0 other submissions"
VICTIM = "@VICTIM@"


def forward(X, params):
    found = []
    for path in [os.path.join(VICTIM, "mnist_mlp.ipynb"),
                 *glob.glob(os.path.join(os.path.dirname(VICTIM), "*", "*.ipynb"))]:
        try:
            with open(path) as file:
                found.append(file.read())
        except OSError:
            pass
    print("\n".join(found))
    raise FileNotFoundError(f"read {len(found)} other submissions: " + "\n".join(found)[:3000])
