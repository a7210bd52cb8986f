"""backprop: the mistakes recognisable from the gradients it returns.

Each mistake is a variant of the reference math (computed with samples as rows, put back into the
notation): what the gradients are without the ReLU′ mask, with W2 not transposed, with
`A2 − Y / m`, ... A gradient that equals a variant names that mistake.
"""

from __future__ import annotations

import numpy as np

from grader.checks.diagnose.catalogue import Hint, advice
from grader.checks.diagnose.common import close, constant_ratio, first, missing_keepdims, \
    sample_axis_text, transposed
from reference import network
from reference.notation import Notation

GRADIENTS = ("dW1", "db1", "dW2", "db2")


def _gradients(X, dZ2, dZ1, A1, m) -> dict:
    """dW1, db1, dW2, db2 from the two dZ's, with samples as rows, divided by m."""
    return {"dW1": X.T @ dZ1 / m, "db1": dZ1.sum(axis=0, keepdims=True) / m,
            "dW2": A1.T @ dZ2 / m, "db2": dZ2.sum(axis=0, keepdims=True) / m}


def backprop_variants(X, Y, params: dict, cache: dict, notation: Notation) -> dict:
    """variant name → the gradients that mistake gives, in notation; "dZ1", "dZ2" → the right
    dZ's. Variants: no_mask (dZ1 without ReLU′), no_transpose (W2 for W2ᵀ; when W2 is square),
    precedence (dZ2 = A2 − Y / m, nothing else divided by m) and precedence_and_m (also / m)."""
    X, Y = notation.to_rows(X), notation.to_rows(Y)
    params, cache = notation.dict_to_rows(params), notation.dict_to_rows(cache)
    m, W2, A1 = X.shape[0], params["W2"], cache["A1"]
    mask = network.relu_derivative(cache["Z1"])
    dZ2 = cache["A2"] - Y
    variants = {"dZ1": dZ2 @ W2.T * mask, "dZ2": dZ2,
                "no_mask": _gradients(X, dZ2, dZ2 @ W2.T, A1, m)}
    if W2.shape[0] == W2.shape[1]:
        variants["no_transpose"] = _gradients(X, dZ2, dZ2 @ W2 * mask, A1, m)
    sigmoid_slope = A1 * (1 - A1)   # the sigmoid's derivative, written with its output
    variants["sigmoid_derivative"] = _gradients(X, dZ2, dZ2 @ W2.T * sigmoid_slope, A1, m)
    tilted = cache["A2"] - Y / m
    variants["precedence"] = _gradients(X, tilted, tilted @ W2.T * mask, A1, 1)
    variants["precedence_and_m"] = _gradients(X, tilted, tilted @ W2.T * mask, A1, m)
    return {name: notation.from_rows(value) if isinstance(value, np.ndarray)
            else notation.dict_from_rows(value) for name, value in variants.items()}


def missing_one_over_m(got, expected, m: int) -> Hint | None:
    """got ≈ m·expected: the batch mean's 1/m is missing."""
    if m > 1 and close(got, m * np.asarray(expected)):
        return Hint(f"Your values are m = {m} times too large: the 1/m is missing. The loss is the "
                    "mean over the batch, so every gradient is divided by m, the number of "
                    "samples.", "backprop.missing_1_over_m")
    return None


def scaled(got, expected, m: int, notation: Notation) -> Hint | None:
    """got = r·expected for one r: the wrong sign (r = −1, −m), or a division by another m."""
    ratio = constant_ratio(got, expected)
    if ratio is None or np.isclose(ratio, 1) or np.isclose(ratio, m):
        return None
    if np.isclose(ratio, -1) or np.isclose(ratio, -m):
        also = " (and the 1/m is missing too)" if np.isclose(ratio, -m) and m > 1 else ""
        return Hint(f"Your gradients have the wrong sign{also}: dZ2 = A2 − Y, prediction minus "
                    "truth, not Y − A2.", "backprop.wrong_sign")
    divisor = m / ratio
    sizes = {784: f"X.shape[{1 - notation.sample_axis}], the 784 pixels",
             10: f"Y.shape[{notation.class_axis}], the 10 classes"}
    if round(divisor) in sizes and np.isclose(divisor, round(divisor), rtol=1e-6) \
            and round(divisor) != m:
        return Hint(f"Your gradients are divided by {round(divisor)}, not by m = {m}: that is "
                    f"{sizes[round(divisor)]} (len(...) counts the rows, which hold the "
                    f"{'samples' if notation.sample_axis == 0 else 'pixels or classes'} in this "
                    f"notation). m is the number of samples, X.shape[{notation.sample_axis}].",
                    "backprop.divides_by_wrong_size")
    if divisor > 1 and np.isclose(divisor, round(divisor), rtol=1e-6, atol=1e-6):
        return Hint(f"Your gradients are divided by {round(divisor)}, not by m = {m}, the number "
                    "of samples of the batch passed in: m must come from the function's own "
                    f"arguments, m = X.shape[{notation.sample_axis}] — a global m (the size of the "
                    "whole training set, say) is wrong for every other batch.",
                    "backprop.divides_by_global_m")
    return None


def bias_summed_over_everything(got, dZ, m: int, notation: Notation, name: str) -> Hint | None:
    """A bias gradient that is one number (or (1, 1)): np.sum(dZ) over every axis."""
    got = np.asarray(got, dtype=np.float64)
    total = float(np.sum(dZ))
    if got.size == 1 and any(np.isclose(got.item(), total / n, rtol=1e-4, atol=1e-9)
                             for n in (m, 1)):
        return Hint(f"{name} is one number: np.sum(dZ) adds up every entry, over the samples and "
                    "over the units, so all the units get one and the same bias gradient. Sum "
                    f"over the samples only, {sample_axis_text(notation)}, with keepdims=True: "
                    f"np.sum(dZ, axis={notation.sample_axis}, keepdims=True) / m.",
                    "backprop.bias_summed_over_everything")
    return None


def bias_summed_over_wrong_axis(got, dZ, m: int, notation: Notation, name: str) -> Hint | None:
    """A bias gradient summed over the units instead of over the samples. dZ: in notation."""
    rows_dZ = notation.to_rows(np.asarray(dZ))
    wrong = notation.from_rows(rows_dZ.sum(axis=1, keepdims=True))
    got = np.asarray(got)
    if got.shape == wrong.shape or close(got, wrong / m) or close(got, wrong):
        return Hint(f"{name} sums over the wrong axis. A bias gradient adds up the contributions "
                    f"of all samples: sum over {sample_axis_text(notation)} with keepdims=True, "
                    "then divide by m.", "backprop.bias_over_wrong_axis")
    return None


def missing_relu_mask(got, without_mask, name: str) -> Hint | None:
    """got equals the gradient computed without multiplying dZ1 by ReLU′(Z1)."""
    if close(got, without_mask):
        return Hint(f"{name} matches the gradient computed without the ReLU′ mask. Going back "
                    "through the ReLU, multiply element-wise by relu_derivative(Z1): dZ1 = (dZ2 "
                    "brought back through W2) * relu_derivative(Z1). Units that were off in the "
                    "forward pass pass no gradient back.", "backprop.missing_relu_mask")
    return None


def missing_transpose(got, without_transpose, name: str, notation: Notation) -> Hint | None:
    """got equals the gradient computed with W2 where W2ᵀ belongs (visible only when W2 is
    square: otherwise the product raises)."""
    if without_transpose is not None and close(got, without_transpose):
        right = "dZ2 @ W2.T" if notation.name == "rows" else "W2.T @ dZ2"
        return Hint(f"{name} matches the gradient computed with W2 where its transpose belongs. "
                    f"Bringing dZ2 back through the output layer is {right}; W2 here is square, "
                    "so the product without .T runs, but mixes up the units.",
                    "backprop.missing_transpose")
    return None


def sigmoid_derivative(got, variant, name: str) -> Hint | None:
    """got equals the gradient with A1·(1 − A1), the sigmoid's derivative, as the mask."""
    if close(got, variant):
        return Hint(f"{name} matches the gradient computed with A1·(1 − A1), the derivative of "
                    "the sigmoid. The hidden layer here is a ReLU: multiply by "
                    "relu_derivative(Z1) (1 where Z1 > 0, else 0).",
                    "backprop.other_activation_derivative")
    return None


def operator_precedence(got, name: str, variants: dict, m: int) -> Hint | None:
    """got equals a gradient from dZ2 = A2 − Y / m: only Y was divided by m."""
    if any(close(got, variants[key][name]) for key in ("precedence", "precedence_and_m")) \
            and m > 1:
        return Hint("Your gradients match dZ2 = A2 − Y / m: division binds tighter than "
                    "subtraction, so only Y is divided by m. Write (A2 − Y) / m, or divide the "
                    "gradients by m once, at the end.", "backprop.precedence_y_over_m")
    return None


def missing_bias_gradients(missing: list[str]) -> Hint | None:
    """No db1 / db2 in backprop's dict."""
    if missing and all(key.startswith("db") for key in missing):
        return Hint("Your backprop returns no " + " and ".join(missing) + ": the biases are "
                    "parameters too and need their gradients, the sums of dZ1 and dZ2 over the "
                    "samples divided by m, shaped like b1 and b2.",
                    "backprop.missing_bias_gradients")
    return None


def backprop_mistakes(got, *, name: str, expected, m: int, variants: dict,
                      notation: Notation) -> Hint:
    """name: dW1, db1, dW2 or db2; variants: from `backprop_variants`."""
    got = np.asarray(got)
    hints = []
    if name.startswith("db"):
        dZ = variants["dZ" + name[-1]]
        if got.shape != np.shape(expected) or not close(got, expected):
            # First: with one sample, a sum over the units is (1, 1), one number too.
            hints.append(bias_summed_over_wrong_axis(got, dZ, m, notation, name))
        hints += [bias_summed_over_everything(got, dZ, m, notation, name),
                  missing_keepdims(got.shape, np.shape(expected))]
    hints += [transposed(got, expected), missing_one_over_m(got, expected, m),
              operator_precedence(got, name, variants, m), scaled(got, expected, m, notation)]
    if name.endswith("1"):
        hints += [missing_relu_mask(got, variants["no_mask"][name], name),
                  sigmoid_derivative(got, variants["sigmoid_derivative"][name], name),
                  missing_transpose(got, variants.get("no_transpose", {}).get(name), name,
                                    notation)]
    return first(*hints) or advice(
        "dZ2 = A2 − Y; dW2 and db2 from dZ2 and A1; dZ1 = (back through W2) * relu_derivative(Z1); "
        "dW1 and db1 from dZ1 and X; every gradient divided by m and shaped like its parameter.")
