# Samples as columns: update steps with the global learning rate alpha set in a constants cell,
# not with its lr argument (right only when lr happens to be 0.1).
# %%
import numpy as np
import matplotlib.pyplot as plt

from studentkit import check, load_mnist, use_notation

use_notation("columns")
# %%
alpha = 0.1
iterations = 500
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
    return (Z > 0).astype(Z.dtype)


def softmax(Z):
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def forward(X, params):
    Z1 = params["W1"] @ X + params["b1"]
    A1 = relu(Z1)
    Z2 = params["W2"] @ A1 + params["b2"]
    A2 = softmax(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def cross_entropy(A, Y):
    return float(-np.sum(Y * np.log(np.clip(A, 1e-12, 1.0))) / Y.shape[1])


def backprop(X, Y, params, cache):
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dZ1 = params["W2"].T @ dZ2 * relu_derivative(cache["Z1"])
    return {"dW1": dZ1 @ X.T / m, "db1": dZ1.sum(axis=1, keepdims=True) / m,
            "dW2": dZ2 @ cache["A1"].T / m, "db2": dZ2.sum(axis=1, keepdims=True) / m}
# %%
def update(params, grads, lr):
    W1 = params["W1"] - alpha * grads["dW1"]
    b1 = params["b1"] - alpha * grads["db1"]
    W2 = params["W2"] - alpha * grads["dW2"]
    b2 = params["b2"] - alpha * grads["db2"]
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
