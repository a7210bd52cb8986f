# Samples as columns. This student treats the biases as fixed: backprop returns only the
# weights' gradients, and update only moves the weights.
# %%
import numpy as np
import matplotlib.pyplot as plt

from studentkit import check, load_mnist, use_notation

use_notation("columns")
# %%
def init_params(n_input=784, n_hidden=10, n_output=10, seed=0):
    gen = np.random.default_rng(seed)
    W1 = gen.normal(size=(n_hidden, n_input)) * (2 / n_input) ** 0.5
    W2 = gen.normal(size=(n_output, n_hidden)) * (2 / n_hidden) ** 0.5
    return {"W1": W1, "b1": np.zeros((n_hidden, 1)), "W2": W2, "b2": np.zeros((n_output, 1))}


def relu(Z):
    return np.maximum(Z, 0.0)


def relu_derivative(Z):
    return np.greater(Z, 0).astype(Z.dtype)


def softmax(Z):
    e = np.exp(Z - Z.max(0))
    return e / e.sum(0)


def forward(X, params):
    Z1 = params["W1"] @ X + params["b1"]
    A1 = relu(Z1)
    Z2 = params["W2"] @ A1 + params["b2"]
    A2 = softmax(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def cross_entropy(A, Y):
    return float(np.mean(-np.sum(Y * np.log(np.clip(A, 1e-12, 1.0)), axis=0)))
# %%
def backprop(X, Y, params, cache):
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dZ1 = params["W2"].T @ dZ2 * relu_derivative(cache["Z1"])
    return {"dW1": dZ1 @ X.T / m, "dW2": dZ2 @ cache["A1"].T / m}


def update(params, grads, lr):
    new = dict(params)
    new["W1"] = params["W1"] - lr * grads["dW1"]
    new["W2"] = params["W2"] - lr * grads["dW2"]
    return new
