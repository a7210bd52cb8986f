"""softmax and cross_entropy: the mistakes recognisable from their values.

Z, A, Y: (m, 10) with samples as rows, (10, m) as columns (`notation` says which); variants of
the math are computed with samples as rows and put back into the notation.
"""

from __future__ import annotations

import numpy as np

from grader.checks.diagnose.catalogue import Hint, advice
from grader.checks.diagnose.common import class_axis_text, close, first, transposed
from reference.notation import Notation

NUMBER_OF_CLASSES = 10


# ---- softmax --------------------------------------------------------------------------------------

def softmax_overflow(Z, got) -> Hint | None:
    """nan/inf on large logits: exp() overflowed (max not subtracted)."""
    got = np.asarray(got, dtype=np.float64)
    if np.abs(Z).max() > 80 and not np.all(np.isfinite(got)):
        return Hint("np.exp overflows for large logits (exp(1000) is inf, and inf/inf is nan). "
                    "Subtract each sample's largest logit before exp: Z - Z.max(axis=..., "
                    "keepdims=True). Softmax does not change when every logit of a sample is "
                    "shifted by the same amount.", "softmax.overflow")
    return None


def softmax_wrong_axis(got, notation: Notation) -> Hint | None:
    """Probabilities that sum to 1 over the samples instead of over each sample's classes."""
    got = np.asarray(got, dtype=np.float64)
    if got.ndim != 2 or not np.all(np.isfinite(got)):
        return None
    per_sample = got.sum(axis=notation.class_axis)
    per_class = got.sum(axis=notation.sample_axis)
    if not np.allclose(per_sample, 1, atol=1e-6) and np.allclose(per_class, 1, atol=1e-6):
        return Hint("Your probabilities sum to 1 across the samples, not across the 10 classes of "
                    f"each sample. Take the max and the sum over {class_axis_text(notation)}, "
                    "with keepdims=True.", "softmax.wrong_axis")
    return None


def softmax_sum_over_everything(got, Z, notation: Notation) -> Hint | None:
    """got = exp(Z) / (the sum of exp over the whole batch): np.sum without an axis."""
    Z = np.asarray(Z, dtype=np.float64)
    exps = np.exp(Z - Z.max())
    if Z.size > NUMBER_OF_CLASSES and close(got, exps / exps.sum()):
        return Hint("You divide by the sum of exp over the whole batch (np.sum without an axis), "
                    "so all the probabilities of the batch together sum to 1. Each sample's "
                    f"probabilities must sum to 1: sum over {class_axis_text(notation)} with "
                    "keepdims=True.", "softmax.sum_over_everything")
    return None


def softmax_missing_keepdims(got, Z, notation: Notation) -> Hint | None:
    """With samples as rows and a square Z, a per-sample sum without keepdims divides column j
    by sample j's sum instead of failing to broadcast."""
    Z = np.asarray(Z, dtype=np.float64)
    if notation.class_axis != Z.ndim - 1 or Z.ndim != 2 or Z.shape[0] != Z.shape[1]:
        return None
    exps = np.exp(Z - Z.max(axis=1, keepdims=True))
    if close(got, exps / exps.sum(axis=1)):
        return Hint("Your per-sample sums have shape (m,) (a sum without keepdims=True), which "
                    "NumPy lines up with the classes, not with the samples: here m = 10, so it "
                    "runs, but divides each class by another sample's sum. Pass keepdims=True.",
                    "missing_keepdims")
    return None


def softmax_mistakes(got, *, Z, expected, notation: Notation) -> Hint:
    rows_Z = notation.to_rows(np.asarray(Z, dtype=np.float64))
    with np.errstate(over="ignore"):
        unnormalised = notation.from_rows(np.exp(rows_Z))
    hint = first(softmax_overflow(Z, got), softmax_wrong_axis(got, notation),
                 softmax_sum_over_everything(got, Z, notation),
                 softmax_missing_keepdims(got, Z, notation), transposed(got, expected))
    if hint is None and close(got, unnormalised):
        hint = Hint("You returned exp(Z) without dividing by the per-sample sum of exp(Z).",
                    "softmax.not_normalised")
    return hint or advice("Softmax of a sample: exp of its (max-shifted) logits divided by their "
                          f"sum over its 10 classes, i.e. over {class_axis_text(notation)}.")


# ---- cross_entropy --------------------------------------------------------------------------------

def log_without_clipping(got) -> Hint | None:
    """nan or inf from log(0): the probabilities were not clipped before the log."""
    if not np.all(np.isfinite(np.asarray(got, dtype=np.float64))):
        return Hint("log(0) is −inf, and 0 · log(0) is nan. Clip the probabilities before the "
                    "log, e.g. np.log(np.clip(A, 1e-12, 1.0)), so a zero probability gives a "
                    "large finite loss.", "cross_entropy.log_without_clipping")
    return None


def cross_entropy_summed(got: float, expected: float, m: int) -> Hint | None:
    """got ≈ m·expected: the loss is summed over the batch instead of averaged."""
    if m > 1 and np.isclose(got, m * expected, rtol=1e-4):
        return Hint(f"Your loss is m = {m} times too large: it is summed over the samples. "
                    "Cross-entropy is the mean over the batch: divide the sum by m.",
                    "cross_entropy.sum_not_mean")
    return None


def cross_entropy_scaled(got: float, expected: float, m: int, notation: Notation) -> Hint | None:
    """got is expected times 1/10, m/10 or −1: averaged over the classes too, divided by the
    number of classes instead of m, or without the minus sign."""
    if expected <= 0:
        return None
    classes = "Y.shape[1]" if notation.name == "rows" else "Y.shape[0]"
    samples = "Y.shape[0]" if notation.name == "rows" else "Y.shape[1]"
    if m == 1 and np.isclose(got, expected / NUMBER_OF_CLASSES, rtol=1e-4):
        # With one sample, m × 10 and 10 are the same divisor: name both ways of dividing by 10.
        return Hint("Your loss is one tenth of the right value: it is divided by the 10 classes, "
                    f"by np.mean over every entry (m × 10) or by {classes}. Divide the sum over "
                    f"the classes by m only, the number of samples ({samples}).",
                    "cross_entropy.divides_by_classes")
    if np.isclose(got, expected / NUMBER_OF_CLASSES, rtol=1e-4):
        return Hint("Your loss is one tenth of the right value: np.mean over every entry of "
                    "Y·log(A) divides by m × 10, the samples and the classes. Average over the "
                    "samples only: sum over the classes, then divide by m (np.sum(...) / m).",
                    "cross_entropy.mean_over_classes_too")
    if m != NUMBER_OF_CLASSES and np.isclose(got, expected * m / NUMBER_OF_CLASSES, rtol=1e-4):
        return Hint(f"You divide by 10, the number of classes ({classes}), instead of m, the "
                    f"number of samples ({samples} in this notation).",
                    "cross_entropy.divides_by_classes")
    if np.isclose(got, -expected, rtol=1e-4):
        return Hint("Your loss is negative: cross-entropy is −Σ Y·log(A) / m, with a minus sign.",
                    "cross_entropy.missing_minus")
    return None


def cross_entropy_binary(got: float, A, Y, m: int) -> Hint | None:
    """got is the binary cross-entropy −Σ [Y·log A + (1 − Y)·log(1 − A)] (over m, or m × 10)."""
    A = np.clip(np.asarray(A, dtype=np.float64), 1e-12, 1 - 1e-12)
    Y = np.asarray(Y, dtype=np.float64)
    total = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    if any(np.isclose(got, total / n, rtol=1e-3) for n in (m, m * NUMBER_OF_CLASSES)):
        return Hint("You added the (1 − Y)·log(1 − A) terms of the binary cross-entropy. With "
                    "softmax over 10 classes the loss is −Σ Y·log(A) / m only: the other classes' "
                    "probabilities are already pushed down through the softmax.",
                    "cross_entropy.binary_formula")
    return None


def cross_entropy_squared_error(got: float, A, Y, m: int) -> Hint | None:
    """got is a squared error Σ (A − Y)² over m, m × 10 or 2m: the loss of regression."""
    total = float(np.sum((np.asarray(A, dtype=np.float64) - np.asarray(Y)) ** 2))
    if any(np.isclose(got, total / n, rtol=1e-4) for n in (m, 2 * m, m * NUMBER_OF_CLASSES)):
        return Hint("That is a squared error, Σ (A − Y)², the loss of regression. With softmax "
                    "probabilities the loss is the cross-entropy −Σ Y·log(A) / m (its gradient "
                    "through softmax is the simple A2 − Y that backprop uses).",
                    "cross_entropy.squared_error")
    return None


def cross_entropy_returns_gradient(got, A, Y, m: int) -> Hint | None:
    """An array like A: A − Y (or divided by m), the gradient dZ2, not the loss."""
    difference = np.asarray(A, dtype=np.float64) - np.asarray(Y)
    if any(close(got, difference / n) for n in (1, m)):
        return Hint("You return A − Y, an array shaped like A: that is the gradient of the loss "
                    "with respect to Z2 (backprop's dZ2), not the loss. The loss is one number, "
                    "−Σ Y·log(A) / m.", "cross_entropy.returns_gradient")
    return None


def cross_entropy_per_sample(got, m: int) -> Hint | None:
    """An array of m numbers: the per-sample losses, not yet averaged."""
    if isinstance(got, np.ndarray) and got.size == m and m > 1:
        return Hint(f"You return {m} numbers, one loss per sample. The loss of the batch is one "
                    "number, their mean: np.sum(...) / m (or np.mean of the per-sample losses).",
                    "cross_entropy.per_sample_losses")
    return None


def cross_entropy_mistakes(got, *, A, Y, expected: float, notation: Notation) -> Hint:
    m = np.asarray(Y).shape[notation.sample_axis]
    if isinstance(got, np.ndarray) and got.size != 1:
        return cross_entropy_per_sample(got, m) or cross_entropy_returns_gradient(got, A, Y, m) \
            or advice("Return one number: the mean over the batch (np.sum(...) / m).")
    got = float(np.asarray(got, dtype=np.float64).reshape(-1)[0]) \
        if isinstance(got, (np.ndarray, np.generic)) else got
    return first(log_without_clipping(got), cross_entropy_summed(got, expected, m),
                 cross_entropy_scaled(got, expected, m, notation),
                 cross_entropy_binary(got, A, Y, m),
                 cross_entropy_squared_error(got, A, Y, m)) or advice(
        "Cross-entropy: −Σ Y·log(A) over the classes and samples, divided by m, with A clipped "
        "away from 0 before the log.")
