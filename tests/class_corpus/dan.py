# %%
import numpy as np


# %%
def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    np.random.seed(seed)
    weights_1 = np.random.randn(n_input, n_hidden) * np.sqrt(2 / n_input)
    bias_1 = np.zeros((1, n_hidden))
    weights_2 = np.random.randn(n_hidden, n_output) * np.sqrt(2 / n_hidden)
    bias_2 = np.zeros((1, n_output))
    result = {}
    result["W1"] = weights_1.astype(np.float32)
    result["b1"] = bias_1.astype(np.float32)
    result["W2"] = weights_2.astype(np.float32)
    result["b2"] = bias_2.astype(np.float32)
    return result


# %%
def relu(Z):
    return Z * (Z > 0)


# %%
def softmax(Z):
    out = np.empty_like(Z)
    for i in range(Z.shape[0]):
        row = Z[i] - np.max(Z[i])
        ex = np.exp(row)
        out[i] = ex / np.sum(ex)
    return out


# %%
def forward(X, params):
    z_hidden = X.dot(params["W1"]) + params["b1"]
    a_hidden = relu(z_hidden)
    z_output = a_hidden.dot(params["W2"]) + params["b2"]
    a_output = softmax(z_output)
    cache = {}
    cache["Z1"] = z_hidden
    cache["A1"] = a_hidden
    cache["Z2"] = z_output
    cache["A2"] = a_output
    return a_output, cache


# %%
def cross_entropy(A, Y):
    m = A.shape[0]
    total = 0.0
    for i in range(m):
        total -= np.sum(Y[i] * np.log(np.clip(A[i], 1e-12, 1.0)))
    return total / m


# %%
def relu_derivative(Z):
    return np.array(Z > 0, dtype=Z.dtype)


# %%
def backprop(X, Y, params, cache):
    # gradient of the loss at the output
    error_out = cache["A2"] - Y
    grad_W2 = cache["A1"].T.dot(error_out)
    grad_b2 = np.sum(error_out, axis=0).reshape(1, -1)
    error_hidden = error_out.dot(params["W2"].T) * relu_derivative(cache["Z1"])
    grad_W1 = X.T.dot(error_hidden)
    grad_b1 = np.sum(error_hidden, axis=0).reshape(1, -1)
    return {"dW1": grad_W1, "db1": grad_b1, "dW2": grad_W2, "db2": grad_b2}


# %%
def update(params, grads, lr):
    new = dict(params)
    for k in ["W1", "b1", "W2", "b2"]:
        new[k] = new[k] - lr * grads["d" + k]
    return new
