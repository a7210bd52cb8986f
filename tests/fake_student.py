"""Test doubles of the sandbox and of the runner, for testing the hidden suites only.

`FakeStudent` has the `call` / `call_detailed` API of `grader.sandbox.StudentProcess` but runs the
student's functions IN-PROCESS — acceptable here because the "students" are our own test
fixtures; the real grader never does this. `run_suites` runs `grader/suites` with pytest on a fake
grading session and returns one outcome per test case, classified the way the runner classifies
them (passed / failed / error / timeout).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from grader.assignments import Assignment
from grader.feedback import Feedback
from reference import network

try:
    from grader.sandbox import MissingFunction, StudentError, StudentRaised, StudentTimeout, \
        UnsafeReply
except ImportError:   # until grader/sandbox lands: stand-ins with the names of grader/README.md
    class StudentError(Exception):
        def __init__(self, message: str):
            super().__init__(message)
            self.message = message

    class StudentRaised(StudentError):
        pass

    class StudentTimeout(StudentError):
        pass

    class MissingFunction(StudentError):
        pass

    class UnsafeReply(StudentError):
        pass

SUITES = Path(__file__).resolve().parents[1] / "grader" / "suites"

#: The worker's known-good helpers that `substitutes` may bind (see grader/README.md).
KNOWN_GOOD = {
    "relu": network.relu,
    "relu_derivative": network.relu_derivative,
    "softmax_rows": network.softmax,
    "softmax_columns": lambda Z: network.softmax(Z.T).T,
}


@dataclass
class CallOutcome:
    value: object
    mutated: list[str]
    seconds: float
    output: str = ""


class FakeStudent:
    """Runs functions of `namespace` in-process, with the sandbox's call semantics.

    Arguments are deep-copied before the call (as if serialised), `substitutes` rebinds names of
    the namespace for one call (the functions must have it as their globals, as `from_source`
    arranges), and `mutated` lists the arguments the call changed.
    """

    def __init__(self, namespace: dict):
        self.namespace = namespace
        self.calls: dict[str, int] = {}

    @classmethod
    def from_source(cls, source: str) -> "FakeStudent":
        namespace: dict = {"__name__": "student"}
        exec(compile(source, "<student>", "exec"), namespace)
        return cls(namespace)

    @classmethod
    def from_functions(cls, functions: dict[str, Callable]) -> "FakeStudent":
        """Wrap ready-made functions (e.g. the reference's); substitutes then change nothing."""
        return cls(dict(functions))

    @property
    def functions(self) -> list[str]:
        return sorted(name for name, value in self.namespace.items()
                      if callable(value) and not name.startswith("_") and not isinstance(value, type)
                      and getattr(value, "__module__", "student") in ("student", None, "reference.network",
                                                                      "reference.notation"))

    def call(self, name: str, *args, substitutes: dict | None = None, **kwargs):
        return self.call_detailed(name, *args, substitutes=substitutes, **kwargs).value

    def call_detailed(self, name: str, *args, substitutes: dict | None = None,
                      **kwargs) -> CallOutcome:
        function = self.namespace.get(name)
        if not callable(function):
            raise MissingFunction(f"Your submission does not define `{name}`.")
        self.calls[name] = self.calls.get(name, 0) + 1
        sent_args, sent_kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
        saved = {key: self.namespace.get(key) for key in (substitutes or {})}
        self.namespace.update({key: KNOWN_GOOD[helper] for key, helper in (substitutes or {}).items()})
        start = time.perf_counter()
        try:
            value = function(*sent_args, **sent_kwargs)
        except StudentError:
            raise   # a test double that simulates a timeout or a crash
        except Exception as error:
            raise StudentRaised(f"{name} raised {type(error).__name__}: {error}") from error
        finally:
            self.namespace.update(saved)
        seconds = time.perf_counter() - start
        check_plain(value, name)
        mutated = [path for path in changed_paths(args, sent_args, "args")] + \
                  [path for path in changed_paths(kwargs, sent_kwargs, "kwargs")]
        return CallOutcome(copy.deepcopy(value), mutated, seconds)


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


# ---- a fake grading session and a run of the suites ----------------------------------------------

@dataclass
class FakeMnist:
    train: tuple | None = None
    test: tuple | None = None
    error: str | None = None


@dataclass
class FakeSession:
    student: FakeStudent
    assignment: Assignment
    mnist: FakeMnist = field(default_factory=lambda: FakeMnist(
        error="MNIST is not loaded in this test run; set MNIST_DIR"))


@dataclass
class CaseOutcome:
    exercise: str
    check: str
    case: str                  # the parametrization id, "" when not parametrized
    status: str                # passed, failed, error, timeout
    error: BaseException | None = None

    @property
    def feedback(self) -> Feedback | None:
        return self.error if isinstance(self.error, Feedback) else None


def status_of(error: BaseException | None) -> str:
    """The runner's classification: Feedback → failed, a timeout → timeout, anything else → error."""
    if error is None:
        return "passed"
    if isinstance(error, Feedback):
        return "failed"
    if isinstance(error, StudentTimeout):
        return "timeout"
    return "error"


class _Registrar:
    """Registers the session under the plugin name the suites look for."""

    def __init__(self, session):
        self.session = session

    def pytest_configure(self, config):
        config.pluginmanager.register(self.session, "grading_session")


class _Collector:
    def __init__(self):
        self.outcomes: list[CaseOutcome] = []
        self.collect_errors: list[str] = []

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.when != "call" and not report.failed:
            return
        if report.failed or report.when == "call":
            error = call.excinfo.value if call.excinfo is not None else None
            exercise = item.path.stem.removeprefix("test_")
            check = item.originalname.removeprefix("test_")
            case = item.callspec.id if hasattr(item, "callspec") else ""
            status = "skipped" if report.skipped else status_of(error)
            self.outcomes.append(CaseOutcome(exercise, check, case, status, error))

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append(str(report.longrepr))


def run_suites(session: FakeSession, exercises: list[str] | None = None) -> list[CaseOutcome]:
    """Run the hidden suites (all, or those of `exercises`) on `session`; one outcome per case."""
    files = sorted(SUITES.glob("test_*.py"))
    if exercises is not None:
        files = [f for f in files if f.stem.removeprefix("test_") in exercises]
    collector = _Collector()
    code = pytest.main([*map(str, files), "-qq", "--no-header", "-p", "no:cacheprovider",
                        "--import-mode=importlib"],
                       plugins=[_Registrar(session), collector])
    if collector.collect_errors or code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"the suites did not run (exit code {code}): {collector.collect_errors}")
    return collector.outcomes
