# A samples-as-rows student who took m from the training set in the data cell: backprop reads
# the global m, which grading never sets. Everything else is right.
# %%
import numpy as np
import matplotlib.pyplot as plt

from studentkit import check, load_mnist, use_notation

use_notation("rows")
# %%
X_train, y_train = load_mnist("train", notation="rows")
X_test, y_test = load_mnist("test", notation="rows")
m = X_train.shape[0]
Y_train = np.eye(10, dtype=np.float32)[y_train]
# %%
def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    rng = np.random.default_rng(seed)
    return {"W1": rng.standard_normal((n_input, n_hidden)) * np.sqrt(2 / n_input),
            "b1": np.zeros((1, n_hidden)),
            "W2": rng.standard_normal((n_hidden, n_output)) * np.sqrt(2 / n_hidden),
            "b2": np.zeros((1, n_output))}


def relu(Z):
    return np.maximum(Z, 0)


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


def relu_derivative(Z):
    return (Z > 0).astype(Z.dtype)
# %%
def backprop(X, Y, params, cache):
    dZ2 = (cache["A2"] - Y) / m
    dW2 = cache["A1"].T @ dZ2
    db2 = dZ2.sum(axis=0, keepdims=True)
    dZ1 = dZ2 @ params["W2"].T * relu_derivative(cache["Z1"])
    dW1 = X.T @ dZ1
    db1 = dZ1.sum(axis=0, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update(params, grads, lr):
    return {k: params[k] - lr * grads["d" + k] for k in ("W1", "b1", "W2", "b2")}
# %%
params = init_params()
for start in range(0, len(X_train), 64):
    A2, cache = forward(X_train[start:start + 64], params)
    params = update(params, backprop(X_train[start:start + 64], Y_train[start:start + 64],
                                     params, cache), 0.1)
