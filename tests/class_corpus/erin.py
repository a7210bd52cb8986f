# %%
import numpy as np


# %%
def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    rng = np.random.default_rng(seed)
    first = rng.standard_normal(size=(n_input, n_hidden)) / np.sqrt(n_input / 2)
    second = rng.standard_normal(size=(n_hidden, n_output)) / np.sqrt(n_hidden / 2)
    zeros = lambda n: np.zeros((1, n), dtype=np.float32)
    return dict(W1=first.astype(np.float32), b1=zeros(n_hidden),
                W2=second.astype(np.float32), b2=zeros(n_output))


# %%
def relu(Z):
    return np.where(Z > 0, Z, 0.0)


def relu_derivative(Z):
    return (Z > 0) * 1.0


# %%
def softmax(Z):
    expZ = np.exp(Z)
    return expZ / expZ.sum(axis=1)[:, None]


def cross_entropy(A, Y):
    return float(-(Y * np.log(A + 1e-9)).sum())


# %%
def forward(X, params):
    W1, b1, W2, b2 = (params[k] for k in ("W1", "b1", "W2", "b2"))
    Z1 = X @ W1 + b1
    A1 = relu(Z1)
    Z2 = A1 @ W2 + b2
    A2 = softmax(Z2)
    return A2, dict(Z1=Z1, A1=A1, Z2=Z2, A2=A2)


def backprop(X, Y, params, cache):
    Z1, A1, A2 = cache["Z1"], cache["A1"], cache["A2"]
    m = Y.shape[0]
    d2 = (A2 - Y) / m
    d1 = d2 @ params["W2"].T
    d1[Z1 <= 0] = 0
    return dict(dW1=X.T @ d1, db1=d1.sum(axis=0, keepdims=True),
                dW2=A1.T @ d2, db2=d2.sum(axis=0, keepdims=True))


def update(params, grads, lr):
    return {k: params[k] - lr * grads['d' + k] for k in params}
