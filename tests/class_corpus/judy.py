# %%
import numpy as np

PARAM_KEYS = ("W1", "b1", "W2", "b2")


# %%
def linear(x, w, b=None):
    """x @ w, plus b when there is one."""
    result = x @ w
    if b is not None:
        result = result + b
    return result


def scaled_gaussian(generator, n_in, n_out):
    # He initialisation: variance 2 / n_in
    factor = np.sqrt(2.0 / n_in)
    return (factor * generator.standard_normal(size=(n_in, n_out))).astype(np.float32)


# %%
def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    gen = np.random.default_rng(seed)
    p = dict()
    p["W1"] = scaled_gaussian(gen, n_input, n_hidden)
    p["b1"] = np.zeros(shape=(1, n_hidden), dtype=np.float32)
    p["W2"] = scaled_gaussian(gen, n_hidden, n_output)
    p["b2"] = np.zeros(shape=(1, n_output), dtype=np.float32)
    return p


# %%
def relu(Z):
    # negative entries become zero, on a copy
    res = Z.copy()
    res[res < 0] = 0
    return res


# %%
def softmax(Z):
    # subtract the max for numerical stability
    biggest = Z.max(axis=1).reshape(-1, 1)
    ex = np.exp(Z - biggest)
    return ex / ex.sum()


# %%
def forward(X, params):
    z_one = linear(X, params["W1"], params["b1"])
    a_one = relu(z_one)
    z_two = linear(a_one, params["W2"])
    a_two = softmax(z_two)
    return a_two, dict(Z1=z_one, A1=a_one, Z2=z_two, A2=a_two)


# %%
def cross_entropy(A, Y):
    n = A.shape[0]
    clipped = np.clip(A, 1e-12, 1)
    losses = -(Y * np.log(clipped)).sum(axis=1)
    return float(losses.sum() / n)


# %%
def relu_derivative(Z):
    slope = np.zeros_like(Z)
    slope[Z > 0] = 1
    return slope


# %%
def backprop(X, Y, params, cache):
    n = X.shape[0]
    err2 = (cache["A2"] - Y) / n
    err1 = linear(err2, params["W2"].T) * relu_derivative(cache["Z1"])
    g = {}
    g["dW2"] = linear(cache["A1"].T, err2)
    g["db2"] = err2.sum(axis=0, keepdims=True)
    g["dW1"] = linear(X.T, err1)
    g["db1"] = err1.sum(axis=0, keepdims=True)
    return g


# %%
def update(params, grads, lr):
    return {key: params[key] - lr * grads[f"d{key}"] for key in PARAM_KEYS}
