# Samples as rows: backprop returns the gradients with the wrong sign (dZ2 = Y − A2), and update
# compensates by adding them. The two together train in the notebook, but each breaks its own
# contract: whoever calls backprop or update alone (the next assignment's optimiser, say) gets
# the wrong direction.
# %%
import numpy as np
import matplotlib.pyplot as plt

from studentkit import check, load_mnist, use_notation

use_notation("rows")
# %%
def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    rng = np.random.default_rng(seed)
    return {"W1": rng.standard_normal((n_input, n_hidden)) * np.sqrt(2 / n_input),
            "b1": np.zeros((1, n_hidden)),
            "W2": rng.standard_normal((n_hidden, n_output)) * np.sqrt(2 / n_hidden),
            "b2": np.zeros((1, n_output))}


def relu(Z):
    return np.maximum(Z, 0)


def relu_derivative(Z):
    return (Z > 0).astype(Z.dtype)


def softmax(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def forward(X, params):
    Z1 = X @ params["W1"] + params["b1"]
    A1 = relu(Z1)
    Z2 = A1 @ params["W2"] + params["b2"]
    A2 = softmax(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def cross_entropy(A, Y):
    return float(-np.sum(Y * np.log(np.clip(A, 1e-12, 1.0))) / Y.shape[0])
# %%
def backprop(X, Y, params, cache):
    m = X.shape[0]
    error = Y - cache["A2"]
    hidden_error = error @ params["W2"].T * relu_derivative(cache["Z1"])
    return {"dW1": X.T @ hidden_error / m, "db1": hidden_error.mean(axis=0, keepdims=True),
            "dW2": cache["A1"].T @ error / m, "db2": error.mean(axis=0, keepdims=True)}


def update(params, grads, lr):
    return {k: params[k] + lr * grads["d" + k] for k in params}
