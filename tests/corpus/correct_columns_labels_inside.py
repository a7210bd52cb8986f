# A student whose own training cell works with labels, so their functions turn the one-hot Y
# back into labels and rebuild it with all 10 classes; softmax with scipy-style logsumexp,
# Xavier-uniform bounds scaled for ReLU (sqrt(6 / fan_in)), update with copy.deepcopy.
# Correct: every point.
# %%
import copy
import numpy as np
import matplotlib.pyplot as plt

from studentkit import check, load_mnist, use_notation

use_notation("columns")
# %%
NUM_CLASSES = 10


def to_labels(Y):
    return np.argmax(Y, axis=0)


def to_one_hot(labels):
    return np.eye(NUM_CLASSES)[labels].T
# %%
def init_params(n_input=784, n_hidden=10, n_output=10, seed=0):
    rng = np.random.default_rng(seed)
    limit1, limit2 = np.sqrt(6 / n_input), np.sqrt(6 / n_hidden)
    return {"W1": rng.uniform(-limit1, limit1, (n_hidden, n_input)),
            "b1": np.zeros((n_hidden, 1)),
            "W2": rng.uniform(-limit2, limit2, (n_output, n_hidden)),
            "b2": np.zeros((n_output, 1))}
# %%
def relu(Z):
    return np.maximum(0, Z)
# %%
def softmax(Z):
    top = Z.max(axis=0, keepdims=True)
    log_sum = top + np.log(np.exp(Z - top).sum(axis=0, keepdims=True))
    return np.exp(Z - log_sum)
# %%
def forward(X, params):
    Z1 = params["W1"] @ X + params["b1"]
    A1 = relu(Z1)
    Z2 = params["W2"] @ A1 + params["b2"]
    return softmax(Z2), {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": softmax(Z2)}
# %%
def cross_entropy(A, Y):
    labels = to_labels(Y)
    m = labels.size
    return float(-np.log(np.clip(A[labels, np.arange(m)], 1e-12, 1.0)).sum() / m)
# %%
def relu_derivative(Z):
    return (Z > 0) * 1
# %%
def backprop(X, Y, params, cache):
    m = X.shape[1]
    dZ2 = cache["A2"] - to_one_hot(to_labels(Y))
    dZ1 = (params["W2"].T @ dZ2) * relu_derivative(cache["Z1"])
    return {"dW2": dZ2 @ cache["A1"].T / m, "db2": dZ2.mean(axis=1, keepdims=True),
            "dW1": dZ1 @ X.T / m, "db1": dZ1.mean(axis=1, keepdims=True)}
# %%
def update(params, grads, lr):
    new = copy.deepcopy(params)
    for key in new:
        new[key] -= lr * grads["d" + key]
    return new
# %%
X_train, y_train = load_mnist("train", notation="columns")
params = init_params()
for i in range(0, 60000, 100):
    A2, cache = forward(X_train[:, i:i + 100], params)
    params = update(params, backprop(X_train[:, i:i + 100], to_one_hot(y_train[i:i + 100]),
                                     params, cache), 0.2)
