# %%
import numpy as np


# %%
def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    gen = np.random.default_rng(seed)
    W1 = gen.normal(0.0, np.sqrt(2.0 / n_input), size=(n_input, n_hidden))
    W2 = gen.normal(0.0, np.sqrt(2.0 / n_hidden), size=(n_hidden, n_output))
    return {"W1": W1.astype(np.float32), "b1": np.zeros((1, n_hidden), np.float32),
            "W2": W2.astype(np.float32), "b2": np.zeros((1, n_output), np.float32)}


# %%
def relu(Z):
    return np.maximum(0, Z)


# %%
def softmax(Z):
    shifted = Z - np.max(Z, axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=1, keepdims=True)


# %%
def forward(X, params):
    Z1 = np.dot(X, params["W1"]) + params["b1"]
    A1 = relu(Z1)
    Z2 = np.dot(A1, params["W2"]) + params["b2"]
    A2 = softmax(Z2)
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    return A2, cache


# %%
def cross_entropy(A, Y):
    m = Y.shape[0]
    A = np.clip(A, 1e-12, 1.0)
    loss = -np.sum(Y * np.log(A)) / m
    return float(loss)


# %%
def relu_derivative(Z):
    return np.where(Z > 0, 1.0, 0.0).astype(Z.dtype)


# %%
def backprop(X, Y, params, cache):
    m = X.shape[0]
    dZ2 = cache["A2"] - Y
    dW2 = np.dot(cache["A1"].T, dZ2) / m
    db2 = np.sum(dZ2, axis=0, keepdims=True) / m
    dA1 = np.dot(dZ2, params["W2"].T)
    dZ1 = dA1 * relu_derivative(cache["Z1"])
    dW1 = np.dot(X.T, dZ1) / m
    db1 = np.sum(dZ1, axis=0, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


# %%
def update(params, grads, lr):
    new_params = {}
    for key in params:
        new_params[key] = params[key] - lr * grads["d" + key]
    return new_params
