"""forward and update: the mistakes recognisable from their values.

forward: X (m, 784), params W1 (784, h), b1 (1, h), W2 (h, 10), b2 (1, 10) with samples as rows,
every array transposed with samples as columns; update: W, dW of one parameter, any shape.
"""

from __future__ import annotations

import numpy as np

from grader.checks.diagnose.catalogue import Hint, advice
from grader.checks.diagnose.common import close, first, transposed
from reference import network
from reference.notation import Notation


def formulas(notation: Notation) -> str:
    if notation.name == "rows":
        return "Z1 = X·W1 + b1, A1 = relu(Z1), Z2 = A1·W2 + b2, A2 = softmax(Z2)"
    return "Z1 = W1·X + b1, A1 = relu(Z1), Z2 = W2·A1 + b2, A2 = softmax(Z2)"


def forward_missing_bias(got, without_bias, notation: Notation) -> Hint | None:
    """got equals the forward pass computed with both biases left out."""
    if close(got, without_bias):
        formula = "X·W1 + b1" if notation.name == "rows" else "W1·X + b1"
        return Hint(f"Your result matches a forward pass without the biases: Z1 = {formula} (and "
                    "the same for Z2 with W2, b2). The bias broadcasts over the samples.",
                    "forward.missing_bias")
    return None


def forward_missing_relu(got, without_relu) -> Hint | None:
    """got equals the forward pass with A1 = Z1 (no ReLU)."""
    if close(got, without_relu):
        return Hint("Your result matches a forward pass without the ReLU: A1 = relu(Z1), not Z1.",
                    "forward.missing_relu")
    return None


def forward_other_activation(got, name: str, rows_X, rows_params, notation: Notation
                             ) -> Hint | None:
    """got equals the forward pass with sigmoid or tanh in the hidden layer instead of ReLU."""
    Z1 = rows_X @ rows_params["W1"] + rows_params["b1"]
    for activation, A1 in (("sigmoid", 1 / (1 + np.exp(-Z1))), ("tanh", np.tanh(Z1))):
        Z2 = A1 @ rows_params["W2"] + rows_params["b2"]
        variant = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": network.softmax(Z2)}[name]
        if name != "Z1" and close(got, notation.from_rows(variant)):
            return Hint(f"Your hidden layer uses {activation}, not ReLU: this network's hidden "
                        "activation is A1 = relu(Z1) = max(Z1, 0) (and backprop's mask "
                        "relu_derivative(Z1) goes with it).", "forward.other_activation")
    Z2 = network.relu(Z1) @ rows_params["W2"] + rows_params["b2"]
    if name == "A2" and close(got, notation.from_rows(1 / (1 + np.exp(-Z2)))):
        return Hint("Your output layer is a sigmoid, one probability per class on its own. The "
                    "output of this network is A2 = softmax(Z2): the 10 probabilities of each "
                    "sample sum to 1.", "forward.sigmoid_output")
    return None


def forward_returns_four_arrays(value, notation: Notation) -> Hint | None:
    """The tutorials' `return Z1, A1, Z2, A2` instead of (A2, cache)."""
    if isinstance(value, (tuple, list)) and len(value) == 4 \
            and all(isinstance(item, np.ndarray) for item in value):
        return Hint("You return four arrays, (Z1, A1, Z2, A2), as many tutorials do. This "
                    "notebook's forward returns two things: A2 and the cache dict, "
                    "`return A2, {'Z1': Z1, 'A1': A1, 'Z2': Z2, 'A2': A2}`; backprop reads the "
                    "cache by name.", "forward.returns_four_arrays")
    return None


def forward_pair_swapped(A2, cache) -> Hint | None:
    """(cache, A2) where (A2, cache) was expected."""
    if isinstance(A2, dict) and isinstance(cache, np.ndarray):
        return Hint("You return (cache, A2): the order is A2 first, then the cache, "
                    "`return A2, cache`.", "forward.pair_swapped")
    return None


def forward_mistakes(got, *, name: str, X, params: dict, expected, notation: Notation) -> Hint:
    rows_X, rows_params = notation.to_rows(X), notation.dict_to_rows(params)
    no_bias = dict(rows_params, b1=0 * rows_params["b1"], b2=0 * rows_params["b2"])
    without_bias = notation.from_rows(network.forward(rows_X, no_bias)[1][name])
    Z1 = rows_X @ rows_params["W1"] + rows_params["b1"]
    Z2_linear = Z1 @ rows_params["W2"] + rows_params["b2"]
    without_relu = {"Z1": Z1, "A1": Z1, "Z2": Z2_linear, "A2": network.softmax(Z2_linear)}[name]
    with np.errstate(over="ignore"):
        other_activation = forward_other_activation(got, name, rows_X, rows_params, notation)
    return first(transposed(got, expected), forward_missing_bias(got, without_bias, notation),
                 forward_missing_relu(got, notation.from_rows(without_relu)),
                 other_activation) or advice(
        formulas(notation) + "; the cache holds Z1, A1, Z2, A2.")


# ---- update ---------------------------------------------------------------------------------------

def update_sign(got, W, dW, lr: float) -> Hint | None:
    """got ≈ W + lr·dW: the step goes uphill."""
    if lr != 0 and close(got, W + lr * dW):
        return Hint("Your step goes uphill: you computed W + lr·dW. Gradient descent moves "
                    "against the gradient: W ← W − lr·dW.", "update.wrong_sign")
    return None


def update_without_lr(got, W, dW, lr: float) -> Hint | None:
    """got ≈ W − dW: the learning rate is not applied."""
    if lr != 1 and close(got, W - dW):
        return Hint("The learning rate is missing: the step is W ← W − lr·dW, not W − dW.",
                    "update.without_lr")
    return None


def update_step_size(got, W, dW, lr: float, name: str) -> Hint | None:
    """got ≈ W − c·dW for one c ≠ lr: a fixed learning rate (c > 0) or no step at all (c = 0)."""
    got, W, dW = (np.asarray(a, dtype=np.float64) for a in (got, W, dW))
    if got.shape != W.shape or not np.any(dW):
        return None
    step = float(np.sum((W - got) * dW) / np.sum(dW * dW))
    if not close(got, W - step * dW) or np.isclose(step, lr, rtol=1e-6):
        return None
    if abs(step) < 1e-12:
        if name.startswith("b"):
            return Hint(f"{name} comes back unchanged: the biases must take their step too, "
                        f"{name} ← {name} − lr·d{name}.", "update.biases_not_updated")
        return None
    if step > 0:
        return Hint(f"Your step uses a learning rate of {step:g} whatever lr is passed (here "
                    f"lr = {lr:g}): use the argument lr, not a fixed number or a global variable "
                    "such as alpha or learning_rate.", "update.ignores_lr")
    return None


def update_mistakes(got, *, W, dW, lr: float, name: str = "W") -> Hint:
    return first(update_sign(got, W, dW, lr), update_without_lr(got, W, dW, lr),
                 update_step_size(got, W, dW, lr, name), transposed(got, W - lr * dW)) or advice(
        "Gradient descent: every parameter moves by −lr times its gradient, W ← W − lr·dW, "
        "with the gradient of W stored under 'dW'.")


def update_missing_biases(missing: list[str]) -> Hint | None:
    """update's result lacks b1/b2 (only the weights were updated and returned)."""
    if missing and all(key.startswith("b") for key in missing):
        return Hint("Your update returns no " + " and ".join(missing) + ": the biases take a "
                    "gradient step too (b ← b − lr·db), and the new dict holds all four "
                    "parameters.", "update.biases_not_updated")
    return None
