"""StudentProcess.losses: the gradient check's many evaluations of the student's loss in one
exchange must give exactly what separate calls give, stop where they stop, and give each call
its own time limit; and a SpareWorker started ahead serves the next submission like a fresh one.

Student code here is one cell per test; both sandbox modes run (bubblewrap where it works).
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks.suites.test_backprop import OwnLossUnusable, StudentLoss
from grader.sandbox import Limits, StudentProcess, StudentTimeout
from grader.sandbox.spare import SpareWorker
from tests.test_sandbox import require_mode

QUICK = Limits(call_seconds=2, load_seconds=5, total_seconds=60)
MODES = ["bubblewrap", "plain"]

NETWORK = '''
import numpy as np
calls = []

def forward(X, params):
    calls.append("forward")
    Z = X @ params["W"] + params["b"]
    A2 = np.exp(Z - Z.max(axis=1, keepdims=True))
    A2 = A2 / A2.sum(axis=1, keepdims=True)
    return A2, {"Z": Z, "order": len(calls)}

def cross_entropy(A2, Y):
    calls.append("cross_entropy")
    A2 *= 1.0                       # in place: must not reach forward's value sent back
    return float(-np.mean(np.sum(Y * np.log(A2), axis=1))) + 1e-3 * len(calls)

def order():
    return list(calls)
'''


class Case:
    def __init__(self, rng):
        self.X = rng.standard_normal((4, 5))
        self.Y = np.eye(3)[rng.integers(0, 3, size=4)]
        self.params = {"W": rng.standard_normal((5, 3)), "b": rng.standard_normal((1, 3))}


def perturbed(case, n):
    points = []
    for k in range(n):
        W = case.params["W"].copy()
        W.flat[k] += 1e-5
        points.append(dict(case.params, W=W))
    return points


@pytest.fixture(params=MODES)
def mode(request):
    require_mode(request.param)
    return request.param


def two_students(tmp_path, mode, source):
    return (StudentProcess([source], tmp_path / "batched", QUICK, isolation=mode),
            StudentProcess([source], tmp_path / "separate", QUICK, isolation=mode))


def test_one_batch_gives_what_separate_calls_give_in_the_same_order(tmp_path, mode):
    case = Case(np.random.default_rng(1))
    points = perturbed(case, 6)
    batched, separate = two_students(tmp_path, mode, NETWORK)
    with batched, separate:
        together = StudentLoss(batched, None, case, {}).each(points)
        one_by_one = [StudentLoss(separate, None, case, {})(point) for point in points]
        assert together == one_by_one            # bit for bit, the call counter included
        assert batched.call("order") == separate.call("order") == \
            ["forward", "cross_entropy"] * 6


def both_give_up(tmp_path, mode, source, seed, points=5):
    """(why the batch gave up, why separate calls did, the order of the batch's calls, that of
    the separate calls) for a student whose loss becomes unusable part of the way through."""
    case = Case(np.random.default_rng(seed))
    batched, separate = two_students(tmp_path, mode, source)
    with batched, separate:
        with pytest.raises(OwnLossUnusable) as together:
            StudentLoss(batched, None, case, {}).each(perturbed(case, points))
        with pytest.raises(OwnLossUnusable) as one_by_one:
            [StudentLoss(separate, None, case, {})(point) for point in perturbed(case, points)]
        return (str(together.value), str(one_by_one.value), batched.call("order"),
                separate.call("order"))


def test_a_forward_that_raises_on_one_point_stops_there(tmp_path, mode):
    source = NETWORK + '''
_forward = forward
def forward(X, params):
    if len(calls) >= 4:
        raise ValueError("too many")
    return _forward(X, params)
'''
    together, one_by_one, batched_order, separate_order = both_give_up(tmp_path, mode, source, 2)
    assert together == one_by_one == "your forward failed (StudentRaised)"
    assert batched_order == separate_order


@pytest.mark.parametrize("bad_loss", ["'a string'", "float('nan')", "[1.0, 2.0]"])
def test_a_loss_that_is_not_one_number_stops_the_batch_where_the_check_fails(tmp_path, mode,
                                                                             bad_loss):
    source = NETWORK + f'''
_cross_entropy = cross_entropy
def cross_entropy(A2, Y):
    value = _cross_entropy(A2, Y)
    return {bad_loss} if len(calls) == 4 else value
'''
    together, one_by_one, batched_order, separate_order = both_give_up(tmp_path, mode, source, 3)
    assert together == one_by_one == "your cross_entropy failed (Feedback)"
    assert batched_order == separate_order == \
        ["forward", "cross_entropy"] * 2     # nothing ran past the failing loss


def test_a_forward_whose_value_is_not_a_float64_array_is_not_given_to_cross_entropy(tmp_path,
                                                                                   mode):
    source = NETWORK + '''
_forward = forward
def forward(X, params):
    A2, cache = _forward(X, params)
    return (A2.astype(np.float32) if len(calls) == 3 else A2), cache
'''
    case = Case(np.random.default_rng(4))
    with StudentProcess([source], tmp_path, QUICK, isolation=mode) as student:
        with pytest.raises(OwnLossUnusable, match="does not return a float64 A2"):
            StudentLoss(student, None, case, {}).each(perturbed(case, 4))
        assert student.call("order") == ["forward", "cross_entropy", "forward"]


def test_each_call_of_a_batch_has_its_own_time_limit(tmp_path, mode):
    # Six calls of 0.6 s CPU each: together far over one call's 2 s, each well within it.
    source = NETWORK + '''
import time
_forward = forward
def forward(X, params):
    started = time.process_time()
    while time.process_time() - started < 0.6:
        pass
    return _forward(X, params)
'''
    case = Case(np.random.default_rng(5))
    with StudentProcess([source], tmp_path, QUICK, isolation=mode) as student:
        steps = student.losses(case.X, case.Y, perturbed(case, 6))
        assert steps is not None and steps.error is None and len(steps.steps) == 6


def test_a_call_that_never_returns_sends_the_check_back_to_separate_calls(tmp_path, mode):
    source = NETWORK + '''
_forward = forward
def forward(X, params):
    while len(calls) >= 2:
        pass
    return _forward(X, params)
'''
    case = Case(np.random.default_rng(6))
    with StudentProcess([source], tmp_path, QUICK, isolation=mode) as student:
        assert student.losses(case.X, case.Y, perturbed(case, 3)) is None
        with pytest.raises(OwnLossUnusable, match=r"your forward failed \(StudentTimeout\)"):
            StudentLoss(student, None, case, {}).each(perturbed(case, 3))


def test_a_spare_worker_serves_the_next_submission_like_a_fresh_one(tmp_path, mode):
    spare = SpareWorker.start(QUICK, mode)
    assert spare.fits(QUICK, mode) and not spare.fits(Limits(call_seconds=3), mode)
    with StudentProcess([NETWORK], spare.scratch_dir, QUICK, isolation=mode,
                        started=spare.connection) as student:
        fresh = StudentProcess([NETWORK], tmp_path, QUICK, isolation=mode)
        with fresh:
            assert student.isolation == fresh.isolation
            assert student.functions == fresh.functions
            assert student.call("order") == []


def test_a_spare_worker_not_used_is_stopped_and_its_folder_removed(mode):
    spare = SpareWorker.start(QUICK, mode)
    spare.discard()
    assert not spare.connection.alive and not spare.scratch_dir.exists()


def test_a_timed_out_exchange_charges_the_submission_its_time(tmp_path, mode):
    source = NETWORK + '''
_forward = forward
def forward(X, params):
    while True:
        pass
'''
    case = Case(np.random.default_rng(7))
    limits = Limits(call_seconds=1, load_seconds=5, total_seconds=1.5)
    with StudentProcess([source], tmp_path, limits, isolation=mode) as student:
        assert student.losses(case.X, case.Y, perturbed(case, 2)) is None
        with pytest.raises(StudentTimeout):
            student.call("forward", case.X, case.params)
