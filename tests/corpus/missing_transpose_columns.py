# Samples as columns, 10 hidden units: W2 is square, so dZ1 = W2·dZ2 (missing the transpose)
# runs in the student's notebook and silently computes the wrong gradient.
# %%
import numpy as np
import matplotlib.pyplot as plt

from studentkit import check, load_mnist, use_notation

use_notation("columns")
# %%
def init_params(n_input=784, n_hidden=10, n_output=10, seed=0):
    rng = np.random.default_rng(seed)
    return {"W1": rng.standard_normal((n_hidden, n_input)) * np.sqrt(2 / n_input),
            "b1": np.zeros((n_hidden, 1)),
            "W2": rng.standard_normal((n_output, n_hidden)) * np.sqrt(2 / n_hidden),
            "b2": np.zeros((n_output, 1))}


def relu(Z):
    return np.maximum(Z, 0)


def relu_derivative(Z):
    return Z > 0


def softmax(Z):
    e = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def forward(X, params):
    Z1 = params["W1"].dot(X) + params["b1"]
    A1 = relu(Z1)
    Z2 = params["W2"].dot(A1) + params["b2"]
    A2 = softmax(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def cross_entropy(A, Y):
    return float(-np.sum(Y * np.log(np.clip(A, 1e-12, 1.0))) / Y.shape[1])
# %%
def backprop(X, Y, params, cache):
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dW2 = dZ2.dot(cache["A1"].T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = params["W2"].dot(dZ2) * relu_derivative(cache["Z1"])
    dW1 = dZ1.dot(X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update(params, grads, lr):
    return {k: params[k] - lr * grads["d" + k] for k in params}
