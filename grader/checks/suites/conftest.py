"""Fixtures of the hidden suites, built from the grading session the runner registers.

The runner (grader.checks.scoring.run_suites: the suites collected once per grading process, or
`pytest.main`) registers `session` for one submission under the plugin name `grading_session`:
an object with `.student` (a `grader.sandbox.StudentProcess`),
`.assignment` (a `grader.assignments.Assignment`) and `.mnist` (`.train`/`.test` = (X, labels)
in the assignment's notation, or `.error`, why the data is missing) and `.failed_exercises`,
filled here as cases fail. The runner leaves out the
exercises that are not to run (a missing function; mnist_accuracy under `grade --skip-mnist`), so
their tests and fixtures never start.

Every check is written once for both notations: inputs are built with samples as rows and
converted with `notation.from_rows`, and expected shapes come from `notation.shape(rows_shape)`.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pytest

import reference
from grader.checks.expect import expect_that
from grader.checks.feedback import describe
from reference.notation import Notation, get_notation

SESSION_PLUGIN = "grading_session"

def exercise_of(item: pytest.Item) -> str:
    """`test_softmax.py` → `softmax`."""
    return item.path.stem.removeprefix("test_")


#: The order the exercises are graded in. The helpers come before every exercise that runs with
#: the kit's known-good helpers in place of the student's (forward, backprop, MNIST), which only
#: then enter the student's process: a helper graded later could return the kit's own. The MNIST
#: check comes last, so its message can name the exercises that already failed.
GRADING_ORDER = ("relu", "relu_derivative", "softmax", "cross_entropy", "init_params", "forward",
                 "backprop", "update", "mnist_accuracy")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: GRADING_ORDER.index(exercise_of(item))
               if exercise_of(item) in GRADING_ORDER else len(GRADING_ORDER) - 1)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    grading = item.config.pluginmanager.get_plugin(SESSION_PLUGIN)
    if outcome.get_result().failed and grading is not None:
        grading.failed_exercises.add(exercise_of(item))   # this submission's, not the process's


#: The case being set up, set before its fixtures are (for `session` and `rng`).
_current_test: list[pytest.Item | None] = [None]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _current_test[0] = item


@pytest.fixture(scope="session")
def session():
    # Not through the `pytestconfig` fixture: it asks for `request`, which pytest then builds
    # anew for every case (each case's fixtures lead here): 15 ms a submission.
    grading = _current_test[0].config.pluginmanager.get_plugin(SESSION_PLUGIN)
    if grading is None:
        raise RuntimeError("the hidden suites run only inside the grader (`grade PATH`), which "
                           f"registers the `{SESSION_PLUGIN}` plugin with the student to grade")
    return grading


@pytest.fixture(scope="session")
def student(session):
    return session.student


@pytest.fixture(scope="session")
def assignment(session):
    return session.assignment


@pytest.fixture(scope="session")
def notation(assignment) -> Notation:
    return get_notation(assignment.notation)


@pytest.fixture(scope="session")
def ref(assignment):
    """The reference's functions in the assignment's notation (trusted, in-process)."""
    return reference.for_notation(assignment.notation)


@pytest.fixture(scope="session")
def mnist(session):
    return session.mnist


@pytest.fixture
def failed_exercises(session) -> set:
    """The exercises that lost points earlier in this run (read by the MNIST check)."""
    return session.failed_exercises


@pytest.fixture
def rng() -> np.random.Generator:
    """A generator seeded from the test's file and id, so every grading run sees the same inputs.

    Made once per test and process, then set back to its seeded state for each submission: the
    same numbers as np.random.default_rng(seed) anew, without pytest's `request` fixture (built
    anew for every fixture that asks for it) or the seeding (together 20 ms a submission)."""
    key = f"{_current_test[0].path.stem}::{_current_test[0].name}"
    if key not in _GENERATORS:
        generator = np.random.default_rng(zlib.crc32(key.encode()))
        _GENERATORS[key] = (generator, generator.bit_generator.state)
    generator, seeded = _GENERATORS[key]
    generator.bit_generator.state = seeded
    return generator


#: Test key (`file stem::test id`) → its generator and the generator's seeded state (see rng).
_GENERATORS: dict[str, tuple[np.random.Generator, dict]] = {}


#: What a call may return to count as having done its work: kind → test.
RESULT_KINDS = {
    "an array": lambda value: isinstance(value, np.ndarray),
    "a number": lambda value: isinstance(value, (int, float, np.number, np.ndarray))
                              and not isinstance(value, bool),
    "a pair (A2, cache)": lambda value: isinstance(value, (tuple, list)) and len(value) == 2,
    "a dict": lambda value: isinstance(value, dict),
}


@pytest.fixture(scope="session")
def did_its_work():
    """check(value, kind, what, input): the no_mutation checks count only a call that returned
    a result of the right kind (see RESULT_KINDS; shapes and values are other checks' business),
    so that a function that does nothing, and so changes nothing, earns nothing."""
    def check(value, *, kind: str, what: str, input: str = "") -> None:
        expect_that(RESULT_KINDS[kind](value),
                    f"{what} returned {describe(value)}, not {kind}: a call that does not do its "
                    "work cannot earn the points for leaving its inputs unchanged.",
                    expected=kind, got=describe(value), input=input,
                    hint="Did you forget the `return` statement?" if value is None
                    else f"Return {kind}.")
    return check


@pytest.fixture(scope="session")
def forward_substitutes(notation) -> dict[str, str]:
    """forward runs with the sandbox's known-good relu and softmax in place of the student's, so a
    mistake in those helpers costs points only in their own exercises."""
    return {"relu": "relu", "softmax": f"softmax_{notation.name}"}


@pytest.fixture(scope="session")
def backprop_substitutes() -> dict[str, str]:
    """backprop runs with the sandbox's known-good relu_derivative in place of the student's."""
    return {"relu_derivative": "relu_derivative"}


@dataclass(frozen=True)
class NetworkCase:
    """Inputs for one network-level check, all in the assignment's notation, float64.

    X (m, 784), labels (m,), Y (m, 10) one-hot, params W1 (784, h), b1 (1, h), W2 (h, 10),
    b2 (1, 10) — every 2-D array transposed with samples as columns.
    """

    X: np.ndarray
    labels: np.ndarray
    Y: np.ndarray
    params: dict


@pytest.fixture
def network_case(notation, rng):
    """make(m, h) → a NetworkCase: pixel-like X in [0, 1), random labels, He-scaled weights and
    non-zero biases (a forgotten bias must show).

    A case is drawn once per process: later submissions get a fresh copy of the same arrays,
    and their generator is left where drawing them would have left it (drawing cost 20 ms a
    submission, copying 1)."""
    def make(m: int, h: int, n_input: int = 784) -> NetworkCase:
        key = (notation.name, m, h, n_input, _state_of(rng))
        if key not in _CASES:
            _CASES[key] = (draw(m, h, n_input), rng.bit_generator.state)
        case, after = _CASES[key]
        rng.bit_generator.state = after
        return NetworkCase(X=case.X.copy(order="K"), labels=case.labels.copy(),
                           Y=case.Y.copy(order="K"),
                           params={name: value.copy(order="K")
                                   for name, value in case.params.items()})

    def draw(m: int, h: int, n_input: int) -> NetworkCase:
        labels = rng.integers(0, 10, size=m)
        rows_params = {
            "W1": rng.standard_normal((n_input, h)) * np.sqrt(2 / n_input),
            "b1": rng.normal(0, 0.5, size=(1, h)),
            "W2": rng.standard_normal((h, 10)) * np.sqrt(2 / h),
            "b2": rng.normal(0, 0.5, size=(1, 10)),
        }
        return NetworkCase(X=notation.from_rows(rng.random((m, n_input))), labels=labels,
                           Y=notation.from_rows(reference.one_hot(labels, dtype=np.float64)),
                           params=notation.dict_from_rows(rows_params))
    return make


#: (notation, m, h, n_input, the generator's state before) → (the case drawn, its state after).
_CASES: dict[tuple, tuple[NetworkCase, dict]] = {}


def _state_of(generator: np.random.Generator) -> tuple:
    state = generator.bit_generator.state
    return (state["bit_generator"], str(state["state"]), state.get("has_uint32"),
            state.get("uinteger"))
