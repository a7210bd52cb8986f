"""Allocates and touches memory without end: one 8 GiB array, then chunk after chunk (once:
later calls find the note it left in its scratch folder and give up).

The address-space limit (2 GiB) stops it: relu is reported as out of memory, and the machine
and the other submissions never notice.
"""
import os

EXERCISE = "relu"
SAYS = "ran out of memory"


def relu(Z):
    if os.path.exists("hogged"):
        raise RuntimeError("the memory hog already ran")
    open("hogged", "w").close()
    try:
        hoard = [np.ones(1 << 30)]
    except MemoryError:
        hoard = []
    while True:
        hoard.append(np.ones(16 << 20))
