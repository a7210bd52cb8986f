# %%
import numpy as np

relu = lambda Z: np.clip(Z, 0, None)
relu_derivative = lambda Z: np.heaviside(Z, 0).astype(Z.dtype)


# %%
def softmax(Z):
    E = np.exp(Z - Z.max(1, keepdims=True)); return E / E.sum(1, keepdims=True)


# %%
def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    r = np.random.default_rng(seed)
    p = {}
    for i, (a, b) in enumerate([(n_input, n_hidden), (n_hidden, n_output)], start=1):
        p[f"W{i}"] = (r.standard_normal((a, b)) * (2 / a) ** 0.5).astype("float32")
        p[f"b{i}"] = np.zeros((1, b), "float32")
    return p


# %%
def forward(X, params):
    c = {}
    c["Z1"] = np.einsum("ij,jk->ik", X, params["W1"]) + params["b1"]
    c["A1"] = relu(c["Z1"])
    c["Z2"] = np.einsum("ij,jk->ik", c["A1"], params["W2"]) + params["b2"]
    c["A2"] = softmax(c["Z2"])
    return c["A2"], c


def cross_entropy(A, Y):
    return float(np.mean(-np.einsum("ij,ij->i", Y, np.log(np.maximum(A, 1e-12)))))


# %%
def backprop(X, Y, params, cache):
    n = len(X)
    g2 = (cache["A2"] - Y) / n
    g1 = (g2 @ params["W2"].T) * (cache["Z1"] > 0)
    return dict(dW1=X.T @ g1, db1=g1.sum(0, keepdims=True),
                dW2=cache["A1"].T @ g2, db2=g2.sum(0, keepdims=True))


def update(params, grads, lr):
    return {k: v - lr * grads["d" + k] for k, v in params.items()}
