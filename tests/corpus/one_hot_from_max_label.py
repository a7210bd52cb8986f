# Samples as columns. The student's own training cell passes integer labels, so backprop turns
# the one-hot Y back into labels and rebuilds a one-hot with the tutorial's helper, which makes
# Y.max() + 1 rows: one row short whenever a batch holds no 9.
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


def softmax(Z):
    expZ = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return expZ / expZ.sum(axis=0, keepdims=True)


def forward(X, params):
    Z1 = params["W1"].dot(X) + params["b1"]
    A1 = relu(Z1)
    Z2 = params["W2"].dot(A1) + params["b2"]
    A2 = softmax(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def cross_entropy(A, Y):
    return float(-np.sum(Y * np.log(np.clip(A, 1e-12, 1))) / Y.shape[1])


def relu_derivative(Z):
    return Z > 0
# %%
def one_hot(Y):
    one_hot_Y = np.zeros((Y.size, Y.max() + 1))
    one_hot_Y[np.arange(Y.size), Y] = 1
    one_hot_Y = one_hot_Y.T
    return one_hot_Y


def backprop(X, Y, params, cache):
    if Y.ndim == 2:
        Y = np.argmax(Y, axis=0)
    m = Y.size
    one_hot_Y = one_hot(Y)
    dZ2 = cache["A2"] - one_hot_Y
    dW2 = 1 / m * dZ2.dot(cache["A1"].T)
    db2 = 1 / m * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = params["W2"].T.dot(dZ2) * relu_derivative(cache["Z1"])
    dW1 = 1 / m * dZ1.dot(X.T)
    db1 = 1 / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update(params, grads, lr):
    return {key: params[key] - lr * grads["d" + key] for key in params}
# %%
X_train, y_train = load_mnist("train", notation="columns")
params = init_params()
for i in range(300):
    A2, cache = forward(X_train, params)
    params = update(params, backprop(X_train, y_train, params, cache), 0.5)
