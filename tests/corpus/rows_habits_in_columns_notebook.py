# A samples-as-columns notebook written with samples-as-rows habits: backprop takes m = len(X),
# which with samples as columns is the 784 pixels, and He's scale uses the number of rows of
# each weight matrix, which here is the layer's number of outputs.
# %%
import numpy as np
import matplotlib.pyplot as plt

from studentkit import check, load_mnist, use_notation

use_notation("columns")
# %%
def init_params(n_input=784, n_hidden=10, n_output=10, seed=0):
    rng = np.random.default_rng(seed)
    params = {}
    for name, (rows, cols) in {"1": (n_hidden, n_input), "2": (n_output, n_hidden)}.items():
        params["W" + name] = rng.standard_normal((rows, cols)) * np.sqrt(2 / rows)
        params["b" + name] = np.zeros((rows, 1))
    return params


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
# %%
def backprop(X, Y, params, cache):
    m = len(X)
    dZ2 = cache["A2"] - Y
    dZ1 = params["W2"].T @ dZ2 * relu_derivative(cache["Z1"])
    return {"dW1": dZ1 @ X.T / m, "db1": dZ1.sum(axis=1, keepdims=True) / m,
            "dW2": dZ2 @ cache["A1"].T / m, "db2": dZ2.sum(axis=1, keepdims=True) / m}


def update(params, grads, lr):
    return {k: params[k] - lr * grads["d" + k] for k in params}
