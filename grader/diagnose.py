"""Recognise the classic mistakes from what a student's function returned.

Each `mistake(...)` function below looks for one mistake and returns a hint (what it is, what to do)
or None. They are small and independent, so each is testable alone. The `<exercise>_mistakes`
functions at the end try the ones that fit an exercise, most specific first, and end with the
exercise's general advice, so a failed check always carries a hint.

Arrays are in the assignment's notation (`reference.notation.Notation`); variants of the reference
math are computed with samples as rows and converted back, exactly like the reference does.
"""

from __future__ import annotations

import numpy as np

from reference import network
from reference.notation import Notation


def _close(got, wanted, rtol: float = 1e-4, atol: float = 1e-7) -> bool:
    """Same shape, finite, and equal within tolerance: "got is this variant"."""
    got, wanted = np.asarray(got), np.asarray(wanted)
    return (got.shape == wanted.shape and bool(np.all(np.isfinite(got)))
            and np.allclose(got, wanted, rtol=rtol, atol=atol))


def first(*hints: str | None) -> str | None:
    """The first hint that is not None."""
    return next((hint for hint in hints if hint), None)


def sample_axis_text(notation: Notation) -> str:
    where = "rows" if notation.sample_axis == 0 else "columns"
    return f"axis={notation.sample_axis} (the {where}: one per sample)"


def class_axis_text(notation: Notation) -> str:
    where = "columns" if notation.class_axis == 1 else "rows"
    return f"axis={notation.class_axis} (the {where}: one per class)"


# ---- shapes -------------------------------------------------------------------------------------

def transposed(got, expected) -> str | None:
    """got is expected transposed (got: (a, b), expected: (b, a))."""
    got = np.asarray(got)
    if got.ndim == 2 and got.shape != np.shape(expected) and _close(got.T, expected):
        return ("Your result is the transpose of the expected one. Check the order of the factors "
                "in your matrix product (and which one is transposed) against the shapes of the "
                "arrays in this notation.")
    return None


def shape_transposed(got_shape: tuple, expected_shape: tuple) -> str | None:
    """Only the shapes are known: got's shape is expected's reversed."""
    if len(got_shape) == 2 and tuple(reversed(got_shape)) == tuple(expected_shape):
        return ("The shape is the expected one reversed: your result looks transposed. Check the "
                "order of the factors in your matrix products against this notation's shapes.")
    return None


def missing_keepdims(got_shape: tuple, expected_shape: tuple) -> str | None:
    """A 1-D result where a 2-D one with a length-1 axis was expected ((h,) instead of (1, h))."""
    if len(got_shape) == 1 and len(expected_shape) == 2 and 1 in expected_shape \
            and got_shape[0] == int(np.prod(expected_shape)):
        return (f"Your result is 1-D {tuple(got_shape)}; it must stay 2-D "
                f"{tuple(expected_shape)} so it broadcasts the right way: pass keepdims=True to "
                "sum/max, or reshape.")
    return None


# ---- one function per mistake -------------------------------------------------------------------

def missing_one_over_m(got, expected, m: int) -> str | None:
    """got ≈ m·expected: the batch mean's 1/m is missing."""
    if m > 1 and _close(got, m * np.asarray(expected)):
        return (f"Your values are m = {m} times too large: the 1/m is missing. The loss is the "
                "mean over the batch, so every gradient is divided by m, the number of samples.")
    return None


def bias_summed_over_wrong_axis(got, dZ, m: int, notation: Notation, name: str) -> str | None:
    """A bias gradient summed over the units instead of over the samples. dZ: in notation."""
    rows_dZ = notation.to_rows(np.asarray(dZ))
    wrong = notation.from_rows(rows_dZ.sum(axis=1, keepdims=True))
    got = np.asarray(got)
    if got.shape == wrong.shape or _close(got, wrong / m) or _close(got, wrong):
        return (f"{name} sums over the wrong axis. A bias gradient adds up the contributions of "
                f"all samples: sum over {sample_axis_text(notation)} with keepdims=True, then "
                "divide by m.")
    return None


def softmax_overflow(Z, got) -> str | None:
    """nan/inf, or nan-free zeros, on large logits: exp() overflowed (max not subtracted)."""
    got = np.asarray(got, dtype=np.float64)
    if np.abs(Z).max() > 80 and not np.all(np.isfinite(got)):
        return ("np.exp overflows for large logits (exp(1000) is inf, and inf/inf is nan). "
                "Subtract each sample's largest logit before exp: Z - Z.max(axis=..., "
                "keepdims=True). Softmax does not change when every logit of a sample is shifted "
                "by the same amount.")
    return None


def softmax_wrong_axis(got, notation: Notation) -> str | None:
    """Probabilities that sum to 1 over the samples instead of over each sample's classes."""
    got = np.asarray(got, dtype=np.float64)
    if got.ndim != 2 or not np.all(np.isfinite(got)):
        return None
    per_sample = got.sum(axis=notation.class_axis)
    per_class = got.sum(axis=notation.sample_axis)
    if not np.allclose(per_sample, 1, atol=1e-6) and np.allclose(per_class, 1, atol=1e-6):
        return ("Your probabilities sum to 1 across the samples, not across the 10 classes of each "
                f"sample. Take the max and the sum over {class_axis_text(notation)}, with "
                "keepdims=True.")
    return None


def missing_relu_mask(got, without_mask, name: str) -> str | None:
    """got equals the gradient computed without multiplying dZ1 by ReLU′(Z1)."""
    if _close(got, without_mask):
        return (f"{name} matches the gradient computed without the ReLU′ mask. Going back "
                "through the ReLU, multiply element-wise by relu_derivative(Z1): dZ1 = (dZ2 "
                "brought back through W2) * relu_derivative(Z1). Units that were off in the "
                "forward pass pass no gradient back.")
    return None


def update_sign(got, W, dW, lr: float) -> str | None:
    """got ≈ W + lr·dW: the step goes uphill."""
    if lr != 0 and _close(got, W + lr * dW):
        return ("Your step goes uphill: you computed W + lr·dW. Gradient descent moves against the "
                "gradient: W ← W − lr·dW.")
    return None


def update_without_lr(got, W, dW, lr: float) -> str | None:
    """got ≈ W − dW: the learning rate is not applied."""
    if lr != 1 and _close(got, W - dW):
        return "The learning rate is missing: the step is W ← W − lr·dW, not W − dW."
    return None


def mutated_input(function: str, paths: list[str]) -> str | None:
    """The sandbox saw the function change some of its arguments in place."""
    if not paths:
        return None
    return (f"{function} changed its input in place ({', '.join(paths)}), so the caller's arrays "
            "changed too. Operations like `Z[Z < 0] = 0`, `Z -= ...` or `params['W1'] -= ...` "
            "write into the caller's array: compute a new array instead (np.maximum(Z, 0), "
            "Z - ..., params['W1'] - ...) and return it.")


def relu_derivative_true_at_zero(Z, got) -> str | None:
    """ReLU′(0) came back as 1 (Z >= 0 instead of Z > 0)."""
    Z, got = np.asarray(Z), np.asarray(got)
    at_zero = Z == 0
    if got.shape == Z.shape and at_zero.any() and np.all(got[at_zero] == 1):
        return ("At Z = 0 your derivative is 1; this course defines ReLU′(0) = 0 (the unit is "
                "off). Use Z > 0, not Z >= 0.")
    return None


def cross_entropy_summed(got: float, expected: float, m: int) -> str | None:
    """got ≈ m·expected: the loss is summed over the batch instead of averaged."""
    if m > 1 and np.isclose(got, m * expected, rtol=1e-4):
        return (f"Your loss is m = {m} times too large: it is summed over the samples. "
                "Cross-entropy is the mean over the batch: divide the sum by m.")
    return None


def cross_entropy_sign(got: float, expected: float) -> str | None:
    """got ≈ −expected: the minus sign of −Σ Y·log A is missing."""
    if expected > 0 and np.isclose(got, -expected, rtol=1e-4):
        return "Your loss is negative: cross-entropy is −Σ Y·log(A) / m, with a minus sign."
    return None


def log_without_clipping(got) -> str | None:
    """nan or inf from log(0): the probabilities were not clipped before the log."""
    if not np.all(np.isfinite(np.asarray(got, dtype=np.float64))):
        return ("log(0) is −inf, and 0 · log(0) is nan. Clip the probabilities before the log, "
                "e.g. np.log(np.clip(A, 1e-12, 1.0)), so a zero probability gives a large finite "
                "loss.")
    return None


def init_all_zeros(W, name: str) -> str | None:
    """All weights are 0: every hidden unit computes the same thing and gets the same gradient."""
    if np.all(np.asarray(W) == 0):
        return (f"{name} is all zeros. Then every hidden unit computes the same value and "
                "receives the same gradient, so they never become different (and with ReLU, "
                "nothing learns). Draw the weights at random: rng.standard_normal(shape) * "
                "np.sqrt(2 / fan_in).")
    return None


def init_not_he_scaled(W, fan_in: int, name: str) -> str | None:
    """The weights' standard deviation is not He's sqrt(2 / fan_in)."""
    std, target = float(np.std(W)), float(np.sqrt(2.0 / fan_in))
    ratio = std / target
    if 0.8 <= ratio <= 1.25:
        return None
    if np.isclose(ratio, np.sqrt(0.5), rtol=0.1):
        cause = "That is Xavier/Glorot's sqrt(1 / fan_in); ReLU layers need the 2."
    elif np.isclose(std, 1.0, rtol=0.1):
        cause = "That is the standard normal itself: the scaling factor is missing."
    else:
        cause = "The scale is off."
    return (f"{name} has standard deviation {std:.3g}; He initialisation uses sqrt(2 / fan_in) = "
            f"sqrt(2 / {fan_in}) = {target:.3g}. {cause} Multiply standard normal draws by "
            "np.sqrt(2 / fan_in), where fan_in is the number of inputs of the layer.")


def init_not_seeded(same_seed_differs: bool, other_seed_same: bool) -> str | None:
    """Calls with the same seed differ, or calls with different seeds agree."""
    if same_seed_differs:
        return ("Two calls with the same seed returned different weights: the seed is not used. "
                "Create a generator from it, rng = np.random.default_rng(seed), and draw every "
                "weight from rng (or call np.random.seed(seed) first).")
    if other_seed_same:
        return ("Different seeds returned the same weights: the `seed` argument is ignored "
                "(a fixed seed is hard-coded?). Build the generator from the argument.")
    return None


def forward_missing_bias(got, without_bias, notation: Notation) -> str | None:
    """got equals the forward pass computed with both biases left out."""
    if _close(got, without_bias):
        formula = "X·W1 + b1" if notation.name == "rows" else "W1·X + b1"
        return (f"Your result matches a forward pass without the biases: Z1 = {formula} (and the "
                "same for Z2 with W2, b2). The bias broadcasts over the samples.")
    return None


def forward_missing_relu(got, without_relu) -> str | None:
    """got equals the forward pass with A1 = Z1 (no ReLU)."""
    if _close(got, without_relu):
        return "Your result matches a forward pass without the ReLU: A1 = relu(Z1), not Z1."
    return None


# ---- per exercise: the mistakes that fit, most specific first, then general advice --------------

def relu_mistakes(got, *, Z, expected) -> str:
    if _close(got, (np.asarray(Z) > 0).astype(np.float64)):
        return "You returned the derivative (0/1 values); relu(Z) returns max(Z, 0) itself."
    return first(transposed(got, expected)) or (
        "ReLU keeps each positive value and replaces every other one by 0: np.maximum(Z, 0).")


def relu_derivative_mistakes(got, *, Z, expected) -> str:
    if _close(got, np.maximum(Z, 0)) and not _close(got, expected):
        return "You returned ReLU(Z) itself; the derivative is 1 where Z > 0 and 0 elsewhere."
    return relu_derivative_true_at_zero(Z, got) or (
        "ReLU′(Z) is 1 where Z > 0 and 0 elsewhere (including Z = 0), element by element.")


def softmax_mistakes(got, *, Z, expected, notation: Notation) -> str:
    rows_Z = notation.to_rows(np.asarray(Z, dtype=np.float64))
    with np.errstate(over="ignore"):
        unnormalised = notation.from_rows(np.exp(rows_Z))
    hint = first(softmax_overflow(Z, got), softmax_wrong_axis(got, notation),
                 transposed(got, expected))
    if hint is None and _close(got, unnormalised):
        hint = "You returned exp(Z) without dividing by the per-sample sum of exp(Z)."
    return hint or ("Softmax of a sample: exp of its (max-shifted) logits divided by their sum "
                    f"over its 10 classes, i.e. over {class_axis_text(notation)}.")


def cross_entropy_mistakes(got: float, *, A, Y, expected: float, notation: Notation) -> str:
    m = np.asarray(Y).shape[notation.sample_axis]
    return first(log_without_clipping(got), cross_entropy_summed(got, expected, m),
                 cross_entropy_sign(got, expected)) or (
        "Cross-entropy: −Σ Y·log(A) over the classes and samples, divided by m, with A clipped "
        "away from 0 before the log.")


def forward_mistakes(got, *, name: str, X, params: dict, expected, notation: Notation) -> str:
    rows_X, rows_params = notation.to_rows(X), notation.dict_to_rows(params)
    no_bias = dict(rows_params, b1=0 * rows_params["b1"], b2=0 * rows_params["b2"])
    without_bias = notation.from_rows(network.forward(rows_X, no_bias)[1][name])
    Z1 = rows_X @ rows_params["W1"] + rows_params["b1"]
    Z2_linear = Z1 @ rows_params["W2"] + rows_params["b2"]
    without_relu = {"Z1": Z1, "A1": Z1, "Z2": Z2_linear, "A2": network.softmax(Z2_linear)}[name]
    return first(transposed(got, expected), forward_missing_bias(got, without_bias, notation),
                 forward_missing_relu(got, notation.from_rows(without_relu))) or (
        "Z1 = " + ("X·W1 + b1" if notation.name == "rows" else "W1·X + b1")
        + ", A1 = relu(Z1), Z2 = " + ("A1·W2 + b2" if notation.name == "rows" else "W2·A1 + b2")
        + ", A2 = softmax(Z2); the cache holds Z1, A1, Z2, A2.")


def backprop_variants(X, Y, params: dict, cache: dict, notation: Notation) -> dict:
    """The gradients a missing ReLU′ mask gives, and the dZ's, in notation: {dW1_no_mask, ...}."""
    X, Y = notation.to_rows(X), notation.to_rows(Y)
    params, cache = notation.dict_to_rows(params), notation.dict_to_rows(cache)
    m = X.shape[0]
    dZ2 = cache["A2"] - Y
    dZ1_no_mask = dZ2 @ params["W2"].T
    dZ1 = dZ1_no_mask * network.relu_derivative(cache["Z1"])
    rows = {"dW1_no_mask": X.T @ dZ1_no_mask / m,
            "db1_no_mask": dZ1_no_mask.sum(axis=0, keepdims=True) / m,
            "dZ1": dZ1, "dZ2": dZ2}
    return notation.dict_from_rows(rows)


def backprop_mistakes(got, *, name: str, expected, m: int, variants: dict,
                      notation: Notation) -> str:
    """name: dW1, db1, dW2 or db2; variants: from `backprop_variants`."""
    got = np.asarray(got)
    hints = [transposed(got, expected), missing_one_over_m(got, expected, m)]
    if name.startswith("db"):
        dZ = variants["dZ" + name[-1]]
        hints.append(missing_keepdims(got.shape, np.shape(expected)))
        hints.append(bias_summed_over_wrong_axis(got, dZ, m, notation, name)
                     if got.shape != np.shape(expected) or not _close(got, expected) else None)
    if name.endswith("1"):
        hints.append(missing_relu_mask(got, variants[name + "_no_mask"], name))
    return first(*hints) or (
        "dZ2 = A2 − Y; dW2 and db2 from dZ2 and A1; dZ1 = (back through W2) * relu_derivative(Z1); "
        "dW1 and db1 from dZ1 and X; every gradient divided by m and shaped like its parameter.")


def update_mistakes(got, *, W, dW, lr: float) -> str:
    return first(update_sign(got, W, dW, lr), update_without_lr(got, W, dW, lr),
                 transposed(got, W - lr * dW)) or (
        "Gradient descent: every parameter moves by −lr times its gradient, W ← W − lr·dW, "
        "with the gradient of W stored under 'dW'.")
