# Samples as rows, an object-oriented student: a Linear layer class with a backward method. Its
# bias gradient sums over axis=1 (the units) instead of axis=0 (the samples).
# %%
import numpy as np
import matplotlib.pyplot as plt

from studentkit import check, load_mnist, use_notation

use_notation("rows")
# %%
class Linear:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def __call__(self, X):
        return X @ self.W + self.b

    def backward(self, X, dZ):
        m = X.shape[0]
        dW = X.T @ dZ / m
        db = dZ.sum(axis=1, keepdims=True) / m
        return dW, db, dZ @ self.W.T


class ReLU:
    @staticmethod
    def __call__(Z):
        return np.maximum(Z, 0)

    @staticmethod
    def grad(Z):
        return (Z > 0).astype(Z.dtype)
# %%
def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    rng = np.random.default_rng(seed)
    return {"W1": rng.standard_normal((n_input, n_hidden)) * np.sqrt(2 / n_input),
            "b1": np.zeros((1, n_hidden)),
            "W2": rng.standard_normal((n_hidden, n_output)) * np.sqrt(2 / n_hidden),
            "b2": np.zeros((1, n_output))}


def relu(Z):
    return ReLU()(Z)


def relu_derivative(Z):
    return ReLU.grad(Z)


def softmax(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def forward(X, params):
    Z1 = Linear(params["W1"], params["b1"])(X)
    A1 = relu(Z1)
    Z2 = Linear(params["W2"], params["b2"])(A1)
    A2 = softmax(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def cross_entropy(A, Y):
    return float(-np.sum(Y * np.log(np.clip(A, 1e-12, 1.0))) / Y.shape[0])


def backprop(X, Y, params, cache):
    dZ2 = cache["A2"] - Y
    dW2, db2, dA1 = Linear(params["W2"], params["b2"]).backward(cache["A1"], dZ2)
    dZ1 = dA1 * relu_derivative(cache["Z1"])
    dW1, db1, _ = Linear(params["W1"], params["b1"]).backward(X, dZ1)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update(params, grads, lr):
    return {k: params[k] - lr * grads["d" + k] for k in params}
