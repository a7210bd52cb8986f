"""relu and relu_derivative: the mistakes recognisable from their values.

Z: any shape (the suites use Z1's, (m, h) or (h, m)); got: what the student returned, same shape.
"""

from __future__ import annotations

import numpy as np

from grader.checks.diagnose.catalogue import Hint, advice
from grader.checks.diagnose.common import close, first, transposed


def _small_constant(values) -> float | None:
    """a when every value equals one number a with 0 < a < 1 (a leaky ReLU's slope)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0 or not np.all(np.isfinite(values)):
        return None
    slope = float(np.median(values))
    return slope if 0 < slope < 1 and np.allclose(values, slope, rtol=1e-6) else None


def relu_leaky(Z, got) -> Hint | None:
    """got is Z where Z > 0 and a·Z where Z < 0, for a small a > 0."""
    Z, got = np.asarray(Z, dtype=np.float64), np.asarray(got, dtype=np.float64)
    if got.shape != Z.shape or not np.allclose(got[Z > 0], Z[Z > 0]):
        return None
    slope = _small_constant(got[Z < 0] / Z[Z < 0])
    if slope is None:
        return None
    return Hint(f"For negative Z you return {slope:g}·Z: that is a leaky ReLU. This exercise's "
                "ReLU is max(Z, 0), exactly 0 for every negative entry: np.maximum(Z, 0).",
                "relu.leaky")


def relu_derivative_leaky(Z, got) -> Hint | None:
    """got is 1 where Z > 0 and a small a > 0 where Z < 0."""
    Z, got = np.asarray(Z, dtype=np.float64), np.asarray(got, dtype=np.float64)
    if got.shape != Z.shape or not np.all(got[Z > 0] == 1):
        return None
    slope = _small_constant(got[Z < 0])
    if slope is None:
        return None
    return Hint(f"Where Z < 0 your derivative is {slope:g}: that is the slope of a leaky ReLU. The "
                "ReLU of this exercise is flat (0) for negative Z, so its derivative there is 0: "
                "1 where Z > 0, 0 elsewhere.", "relu_derivative.leaky")


def relu_derivative_one_at_zero(Z, got) -> Hint | None:
    """ReLU′(0) came back as 1 (Z >= 0 instead of Z > 0)."""
    Z, got = np.asarray(Z), np.asarray(got)
    at_zero = Z == 0
    if got.shape == Z.shape and at_zero.any() and np.all(got[at_zero] == 1):
        return Hint("At Z = 0 your derivative is 1; this course defines ReLU′(0) = 0 (the unit is "
                    "off). Use Z > 0, not Z >= 0.", "relu_derivative.one_at_zero")
    return None


def relu_mistakes(got, *, Z, expected) -> Hint:
    if close(got, (np.asarray(Z) > 0).astype(np.float64)):
        return Hint("You returned the derivative (0/1 values); relu(Z) returns max(Z, 0) itself.",
                    "relu.returns_derivative")
    return first(relu_leaky(Z, got), transposed(got, expected)) or advice(
        "ReLU keeps each positive value and replaces every other one by 0: np.maximum(Z, 0).")


def relu_derivative_mistakes(got, *, Z, expected) -> Hint:
    got_numbers = np.asarray(got, dtype=np.float64) if np.asarray(got).dtype.kind in "biuf" \
        else np.asarray(got)
    if close(got_numbers, np.maximum(Z, 0)) and not close(got_numbers, expected):
        return Hint("You returned ReLU(Z) itself; the derivative is 1 where Z > 0 and 0 elsewhere.",
                    "relu_derivative.returns_relu")
    return first(relu_derivative_one_at_zero(Z, got_numbers),
                 relu_derivative_leaky(Z, got_numbers)) or advice(
        "ReLU′(Z) is 1 where Z > 0 and 0 elsewhere (including Z = 0), element by element.")
