# A student filled in the stubs correctly, then pasted a whole tutorial notebook below them "to
# compare". Its init_params and forward have other arguments; Python keeps the last definition,
# so those are the ones graded.
# %%
import numpy as np
import matplotlib.pyplot as plt

from studentkit import check, load_mnist, use_notation

use_notation("rows")
# %%
def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((n_input, n_hidden)) * np.sqrt(2.0 / n_input)
    W2 = rng.standard_normal((n_hidden, n_output)) * np.sqrt(2.0 / n_hidden)
    return {"W1": W1.astype(np.float32), "b1": np.zeros((1, n_hidden), dtype=np.float32),
            "W2": W2.astype(np.float32), "b2": np.zeros((1, n_output), dtype=np.float32)}
# %%
check("init_params", init_params)
# %%
def relu(Z):
    return np.maximum(Z, 0)
# %%
def softmax(Z):
    shifted = Z - np.max(Z, axis=1, keepdims=True)
    E = np.exp(shifted)
    return E / np.sum(E, axis=1, keepdims=True)
# %%
def forward(X, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    Z1 = X @ W1 + b1
    A1 = relu(Z1)
    Z2 = A1 @ W2 + b2
    A2 = softmax(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
# %%
def cross_entropy(A, Y):
    m = Y.shape[0]
    return float(-np.sum(Y * np.log(np.clip(A, 1e-12, 1.0))) / m)
# %%
def relu_derivative(Z):
    return (Z > 0).astype(Z.dtype)
# %%
def backprop(X, Y, params, cache):
    m = X.shape[0]
    dZ2 = cache["A2"] - Y
    dW2 = (cache["A1"].T @ dZ2) / m
    db2 = np.sum(dZ2, axis=0, keepdims=True) / m
    dZ1 = dZ2 @ params["W2"].T * relu_derivative(cache["Z1"])
    dW1 = (X.T @ dZ1) / m
    db1 = np.sum(dZ1, axis=0, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
# %%
def update(params, grads, lr):
    return {name: params[name] - lr * grads["d" + name] for name in ("W1", "b1", "W2", "b2")}
# %% [markdown]
# ## The tutorial I followed (pasted for reference)
# %%
def init_params():
    W1 = np.random.randn(784, 128) * 0.01
    b1 = np.zeros((1, 128))
    W2 = np.random.randn(128, 10) * 0.01
    b2 = np.zeros((1, 10))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def forward(X, W1, b1, W2, b2):
    Z1 = X.dot(W1) + b1
    A1 = np.maximum(Z1, 0)
    Z2 = A1.dot(W2) + b2
    A2 = np.exp(Z2) / np.sum(np.exp(Z2), axis=1, keepdims=True)
    return Z1, A1, Z2, A2
# %%
W1, b1, W2, b2 = init_params().values()
