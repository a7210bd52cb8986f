"""The reference network, 784 → hidden → 10, written once with samples as rows.

Shapes (m samples, h hidden units, 10 classes):
    X  (m, 784)   W1 (784, h)   b1 (1, h)   Z1, A1 (m, h)
    Y  (m, 10)    W2 (h, 10)    b2 (1, 10)  Z2, A2 (m, 10)

The samples-as-columns notation is the same math transposed; `reference.notation` adapts it,
so there is exactly one copy of every formula.
"""

from __future__ import annotations

import numpy as np

#: Probabilities are clipped to [EPS, 1] before the log, so log(0) never happens.
EPS = 1e-12

PARAM_NAMES = ("W1", "b1", "W2", "b2")
CACHE_NAMES = ("Z1", "A1", "Z2", "A2")


def relu(Z: np.ndarray) -> np.ndarray:
    """max(Z, 0), element-wise. Z: any shape → same shape."""
    return np.maximum(Z, 0)


def relu_derivative(Z: np.ndarray) -> np.ndarray:
    """ReLU′(Z): 1 where Z > 0, else 0 (0 at Z = 0 too). Z: any shape → same shape, Z's dtype."""
    return (Z > 0).astype(Z.dtype)


def softmax(Z: np.ndarray) -> np.ndarray:
    """Class probabilities for each sample. Z: (m, 10) logits → (m, 10), every row sums to 1.

    Subtracting each row's maximum first changes nothing mathematically (softmax ignores a
    constant shift) but keeps exp() from overflowing for logits as large as 1e4.
    """
    shifted = Z - Z.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    return exps / exps.sum(axis=1, keepdims=True)


def cross_entropy(A: np.ndarray, Y: np.ndarray) -> float:
    """Mean over the batch of −Σ_k Y·log A. A: (m, 10) probabilities, Y: (m, 10) one-hot → float."""
    m = Y.shape[0]
    return float(-np.sum(Y * np.log(np.clip(A, EPS, 1.0))) / m)


def init_params(n_input: int = 784, n_hidden: int = 128, n_output: int = 10, seed: int = 0,
                dtype=np.float32) -> dict[str, np.ndarray]:
    """He-scaled normal weights, zero biases; the same seed gives the same values.

    Returns W1 (n_input, n_hidden), b1 (1, n_hidden), W2 (n_hidden, n_output), b2 (1, n_output).
    He scaling (std = sqrt(2 / fan_in)) keeps the variance of ReLU activations steady layer to layer.
    """
    rng = np.random.default_rng(seed)
    return {
        "W1": (rng.standard_normal((n_input, n_hidden)) * np.sqrt(2.0 / n_input)).astype(dtype),
        "b1": np.zeros((1, n_hidden), dtype=dtype),
        "W2": (rng.standard_normal((n_hidden, n_output)) * np.sqrt(2.0 / n_hidden)).astype(dtype),
        "b2": np.zeros((1, n_output), dtype=dtype),
    }


def forward(X: np.ndarray, params: dict) -> tuple[np.ndarray, dict]:
    """Forward pass. X: (m, 784) → A2 (m, 10) and cache {Z1, A1 (m, h); Z2, A2 (m, 10)}.

    Z1 = X·W1 + b1,  A1 = ReLU(Z1),  Z2 = A1·W2 + b2,  A2 = softmax(Z2).
    """
    Z1 = X @ params["W1"] + params["b1"]
    A1 = relu(Z1)
    Z2 = A1 @ params["W2"] + params["b2"]
    A2 = softmax(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def backprop(X: np.ndarray, Y: np.ndarray, params: dict, cache: dict) -> dict[str, np.ndarray]:
    """Gradients of the mean cross-entropy. X: (m, 784), Y: (m, 10) one-hot.

    Returns dW1 (784, h), db1 (1, h), dW2 (h, 10), db2 (1, 10), each shaped like its parameter.
    dZ2 = A2 − Y is the gradient of cross-entropy through softmax together (per sample);
    the 1/m comes from the loss being a mean over the batch.
    """
    m = X.shape[0]
    dZ2 = cache["A2"] - Y
    dW2 = cache["A1"].T @ dZ2 / m
    db2 = dZ2.sum(axis=0, keepdims=True) / m
    dZ1 = (dZ2 @ params["W2"].T) * relu_derivative(cache["Z1"])
    dW1 = X.T @ dZ1 / m
    db1 = dZ1.sum(axis=0, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update(params: dict, grads: dict, lr: float) -> dict[str, np.ndarray]:
    """One gradient-descent step, W ← W − lr·dW, for every parameter.

    Returns a new dict; `params` is not mutated. Shapes are those of `params`.
    """
    return {name: params[name] - lr * grads["d" + name] for name in PARAM_NAMES}


def predict(X: np.ndarray, params: dict) -> np.ndarray:
    """Predicted digit per sample. X: (m, 784) → (m,) integer labels."""
    A2, _ = forward(X, params)
    return A2.argmax(axis=1)


def accuracy(X: np.ndarray, labels: np.ndarray, params: dict) -> float:
    """Fraction of samples whose predicted digit equals the label. X: (m, 784), labels: (m,)."""
    return float(np.mean(predict(X, params) == labels))
