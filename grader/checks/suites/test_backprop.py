"""backprop(X, Y, params, cache) → grads: the gradients of the mean cross-entropy.

    dZ2 = A2 − Y,  dW2 = A1ᵀ·dZ2 / m,  db2 = Σ_samples dZ2 / m,
    dZ1 = dZ2·W2ᵀ * relu_derivative(Z1),  dW1 = Xᵀ·dZ1 / m,  db1 = Σ_samples dZ1 / m
(samples as rows; with samples as columns every product is transposed: dW2 = dZ2·A1ᵀ / m, ...).
grads holds dW1, db1, dW2, db2, each shaped like W1, b1, W2, b2.

Graded with the kit's relu_derivative in place of yours, and with a cache computed by the
reference's forward pass, so mistakes in relu_derivative or forward cost points only there.
"""

from dataclasses import dataclass
from functools import partial

import numpy as np
import pytest

from grader.checks import diagnose, gradient_check
from grader.checks.expect import expect_close, expect_dict_of_arrays, expect_float, \
    expect_gradient, expect_not_mutated
from grader.checks.feedback import show_inputs
from grader.checks.suites import case_labels as labels

#: (m, h): a batch of 1, odd batches, the tutorials' 128 and 10 and other hidden sizes. No m
#: equals h or 10, so a sum over the wrong axis always shows in the shape.
CASES = [(1, 16), (6, 10), (9, 128), (33, 7)]
PARAM_NAMES = ("W1", "b1", "W2", "b2")

#: Gradient checks: small batches and hidden layers, float64 (see grader.checks.gradient_check).
GRADIENT_CASES = [(4, 6), (7, 16)]
#: Largest relative error |a − n| / max(FLOOR, |a| + |n|) accepted at a checked coordinate. On
#: inputs like these a correct backprop stays below 1e-6 (measured: 3e-7 at worst over 300
#: coordinates); the classic mistakes exceed 0.1.
TOLERANCE = 1e-4
#: Below this, |a| + |n| counts as zero-sized: the float64 noise of the numeric side (≈1e-10)
#: must not fail a zero gradient (a dead ReLU unit).
FLOOR = 1e-5
#: Coordinates sampled per parameter. Each costs 2 evaluations of the loss: with yours, 4 calls
#: (forward and cross_entropy), made with the others in one exchange (StudentLoss.each).
OWN_LOSS_SAMPLES = 4
REFERENCE_LOSS_SAMPLES = 30
#: Pre-activations closer to 0 than this would put the ReLU's kink inside a finite difference.
KINK_MARGIN = 1e-3


def case_id(case):
    return labels.samples_and_hidden(case)


@dataclass(frozen=True)
class Run:
    """One call of the student's backprop: its validated grads and what they are checked against."""

    grads: dict        # the student's dW1, db1, dW2, db2
    expected: dict     # the reference's
    diagnoses: dict    # gradient name → a got → hint callable
    shown: str         # the inputs, printed small


def run_backprop(student, notation, ref, case, substitutes) -> Run:
    """The student's grads on `case` with the reference's cache, keys and shapes checked."""
    cache = ref.forward(case.X, case.params)[1]
    expected = ref.backprop(case.X, case.Y, case.params, cache)
    variants = diagnose.backprop_variants(case.X, case.Y, case.params, cache, notation)
    diagnoses = {name: partial(diagnose.backprop_mistakes, name=name, expected=expected[name],
                               m=case.X.shape[notation.sample_axis], variants=variants,
                               notation=notation)
                 for name in expected}
    shown = show_inputs(X=case.X, Y=case.Y, params=case.params, cache=cache)
    grads = student.call("backprop", case.X, case.Y, case.params, cache, substitutes=substitutes)
    rows_dims = {"W1": (784, "h"), "b1": (1, "h"), "W2": ("h", 10), "b2": (1, 10)}
    grads = expect_dict_of_arrays(
        grads, what="backprop(X, Y, params, cache)", input=shown, diagnose=diagnoses,
        diagnose_missing=diagnose.missing_bias_gradients,
        shapes={"d" + name: case.params[name].shape for name in PARAM_NAMES},
        dims={"d" + name: notation.shape(rows_dims[name]) for name in PARAM_NAMES})
    return Run(grads, expected, diagnoses, shown)


@pytest.mark.parametrize("sizes", CASES, ids=case_id)
def test_shapes(student, notation, ref, network_case, backprop_substitutes, sizes):
    """grads holds dW1, db1, dW2, db2 shaped like W1, b1, W2, b2."""
    run_backprop(student, notation, ref, network_case(*sizes), backprop_substitutes)


@pytest.mark.parametrize("sizes", CASES, ids=case_id)
def test_values(student, notation, ref, network_case, backprop_substitutes, sizes):
    """Every gradient matches the reference's."""
    run = run_backprop(student, notation, ref, network_case(*sizes), backprop_substitutes)
    for name in ("dW2", "db2", "dW1", "db1"):
        expect_close(run.grads[name], run.expected[name], what=f"grads['{name}']",
                     input=run.shown, diagnose=run.diagnoses[name])


@pytest.mark.parametrize("sizes", GRADIENT_CASES, ids=case_id)
def test_gradient_check_own_loss(student, notation, ref, network_case, rng, forward_substitutes,
                                 backprop_substitutes, sizes):
    """Your gradients agree with finite differences of your own cross_entropy ∘ forward.

    The loss L(θ) = cross_entropy(forward(X, θ)[0], Y) is evaluated with your forward (with the
    kit's relu and softmax) and your cross_entropy. If, on this input, they disagree with the
    reference's (or do not compute in float64, or fail), the numeric gradient falls back to the
    reference's loss for this case — so this check always checks backprop, and a mistake in
    forward or cross_entropy costs points only in those exercises.
    """
    case = kink_free_case(network_case, ref, *sizes)
    own_loss = StudentLoss(student, ref, case, forward_substitutes)
    reason = own_loss.disagreement()
    if reason is None:
        try:
            check_gradients(student, notation, ref, case, rng, own_loss, OWN_LOSS_SAMPLES,
                            backprop_substitutes, source="your cross_entropy ∘ forward")
            return
        except OwnLossUnusable as unusable:
            reason = str(unusable)
    check_gradients(student, notation, ref, case, rng, reference_loss(ref, case),
                    OWN_LOSS_SAMPLES, backprop_substitutes,
                    source=f"the reference's loss (used because {reason})")


@pytest.mark.parametrize("sizes", GRADIENT_CASES, ids=case_id)
def test_gradient_check_reference_loss(student, notation, ref, network_case, rng,
                                       backprop_substitutes, sizes):
    """Your gradients agree with finite differences of the reference's cross_entropy ∘ forward."""
    case = kink_free_case(network_case, ref, *sizes)
    check_gradients(student, notation, ref, case, rng, reference_loss(ref, case),
                    REFERENCE_LOSS_SAMPLES, backprop_substitutes, source="the reference's loss")


def test_no_mutation(student, notation, ref, network_case, backprop_substitutes, did_its_work):
    """backprop returns its gradients and leaves X, Y, params and cache unchanged (no
    cache['A2'] -= Y)."""
    case = network_case(5, 9)
    cache = ref.forward(case.X, case.params)[1]
    outcome = student.call_detailed("backprop", case.X, case.Y, case.params, cache,
                                    substitutes=backprop_substitutes)
    did_its_work(outcome.value, kind="a dict", what="backprop(X, Y, params, cache)",
                 input=show_inputs(X=case.X, Y=case.Y, params=case.params, cache=cache))
    expect_not_mutated(outcome, function="backprop", arg_names=("X", "Y", "params", "cache"),
                       input=show_inputs(X=case.X, Y=case.Y, params=case.params, cache=cache))


# ---- gradient checking ---------------------------------------------------------------------------

def kink_free_case(network_case, ref, m, h):
    """A case whose pre-activations Z1 all stay KINK_MARGIN away from 0 (see KINK_MARGIN)."""
    for _ in range(100):
        case = network_case(m, h)
        if np.abs(ref.forward(case.X, case.params)[1]["Z1"]).min() > KINK_MARGIN:
            return case
    raise RuntimeError(f"no kink-free inputs for m={m}, h={h} in 100 draws")


def reference_loss(ref, case):
    """L(params) with the reference's forward and cross_entropy (trusted, in-process): the same
    for every submission, so its partials are computed once (gradient_check.TrustedLoss)."""
    return gradient_check.TrustedLoss(
        lambda params: ref.cross_entropy(ref.forward(case.X, params)[0], case.Y),
        key=(ref.notation.name, gradient_check.digest(case.X, case.Y, case.params)))


class OwnLossUnusable(Exception):
    """The student's forward or cross_entropy cannot serve as the loss on this input; says why."""


class StudentLoss:
    """L(params) = the student's cross_entropy(the student's forward(X, params)[0], Y)."""

    def __init__(self, student, ref, case, forward_substitutes):
        self.student, self.ref, self.case = student, ref, case
        self.substitutes = forward_substitutes

    def forward(self, params) -> np.ndarray:
        return self.checked_A2(lambda: self.student.call("forward", self.case.X, params,
                                                         substitutes=self.substitutes))

    def cross_entropy(self, A2) -> float:
        return self.checked_loss(lambda: self.student.call("cross_entropy", A2, self.case.Y))

    @staticmethod
    def checked_A2(forward_value) -> np.ndarray:
        """A2 = forward_value()[0], a float64 array, or OwnLossUnusable."""
        try:
            A2 = forward_value()[0]
        except Exception as error:   # any failure: the student's loss is unusable, not wrong
            raise OwnLossUnusable(f"your forward failed ({type(error).__name__})") from None
        if not isinstance(A2, np.ndarray) or A2.dtype != np.float64:
            raise OwnLossUnusable("your forward does not return a float64 A2 for float64 inputs")
        return A2

    @staticmethod
    def checked_loss(loss_value) -> float:
        """loss_value() as one finite number, or OwnLossUnusable."""
        try:
            return expect_float(loss_value(), what="cross_entropy")
        except Exception as error:   # Feedback included: an unusable value
            raise OwnLossUnusable(f"your cross_entropy failed ({type(error).__name__})") from None

    def __call__(self, params) -> float:
        return self.cross_entropy(self.forward(params))

    def each(self, params_list: list) -> list[float]:
        """[self(params) for params in params_list], with the same checks in the same order,
        but the student's calls made in one exchange with the sandbox (StudentProcess.losses):
        64 round trips a case become 4. Whatever the batch returns is checked here step by
        step; where it did not come back whole, or stopped where no check fails, the calls are
        made one by one instead."""
        batch = self.student.losses(self.case.X, self.case.Y, params_list,
                                    substitutes=self.substitutes)
        if batch is None:
            return [self(params) for params in params_list]
        losses = []
        for step in batch.steps:
            self.checked_A2(lambda: step["forward"])
            if "loss" not in step:
                break
            losses.append(self.checked_loss(lambda: step["loss"]))
        complete = len(losses) == len(batch.steps)
        if complete and len(losses) == len(params_list):
            return losses
        if batch.error is not None and (
                (batch.failed == "forward" and complete) or
                (batch.failed == "cross_entropy" and len(losses) == len(batch.steps) - 1)):
            raise OwnLossUnusable(f"your {batch.failed} failed ({type(batch.error).__name__})")
        return [self(params) for params in params_list]    # the batch stopped for no reason

    def disagreement(self) -> str | None:
        """Why the student's loss cannot be used on this case, or None if it agrees."""
        expected_A2 = self.ref.forward(self.case.X, self.case.params)[0]
        try:
            A2 = self.forward(self.case.params)
            if A2.shape != expected_A2.shape or not np.allclose(A2, expected_A2, rtol=1e-7,
                                                                atol=1e-12):
                return "your forward disagrees with the reference on this input"
            expected_loss = self.ref.cross_entropy(expected_A2, self.case.Y)
            if not np.isclose(self.cross_entropy(expected_A2), expected_loss, rtol=1e-7):
                return "your cross_entropy disagrees with the reference on this input"
        except OwnLossUnusable as unusable:
            return str(unusable)
        return None


def check_gradients(student, notation, ref, case, rng, loss, n_samples, substitutes, source):
    """Compare each of the student's gradients with the numeric partials of `loss`."""
    run = run_backprop(student, notation, ref, case, substitutes)
    for name in PARAM_NAMES:
        def loss_of(value, name=name):
            return loss(dict(case.params, **{name: value}))
        if isinstance(loss, gradient_check.TrustedLoss):
            loss_of = gradient_check.TrustedLoss(loss_of, key=(*loss.key, name))

        def loss_of_each(values, name=name):
            return loss.each([dict(case.params, **{name: value}) for value in values])
        indices, numeric = gradient_check.sparse_numeric_gradient(
            loss_of, np.asarray(case.params[name], dtype=np.float64), n_samples, rng,
            f_each=loss_of_each if hasattr(loss, "each") else None)
        analytic = run.grads["d" + name]
        expect_gradient(gradient_check.compare(analytic, indices, numeric, floor=FLOOR),
                        what=f"grads['d{name}']", tolerance=TOLERANCE, input=run.shown,
                        source=source, hint=run.diagnoses["d" + name](analytic))
