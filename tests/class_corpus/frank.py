# %%
import numpy as np


# %%
def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    rng = np.random.default_rng(seed)
    shapes = {"W1": (n_input, n_hidden), "W2": (n_hidden, n_output)}
    params = {}
    for name, (fan_in, fan_out) in shapes.items():
        std = np.float32(np.sqrt(2 / fan_in))
        params[name] = rng.standard_normal((fan_in, fan_out)).astype(np.float32) * std
        params["b" + name[1]] = np.zeros((1, fan_out), dtype=np.float32)
    return params


# %%
def relu(Z):
    return np.fmax(Z, 0.0)


def relu_derivative(Z):
    return (Z >= 0).astype(Z.dtype)


# %%
def softmax(Z):
    z = Z - Z.max(axis=-1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)


def cross_entropy(A, Y):
    log_likelihood = np.log(np.clip(A, 1e-12, None))
    return -float((Y * log_likelihood).sum(axis=1).mean())


# %%
def forward(X, params):
    Z1 = np.matmul(X, params["W1"]) + params["b1"]
    A1 = relu(Z1)
    Z2 = np.matmul(A1, params["W2"]) + params["b2"]
    return softmax(Z2), {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": softmax(Z2)}


# %%
def backprop(X, Y, params, cache):
    m = Y.shape[0]
    dZ2 = (cache["A2"] - Y) / m
    grads = {"dW2": np.matmul(cache["A1"].T, dZ2), "db2": np.sum(dZ2, axis=0, keepdims=True)}
    dZ1 = np.matmul(dZ2, params["W2"].T) * relu_derivative(cache["Z1"])
    grads["dW1"] = np.matmul(X.T, dZ1)
    grads["db1"] = np.sum(dZ1, axis=0, keepdims=True)
    return grads


def update(params, grads, lr):
    updated = {}
    for name, value in params.items():
        updated[name] = value + lr * grads["d" + name]
    return updated
