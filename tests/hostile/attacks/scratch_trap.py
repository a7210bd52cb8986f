"""Leaves its scratch folder hard to clean: directories nested 5000 deep, a directory with no
permissions holding files, symbolic links to / and to the kit, and a named pipe.

The grader removes the scratch folder after grading whatever is in it: the batch goes on and
nothing is left behind.
"""
import os

EXERCISE = "relu"
SAYS = "RuntimeError: trap set"


def relu(Z):
    if not os.path.lexists("pipe"):
        _set_the_trap()
    raise RuntimeError("trap set")


def _set_the_trap():
    start = os.open(".", os.O_RDONLY)
    try:
        for _ in range(5000):
            os.mkdir("d")
            os.chdir("d")
    finally:
        os.fchdir(start)
        os.close(start)
    os.makedirs("locked/inner")
    open("locked/inner/file", "w").close()
    os.chmod("locked/inner", 0)
    os.chmod("locked", 0)
    os.symlink("/", "root")
    os.symlink("@KIT@", "kit")
    os.mkfifo("pipe")
