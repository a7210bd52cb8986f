# Samples as rows, written in the style of "Deep Learning from Scratch" (a SoftmaxWithLoss layer
# class). The backward pass divides by the batch size with the wrong precedence:
# dx = y - t / batch_size, where (y - t) / batch_size was meant.
# %%
import numpy as np
import matplotlib.pyplot as plt

from studentkit import check, load_mnist, use_notation

use_notation("rows")
# %%
class SoftmaxWithLoss:
    def backward(self, y, t):
        batch_size = t.shape[0]
        dx = y - t / batch_size
        return dx


class Affine:
    def backward(self, x, W, dout):
        dW = np.dot(x.T, dout)
        db = np.sum(dout, axis=0, keepdims=True)
        dx = np.dot(dout, W.T)
        return dW, db, dx
# %%
def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    rng = np.random.default_rng(seed)
    return {"W1": rng.standard_normal((n_input, n_hidden)) * np.sqrt(2.0 / n_input),
            "b1": np.zeros((1, n_hidden)),
            "W2": rng.standard_normal((n_hidden, n_output)) * np.sqrt(2.0 / n_hidden),
            "b2": np.zeros((1, n_output))}


def relu(Z):
    return np.maximum(Z, 0)


def relu_derivative(Z):
    return (Z > 0).astype(Z.dtype)


def softmax(Z):
    c = np.max(Z, axis=1, keepdims=True)
    exp_a = np.exp(Z - c)
    return exp_a / np.sum(exp_a, axis=1, keepdims=True)


def forward(X, params):
    Z1 = X @ params["W1"] + params["b1"]
    A1 = relu(Z1)
    Z2 = A1 @ params["W2"] + params["b2"]
    return softmax(Z2), {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": softmax(Z2)}


def cross_entropy(A, Y):
    delta = 1e-7
    return -np.sum(Y * np.log(A + delta)) / A.shape[0]
# %%
def backprop(X, Y, params, cache):
    dZ2 = SoftmaxWithLoss().backward(cache["A2"], Y)
    dW2, db2, dA1 = Affine().backward(cache["A1"], params["W2"], dZ2)
    dZ1 = dA1 * relu_derivative(cache["Z1"])
    dW1, db1, _ = Affine().backward(X, params["W1"], dZ1)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update(params, grads, lr):
    return {key: params[key] - lr * grads["d" + key] for key in params}
