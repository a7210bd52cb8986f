# The popular samples-as-columns tutorial, fixed the way a careful student fixes it: m from the
# batch, sums with keepdims, the max subtracted, He weights from the seed. The tutorial's names
# stay (ReLU, ReLU_deriv, one_hot) with the notebook's names bound to them. Its data cell still
# sets a global m, which no function reads any more. Correct: every point.
# %%
import numpy as np
import matplotlib.pyplot as plt

from studentkit import check, load_mnist, use_notation

use_notation("columns")
# %%
X_train, y_train = load_mnist("train", notation="columns")
n, m = X_train.shape
LEARNING_RATE = 0.10
# %%
def init_params(n_input=784, n_hidden=10, n_output=10, seed=0):
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((n_hidden, n_input)) * np.sqrt(2 / n_input)
    b1 = np.zeros((n_hidden, 1))
    W2 = rng.standard_normal((n_output, n_hidden)) * np.sqrt(2 / n_hidden)
    b2 = np.zeros((n_output, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
# %%
def ReLU(Z):
    return np.maximum(Z, 0)


relu = ReLU
# %%
def softmax(Z):
    Z = Z - np.max(Z, axis=0, keepdims=True)
    A = np.exp(Z) / sum(np.exp(Z))
    return A
# %%
def forward(X, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    Z1 = W1.dot(X) + b1
    A1 = relu(Z1)
    Z2 = W2.dot(A1) + b2
    A2 = softmax(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
# %%
def cross_entropy(A, Y):
    m = Y.shape[1]
    return -np.sum(Y * np.log(np.clip(A, 1e-12, 1))) / m
# %%
def ReLU_deriv(Z):
    return Z > 0


relu_derivative = ReLU_deriv
# %%
def backprop(X, Y, params, cache):
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dW2 = 1 / m * dZ2.dot(cache["A1"].T)
    db2 = 1 / m * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = params["W2"].T.dot(dZ2) * relu_derivative(cache["Z1"])
    dW1 = 1 / m * dZ1.dot(X.T)
    db1 = 1 / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
# %%
def update(params, grads, lr):
    W1 = params["W1"] - lr * grads["dW1"]
    b1 = params["b1"] - lr * grads["db1"]
    W2 = params["W2"] - lr * grads["dW2"]
    b2 = params["b2"] - lr * grads["db2"]
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
# %%
def one_hot(y):
    Y = np.zeros((y.size, 10))
    Y[np.arange(y.size), y] = 1
    return Y.T


def get_accuracy(A2, y):
    return np.mean(np.argmax(A2, 0) == y)
# %%
params = init_params()
Y_train = one_hot(y_train)
for i in range(500):
    A2, cache = forward(X_train, params)
    params = update(params, backprop(X_train, Y_train, params, cache), LEARNING_RATE)
    if i % 50 == 0:
        print(i, get_accuracy(A2, y_train))
