# %%
import numpy as np

SHAPES = [(784, 128), (128, 10)]


# %%
def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    rng = np.random.default_rng(seed)
    sizes = [n_input, n_hidden, n_output]
    params = {}
    for index, (rows, cols) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params["W" + str(index)] = np.asarray(rng.standard_normal((rows, cols)) / np.sqrt(rows),
                                              dtype=np.float32)
        params["b" + str(index)] = np.zeros((1, cols), dtype=np.float32)
    return params


# %%
def relu(Z):
    result = np.array(Z, copy=True)
    np.maximum(result, 0, out=result)
    return result


def relu_derivative(Z):
    mask = np.zeros(Z.shape, dtype=Z.dtype)
    mask[np.nonzero(Z > 0)] = 1
    return mask


# %%
def softmax(Z):
    centred = Z - np.amax(Z, axis=1, keepdims=True)
    weights = np.exp(centred)
    totals = np.add.reduce(weights, axis=1, keepdims=True)
    return weights / totals


def cross_entropy(A, Y):
    n = Y.shape[0]
    return float(np.sum(-Y * np.log(np.clip(A, 1e-12, 1))) / n)


# %%
def forward(X, params):
    layer1 = X @ params["W1"]
    layer1 += params["b1"]
    active = relu(layer1)
    layer2 = active @ params["W2"]
    layer2 += params["b2"]
    out = softmax(layer2)
    return out, {"Z1": layer1, "A1": active, "Z2": layer2, "A2": out}


# %%
def backprop(X, Y, params, cache):
    n = X.shape[0]
    diff = cache["A2"] - Y
    back = diff @ params["W2"].T
    result = {"dW2": cache["A1"].T @ diff / n, "db2": diff.mean(axis=0, keepdims=True)}
    result["dW1"] = X.T @ back / n
    result["db1"] = back.mean(axis=0, keepdims=True)
    return result


def update(params, grads, lr):
    return {name: value - lr * grads["d" + name] for name, value in params.items()}
