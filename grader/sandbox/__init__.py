"""Run untrusted student code in a separate, limited worker process.

    with StudentProcess(cells, scratch_dir, Limits()) as student:
        student.load_errors, student.functions, student.isolation
        value = student.call("softmax", Z)
        value = student.call("forward", X, params, substitutes={"softmax": "softmax_rows"})
        outcome = student.call_detailed("update", params, grads, 0.1)

The student's code never runs in this process: `worker.py` runs it in its own process (inside
bubblewrap when it works here) and everything it sends back is validated before it is decoded.
Every failure the student caused is a `StudentError` whose `.message` tells them what to fix.
"""

from __future__ import annotations


class StudentError(Exception):
    """Something the student's code did (or failed to do); `.message` is written for them."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class StudentRaised(StudentError):
    """The student's code raised. `.traceback` shows only their own frames ("<cell N>")."""

    def __init__(self, exc_type: str, message: str, traceback: str):
        super().__init__(f"{exc_type}: {message}" if message else exc_type)
        self.exc_type = exc_type
        self.traceback = traceback


class StudentTimeout(StudentError):
    """The student's code did not finish in time (a call, the loading, or the whole submission)."""


class StudentCrashed(StudentError):
    """The worker died or had to be stopped: an exit, a signal, or running out of memory."""


class MissingFunction(StudentError):
    """The submission does not define the function the grader asked for."""

    def __init__(self, name: str, detail: str = "it is not defined"):
        super().__init__(
            f"`{name}` was not found: {detail}. Define `{name}` in its exercise cell; if you "
            f"renamed it, use the name from the notebook.")
        self.name = name


class UnsafeReply(StudentError):
    """The student's code returned (or sent) something that is not plain data."""


from grader.sandbox.launcher import Limits  # noqa: E402  (the exceptions above come first)
from grader.sandbox.process import CallOutcome, StudentProcess  # noqa: E402

__all__ = [
    "CallOutcome", "Limits", "MissingFunction", "StudentCrashed", "StudentError", "StudentProcess",
    "StudentRaised", "StudentTimeout", "UnsafeReply",
]
