# %%
import numpy as np

LAYER_NAMES = ("W1", "b1", "W2", "b2")


# %%
def he_normal(rng, fan_in, fan_out):
    """Weights drawn from N(0, 2 / fan_in)."""
    scale = np.sqrt(2.0 / fan_in)
    return (scale * rng.standard_normal(size=(fan_in, fan_out))).astype(np.float32)


def affine(inputs, weights, bias=None):
    out = inputs @ weights
    if bias is not None:
        out = out + bias
    return out


# %%
def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    rng = np.random.default_rng(seed)
    params = dict()
    params["W1"] = he_normal(rng, n_input, n_hidden)
    params["b1"] = np.zeros(shape=(1, n_hidden), dtype=np.float32)
    params["W2"] = he_normal(rng, n_hidden, n_output)
    params["b2"] = np.zeros(shape=(1, n_output), dtype=np.float32)
    return params


# %%
def relu(Z):
    out = Z.copy()
    out[out < 0] = 0
    return out


# %%
def softmax(Z):
    # keep exp from overflowing
    top = Z.max(axis=1).reshape(-1, 1)
    powered = np.exp(Z - top)
    return powered / powered.sum()


# %%
def forward(X, params):
    hidden_pre = affine(X, params["W1"], params["b1"])
    hidden = relu(hidden_pre)
    out_pre = affine(hidden, params["W2"])
    probs = softmax(out_pre)
    return probs, dict(Z1=hidden_pre, A1=hidden, Z2=out_pre, A2=probs)


# %%
def cross_entropy(A, Y):
    batch = A.shape[0]
    safe = np.clip(A, 1e-12, 1)
    per_sample = -(Y * np.log(safe)).sum(axis=1)
    return float(per_sample.sum() / batch)


# %%
def relu_derivative(Z):
    grad = np.zeros_like(Z)
    grad[Z > 0] = 1
    return grad


# %%
def backprop(X, Y, params, cache):
    batch = X.shape[0]
    delta_out = (cache["A2"] - Y) / batch
    delta_hidden = affine(delta_out, params["W2"].T) * relu_derivative(cache["Z1"])
    grads = {}
    grads["dW2"] = affine(cache["A1"].T, delta_out)
    grads["db2"] = delta_out.sum(axis=0, keepdims=True)
    grads["dW1"] = affine(X.T, delta_hidden)
    grads["db1"] = delta_hidden.sum(axis=0, keepdims=True)
    return grads


# %%
def update(params, grads, lr):
    return {name: params[name] - lr * grads[f"d{name}"] for name in LAYER_NAMES}
