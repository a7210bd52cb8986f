# The most-copied "MNIST from scratch in NumPy" tutorial (samples as columns), its bodies fitted
# into the stubs of mnist_mlp_columns unchanged: m from the data cell divides the gradients, the
# biases' gradients are np.sum over everything, softmax without the max, uniform weights with
# hard-coded sizes, no seed, log without a clip.
# %%
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

from studentkit import check, load_mnist, use_notation

use_notation("columns")
# %%
data = pd.read_csv('train.csv')
data = np.array(data)
m, n = data.shape
np.random.shuffle(data)

data_dev = data[0:1000].T
Y_dev = data_dev[0]
X_dev = data_dev[1:n]
X_dev = X_dev / 255.

data_train = data[1000:m].T
Y_train = data_train[0]
X_train = data_train[1:n]
X_train = X_train / 255.
_, m_train = X_train.shape
# %%
def init_params(n_input=784, n_hidden=10, n_output=10, seed=0):
    W1 = np.random.rand(10, 784) - 0.5
    b1 = np.random.rand(10, 1) - 0.5
    W2 = np.random.rand(10, 10) - 0.5
    b2 = np.random.rand(10, 1) - 0.5
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
# %%
check("init_params", init_params)
# %%
def relu(Z):
    return np.maximum(Z, 0)
# %%
def softmax(Z):
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
    return -np.sum(Y * np.log(A)) / Y.shape[1]
# %%
def relu_derivative(Z):
    return Z > 0
# %%
def backprop(X, Y, params, cache):
    Z1, A1, A2 = cache["Z1"], cache["A1"], cache["A2"]
    W2 = params["W2"]
    dZ2 = A2 - Y
    dW2 = 1 / m * dZ2.dot(A1.T)
    db2 = 1 / m * np.sum(dZ2)
    dZ1 = W2.T.dot(dZ2) * relu_derivative(Z1)
    dW1 = 1 / m * dZ1.dot(X.T)
    db1 = 1 / m * np.sum(dZ1)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
# %%
def update(params, grads, lr):
    W1 = params["W1"] - lr * grads["dW1"]
    b1 = params["b1"] - lr * grads["db1"]
    W2 = params["W2"] - lr * grads["dW2"]
    b2 = params["b2"] - lr * grads["db2"]
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
# %%
def get_predictions(A2):
    return np.argmax(A2, 0)


def get_accuracy(predictions, Y):
    print(predictions, Y)
    return np.sum(predictions == Y) / Y.size


def gradient_descent(X, Y, alpha, iterations):
    params = init_params()
    for i in range(iterations):
        A2, cache = forward(X, params)
        grads = backprop(X, Y, params, cache)
        params = update(params, grads, alpha)
        if i % 10 == 0:
            print("Iteration: ", i)
            print(get_accuracy(get_predictions(A2), Y))
    return params
# %%
params = gradient_descent(X_train, Y_train, 0.10, 500)
