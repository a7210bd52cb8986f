"""Sends SIGKILL to its parent, its process group, process 1 and every process it may signal.

The seccomp filter refuses signals to any process but the worker itself (and under bubblewrap
the grader is not even in its PID namespace): the grader and the batch carry on.
"""
import os
import signal

EXERCISE = "softmax"
SAYS = "every kill was refused"


def softmax(Z):
    refused = []
    for target in (lambda: os.kill(os.getppid(), signal.SIGKILL),
                   lambda: os.killpg(os.getpgid(0), signal.SIGKILL),
                   lambda: os.kill(1, signal.SIGKILL),
                   lambda: os.kill(-1, signal.SIGKILL),
                   lambda: os.kill(0, signal.SIGKILL)):
        try:
            target()
        except OSError as error:
            refused.append(type(error).__name__)
    raise PermissionError(f"every kill was refused: {refused}")
