# Samples as rows, a beginner's first NumPy: Python's max() and an if on whole arrays in relu
# and its derivative, and forward returns (cache, A2) in the wrong order.
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
# %%
def relu(Z):
    return max(0, Z)
# %%
def relu_derivative(Z):
    if Z > 0:
        return 1
    return 0
# %%
def softmax(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
# %%
def forward(X, params):
    Z1 = X @ params["W1"] + params["b1"]
    A1 = np.maximum(Z1, 0)
    Z2 = A1 @ params["W2"] + params["b2"]
    A2 = softmax(Z2)
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    return cache, A2
# %%
def cross_entropy(A, Y):
    return float(-np.sum(Y * np.log(np.clip(A, 1e-12, 1.0))) / Y.shape[0])


def backprop(X, Y, params, cache):
    m = X.shape[0]
    dZ2 = cache["A2"] - Y
    dZ1 = dZ2 @ params["W2"].T * (cache["Z1"] > 0)
    return {"dW1": X.T @ dZ1 / m, "db1": dZ1.sum(axis=0, keepdims=True) / m,
            "dW2": cache["A1"].T @ dZ2 / m, "db2": dZ2.sum(axis=0, keepdims=True) / m}


def update(params, grads, lr):
    return {k: params[k] - lr * grads["d" + k] for k in params}
