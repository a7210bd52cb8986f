# A student who thinks one sample at a time: backprop accumulates each sample's gradients in a
# loop, update loops over the parameter names, params are unpacked as tuples, the cache keeps
# extra entries, float32 throughout. Slower, but correct: every point.
# %%
import numpy as np
import matplotlib.pyplot as plt

from studentkit import check, load_mnist, use_notation

use_notation("rows")
# %%
NAMES = ("W1", "b1", "W2", "b2")


def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    rng = np.random.default_rng(seed)
    sizes = [(n_input, n_hidden), (n_hidden, n_output)]
    params = {}
    for layer, (fan_in, fan_out) in enumerate(sizes, start=1):
        params[f"W{layer}"] = (rng.normal(0.0, np.sqrt(2 / fan_in), size=(fan_in, fan_out))
                               .astype(np.float32))
        params[f"b{layer}"] = np.zeros((1, fan_out), dtype=np.float32)
    return params
# %%
def relu(Z):
    return np.where(Z > 0, Z, 0)
# %%
def softmax(Z):
    out = np.empty_like(Z)
    for i, row in enumerate(Z):
        e = np.exp(row - row.max())
        out[i] = e / e.sum()
    return out
# %%
def forward(X, params):
    W1, b1, W2, b2 = (params[name] for name in NAMES)
    Z1 = np.dot(X, W1) + b1
    A1 = relu(Z1)
    Z2 = np.dot(A1, W2) + b2
    A2 = softmax(Z2)
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2, "batch": X.shape[0]}
    return A2, cache
# %%
def cross_entropy(A, Y):
    total = 0.0
    for a, y in zip(A, Y):
        total += -np.sum(y * np.log(np.maximum(a, 1e-12)))
    return total / len(A)
# %%
def relu_derivative(Z):
    return np.where(Z > 0, 1.0, 0.0).astype(Z.dtype)
# %%
def backprop(X, Y, params, cache):
    W2 = params["W2"]
    grads = {"d" + name: np.zeros_like(params[name], dtype=np.float64) for name in NAMES}
    m = len(X)
    for i in range(m):
        x, y = X[i:i + 1], Y[i:i + 1]
        dz2 = cache["A2"][i:i + 1] - y
        grads["dW2"] += cache["A1"][i:i + 1].T @ dz2
        grads["db2"] += dz2
        dz1 = (dz2 @ W2.T) * relu_derivative(cache["Z1"][i:i + 1])
        grads["dW1"] += x.T @ dz1
        grads["db1"] += dz1
    return {name: value / m for name, value in grads.items()}
# %%
def update(params, grads, lr):
    new_params = {}
    for name in NAMES:
        new_params[name] = params[name] - lr * grads["d" + name]
    return new_params
# %%
X_train, y_train = load_mnist("train", notation="rows")
Y_train = np.eye(10, dtype=np.float32)[y_train]
params = init_params(seed=0)
for start in range(0, 60000, 64):
    A2, cache = forward(X_train[start:start + 64], params)
    params = update(params, backprop(X_train[start:start + 64], Y_train[start:start + 64],
                                     params, cache), 0.1)
