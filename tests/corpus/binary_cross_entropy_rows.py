# Samples as rows: cross_entropy is the binary cross-entropy of a logistic-regression course,
# with the (1 − Y)·log(1 − A) terms, averaged over the samples.
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
# %%
def cross_entropy(A, Y):
    m = Y.shape[0]
    A = np.clip(A, 1e-12, 1 - 1e-12)
    return float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)
# %%
def backprop(X, Y, params, cache):
    m = X.shape[0]
    dZ2 = cache["A2"] - Y
    dZ1 = dZ2 @ params["W2"].T * relu_derivative(cache["Z1"])
    return {"dW1": X.T @ dZ1 / m, "db1": dZ1.sum(axis=0, keepdims=True) / m,
            "dW2": cache["A1"].T @ dZ2 / m, "db2": dZ2.sum(axis=0, keepdims=True) / m}


def update(params, grads, lr):
    return {k: params[k] - lr * grads["d" + k] for k in params}
