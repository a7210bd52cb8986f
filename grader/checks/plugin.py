"""The pytest plugin through which the runner hands a student to the hidden suites and hears back.

`GradingSession` is registered under the plugin name `grading_session`; the suites' conftest reads
`.student`, `.assignment` and `.mnist` from it. It deselects the exercises that are not to run:
those whose function is missing (`not_run`) and those the instructor left out of the grade
(`not_graded`: mnist_accuracy under `grade --skip-mnist`). Its hooks turn every test into a
`CaseOutcome` (exercise, check, case, status, message, feedback) and nothing else: a failure is
described only by what `grader.checks.feedback.Feedback` or a `StudentError` carries, never by pytest's
report, the test's source or a hidden file's path.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from grader.checks import explain
from grader.checks.feedback import Feedback
from grader.checks.mnist_files import load_mnist_splits
from grader.sandbox import MissingFunction, StudentError, StudentRaised, StudentTimeout

PLUGIN_NAME = "grading_session"


@dataclass(frozen=True)
class CaseOutcome:
    """What happened to one test case (one pytest item)."""

    exercise: str        # test_softmax.py → "softmax"
    check: str           # test_sums_to_one → "sums_to_one"
    case: str            # the parametrize id, "" for an unparametrized test
    status: str          # passed, failed, error, timeout
    message: str = ""
    feedback: dict | None = None
    seconds: float = 0.0


class MnistData:
    """MNIST in an assignment's notation: `.train` and `.test` are (X, labels) with X (m, 784)
    float32 — (784, m) as columns — and labels (m,); `.error` is why the data is missing (then
    `.train` and `.test` are None). Read once per grading process, on first use or `prefetch()`,
    or before it by the batch's fork server (`preload_mnist`)."""

    def __init__(self, notation: str):
        self.notation = notation

    def prefetch(self) -> MnistData:
        """Start reading in the background: the MNIST check runs last, so by then it is done."""
        _loading()
        return self

    @property
    def train(self):
        return self._split("train")

    @property
    def test(self):
        return self._split("test")

    @property
    def error(self) -> str | None:
        return _loading().result()[1]

    def _split(self, name: str):
        split = _loading().result()[0].get(name)
        if split is None or self.notation == "rows":
            return split
        X, labels = split
        return X.T, labels          # a view: both notations share one copy of the images


#: 2 once use_spare_core() said this process has a core to spare, else 1.
_THREADS = [1]


def use_spare_core() -> None:
    """This process may use a second core for the trusted side's arithmetic: a batch's grading
    process that has a core of its own to spare (fewer --jobs than cores). The MNIST check then
    measures test accuracy in two threads (NumPy leaves Python's lock while it multiplies), while
    the student's worker, done training, waits."""
    _THREADS[0] = 2


def trusted_threads() -> int:
    """Threads the trusted side may use for its own arithmetic here (see use_spare_core)."""
    return _THREADS[0]


_LOAD: Future | None = None     # the one read of MNIST, as rows, for this process
_LOAD_LOCK = threading.Lock()


def _loading() -> Future:
    """The one read of MNIST (as rows) for this process (batch workers are reused)."""
    global _LOAD
    with _LOAD_LOCK:
        if _LOAD is None:
            _LOAD = ThreadPoolExecutor(1, thread_name_prefix="mnist").submit(load_mnist_splits)
        return _LOAD


def preload_mnist(loaded: tuple[dict, str | None] | None = None) -> None:
    """Read MNIST now, in this thread (or take `loaded`, what load_mnist_splits gave): for a
    process that forks grading processes, which then share its copy (pages nobody writes stay
    shared) instead of each reading its own. No thread is started, so forking afterwards is
    safe."""
    global _LOAD
    with _LOAD_LOCK:
        if _LOAD is None:
            _LOAD = Future()
            _LOAD.set_result(loaded if loaded is not None else load_mnist_splits())



class GradingSession:
    """One submission being graded: what the suites need, and what they found."""

    def __init__(self, student, assignment, mnist: MnistData | None = None,
                 not_run: set[str] = frozenset(), not_graded: set[str] = frozenset(),
                 extraction=None):
        # pytest registers a plugin object under its `__name__`; the suites look it up by name.
        self.__name__ = PLUGIN_NAME
        self.student = student
        self.assignment = assignment
        self.mnist = mnist if mnist is not None else MnistData(assignment.notation)
        self.not_run = set(not_run)   # exercises not to run (their function is missing)
        self.not_graded = set(not_graded)   # exercises the instructor left out of the grade
        self.extraction = extraction   # grader.extract.Extraction: the source, for the hints
        self._outcomes: dict[str, CaseOutcome] = {}
        self._seconds: dict[str, float] = {}
        self._timed_out: dict[str, str] = {}   # exercise → the message of its first timeout
        self.failed_exercises: set[str] = set()   # with a failed case so far (the suites' conftest)

    @property
    def outcomes(self) -> list[CaseOutcome]:
        """One outcome per test case, in the order the tests ran."""
        return list(self._outcomes.values())

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]):
        """Not running a left-out exercise at all (rather than skipping its cases) also spares
        its module fixtures: under --skip-mnist nothing trains and MNIST is never read."""
        left_out = self.not_run | self.not_graded
        dropped = [item for item in items if exercise_of(item) in left_out]
        if dropped:
            items[:] = [item for item in items if exercise_of(item) not in left_out]
            config.hook.pytest_deselected(items=dropped)
        hide_tracebacks(items)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item):
        """Once an exercise's function has timed out, its other cases are not run: each would
        wait out the call limit too, and together they would use up the submission's total time
        and cost the other exercises their points."""
        if exercise_of(item) in self._timed_out:
            raise _NotRunAfterTimeout()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = (yield).get_result()
        # Setup counts too: a module fixture (the MNIST training) does its work there.
        self._seconds[item.nodeid] = self._seconds.get(item.nodeid, 0.0) + report.duration
        earlier = self._outcomes.get(item.nodeid)
        if earlier is not None and earlier.status != "passed":
            return  # a failed setup or call already says what went wrong
        if report.when == "call" or report.outcome != "passed":
            exercise = exercise_of(item)
            error = call.excinfo.value if call.excinfo else None
            if isinstance(error, _NotRunAfterTimeout):
                status, message, feedback = "timeout", (
                    f"not run: an earlier check of {exercise} timed out "
                    f"({self._timed_out[exercise]})"), None
            else:
                status, message, feedback = classify(error, self, exercise)
            if status == "timeout":
                self._timed_out.setdefault(exercise, message)
            self._outcomes[item.nodeid] = CaseOutcome(
                exercise=exercise,
                check=getattr(item, "originalname", item.name).removeprefix("test_"),
                case=item.callspec.id if hasattr(item, "callspec") else "",
                status=status, message=message, feedback=feedback,
                seconds=round(self._seconds[item.nodeid], 4))


def hide_tracebacks(items: list[pytest.Item]) -> None:
    """pytest formats a failure's traceback, with the hidden source, for a report that is thrown
    away (outcomes come from the exception itself, see pytest_runtest_makereport): 47 ms a
    failure. These items format none."""
    for item in items:
        item.repr_failure = item._repr_failure_py = _traceback_not_shown


def _traceback_not_shown(excinfo, style=None) -> str:
    return "(a hidden check's traceback is not shown)"


class _NotRunAfterTimeout(Exception):
    """Raised in place of a case whose exercise already timed out (see pytest_runtest_setup)."""


def exercise_of(item: pytest.Item) -> str:
    return item.path.stem.removeprefix("test_")


def classify(error: BaseException | None, session: GradingSession | None = None,
             exercise: str = "") -> tuple[str, str, dict | None]:
    """(status, message, feedback) for how a test ended; `error` is None when it passed.

    The feedback of a failure, and of an exception from the student's code, is completed by
    `grader.checks.explain` with what it means for `exercise`, from the submission's source
    (`session.extraction`)."""
    if error is None:
        return "passed", "", None
    if isinstance(error, Feedback):
        return "failed", error.summary, explain.failed_check(error, exercise, session)
    if isinstance(error, StudentTimeout):
        return "timeout", error.message, None
    if isinstance(error, MissingFunction):
        return "failed", error.message, None
    if isinstance(error, StudentRaised):
        return "error", error.message, explain.raised(error, exercise, session)
    if isinstance(error, StudentError):
        return "error", error.message, None
    if isinstance(error, pytest.skip.Exception):
        # Skips are written by the suites' authors for students (e.g. MNIST missing): no points.
        return "error", f"the check did not run: {error.msg}", None
    if isinstance(error, AssertionError):
        return "failed", "the check could not complete: AssertionError", None
    # An exception inside hidden test code: name its type only, never its text or traceback.
    return "error", f"the check could not complete: {type(error).__name__}", None
