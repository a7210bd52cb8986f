"""A test double of the sandbox, for testing the hidden suites only.

`FakeStudent` has the `call` / `call_detailed` API of `grader.sandbox.StudentProcess` but runs the
student's functions IN-PROCESS — acceptable here because the "students" are our own test
fixtures; the real grader never does this. `run_suites` hands it to the real runner
(`grader.checks.scoring.run_suites` with a `grader.checks.plugin.GradingSession`), so outcomes are classified
exactly as in grading (passed / failed / error / timeout).
"""

from __future__ import annotations

import copy
import linecache
import time
import traceback
from dataclasses import dataclass
from typing import Callable

import numpy as np

from grader.checks import rubric, scoring
from grader.assignments import Assignment
from grader.checks.plugin import CaseOutcome, GradingSession
from grader.sandbox import CallOutcome, MissingFunction, StudentError, StudentRaised, UnsafeReply
from reference import network

#: The known-good helpers `substitutes` may bind, as the worker defines them (grader/README.md).
KNOWN_GOOD = {
    "relu": network.relu,
    "relu_derivative": network.relu_derivative,
    "softmax_rows": network.softmax,
    "softmax_columns": lambda Z: network.softmax(Z.T).T,
}


class FakeStudent:
    """Runs functions of `namespace` in-process, with the sandbox's call semantics.

    Arguments are deep-copied before the call (as if serialised), `substitutes` rebinds names of
    the namespace for one call (the functions must have it as their globals, as `from_source`
    arranges), and `mutated` lists the arguments the call changed.
    """

    def __init__(self, namespace: dict):
        self.namespace = namespace

    @classmethod
    def from_source(cls, source: str) -> "FakeStudent":
        namespace: dict = {"__name__": "student"}
        exec(compile(source, "<student>", "exec"), namespace)
        return cls(namespace)

    @classmethod
    def from_extraction(cls, extraction) -> "FakeStudent":
        """The kept cells of a `grader.extract.Extraction`, each compiled as `<cell N>` (N its
        notebook number, from 1) like the worker does, so tracebacks read as in grading."""
        namespace: dict = {"__name__": "student"}
        for index, source in zip(extraction.cell_indices, extraction.cells):
            filename = f"<cell {index + 1}>"
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            exec(compile(source, filename, "exec", dont_inherit=True), namespace)
        return cls(namespace)

    @classmethod
    def from_functions(cls, functions: dict[str, Callable]) -> "FakeStudent":
        """Wrap ready-made functions (e.g. the reference's); substitutes then change nothing."""
        return cls(dict(functions))

    @property
    def functions(self) -> list[str]:
        return sorted(name for name, value in self.namespace.items()
                      if callable(value) and not isinstance(value, type) and name[0] != "_")

    def train(self, recipe: dict, X_rows, labels, seconds: float, reference=None,
              rows_of=None):
        """The worker's in-process training (StudentProcess.train) is not simulated: None is the
        sandbox's "train call by call instead", so the MNIST check runs its own loop here."""
        return None

    def losses(self, X, Y, params_list: list, *, substitutes: dict | None = None):
        """The worker's batched loss evaluations (StudentProcess.losses) are not simulated
        either: None is the sandbox's "make the calls one by one", which the suites then do."""
        return None

    def call(self, name: str, *args, substitutes: dict | None = None, **kwargs):
        return self.call_detailed(name, *args, substitutes=substitutes, **kwargs).value

    def call_detailed(self, name: str, *args, substitutes: dict | None = None,
                      **kwargs) -> CallOutcome:
        function = self.namespace.get(name)
        if not callable(function):
            raise MissingFunction(name)
        sent_args, sent_kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
        absent = object()
        saved = {key: self.namespace.get(key, absent) for key in (substitutes or {})}
        self.namespace.update({key: KNOWN_GOOD[helper]
                               for key, helper in (substitutes or {}).items()})
        start = time.perf_counter()
        try:
            with np.errstate(all="ignore"):   # the worker's warnings never reach the grader
                value = function(*sent_args, **sent_kwargs)
        except StudentError:
            raise   # a test double that simulates a timeout or a crash
        except Exception as error:
            raise StudentRaised(type(error).__name__, str(error), student_traceback(error)) \
                from error
        finally:
            for key, original in saved.items():
                if original is absent:
                    del self.namespace[key]
                else:
                    self.namespace[key] = original
        seconds = time.perf_counter() - start
        check_plain(value, name)
        mutated = changed_paths(args, sent_args, "args") + \
            changed_paths(kwargs, sent_kwargs, "kwargs")
        return CallOutcome(copy.deepcopy(value), mutated, seconds, "")


def student_traceback(error: BaseException) -> str:
    """The traceback as the worker reports it: only the frames of the student's cells."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if frame.filename.startswith("<cell ")]
    return ("Traceback (most recent call last):\n" + "".join(traceback.format_list(frames))
            + "".join(traceback.format_exception_only(type(error), error)))


def check_plain(value, name: str, depth: int = 0) -> None:
    """Only what the sandbox lets through: arrays, dicts, lists/tuples, scalars, str, None."""
    if depth > 8:
        raise UnsafeReply(f"{name} returned data nested too deeply.")
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            raise UnsafeReply(f"{name} returned an array of dtype {value.dtype}.")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise UnsafeReply(f"{name} returned a dict with a non-string key {key!r}.")
            check_plain(item, name, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            check_plain(item, name, depth + 1)
    elif not (value is None or isinstance(value, (bool, int, float, str, np.generic))):
        raise UnsafeReply(f"{name} returned a {type(value).__name__}, which cannot be graded.")


def changed_paths(before, after, path: str) -> list[str]:
    """Paths (`args[0]['W1']`) where `after` differs from `before`: what the call mutated."""
    if isinstance(before, np.ndarray):
        same = (isinstance(after, np.ndarray) and before.shape == after.shape
                and np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"))
        return [] if same else [path]
    if isinstance(before, dict):
        if not isinstance(after, dict) or set(before) != set(after):
            return [path]
        return [p for key in before for p in changed_paths(before[key], after[key],
                                                           f"{path}[{key!r}]")]
    if isinstance(before, (list, tuple)):
        if not isinstance(after, (list, tuple)) or len(before) != len(after):
            return [path]
        return [p for i, (b, a) in enumerate(zip(before, after))
                for p in changed_paths(b, a, f"{path}[{i}]")]
    return []


# ---- a fake grading session, run by the real plugin and runner -----------------------------------

@dataclass
class FakeMnist:
    """Stands in for grader.checks.plugin.MnistData: (X, labels) per split, or why they are missing."""

    train: tuple | None = None
    test: tuple | None = None
    error: str | None = "MNIST is not loaded in this test run"


def run_suites(student, assignment: Assignment, mnist=None,
               exercises: list[str] | None = None, extraction=None) -> list[CaseOutcome]:
    """Run the hidden suites on `student` exactly as `grade` does; one outcome per test case.

    exercises: only these (the others are left out, as `grade` leaves out missing functions);
    extraction: the submission's, when the student was made `from_extraction`.
    """
    not_run = set() if exercises is None else set(rubric.load().exercises()) - set(exercises)
    session = GradingSession(student, assignment, mnist=mnist or FakeMnist(), not_run=not_run,
                             extraction=extraction)
    scoring.run_suites(session)
    return session.outcomes
