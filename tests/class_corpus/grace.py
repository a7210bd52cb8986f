# %%
import numpy as np


# %%
def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    """Random starting weights with He scaling and zero biases, as float32 arrays.

    Returns a dict with W1 (n_input, n_hidden), b1 (1, n_hidden), W2 (n_hidden, n_output),
    b2 (1, n_output). Each weight is a standard-normal draw times sqrt(2 / fan_in), fan_in being
    the number of inputs of its layer. The same seed always gives the same parameters.
    """
    # Hint: draw from a generator made from the seed, np.random.default_rng(seed), and scale its
    # standard_normal draws by np.sqrt(2 / fan_in); biases are zeros.
    generator = np.random.default_rng(seed)
    params = {}
    fan_ins = {1: n_input, 2: n_hidden}
    fan_outs = {1: n_hidden, 2: n_output}
    for layer in (1, 2):
        draw = generator.standard_normal((fan_ins[layer], fan_outs[layer]))
        params["W%d" % layer] = np.float32(np.sqrt(2 / fan_ins[layer])) * draw.astype(np.float32)
        params["b%d" % layer] = np.zeros((1, fan_outs[layer]), dtype=np.float32)
    return params


# %%
def relu(Z):
    """ReLU, element by element: max(z, 0).

    Z: an array of any shape → an array of the same shape. Z itself is left unchanged.
    """
    # Hint: NumPy has an element-wise maximum of an array and a number; it returns a new array.
    positive = Z > 0
    return Z * positive.astype(Z.dtype)


# %%
def stable_exp(Z):
    return np.exp(Z - Z.max(axis=1)[:, np.newaxis])


def softmax(Z):
    """Class probabilities for every sample (softmax of each row).

    Z: (m, 10) scores, one row per sample → (m, 10) probabilities; every row sums to 1.
    """
    # Hint: subtract each row's largest score first (axis=1, keepdims=True) so np.exp cannot overflow,
    # then divide every row by its own sum.
    numerator = stable_exp(Z)
    denominator = numerator.sum(axis=1)[:, np.newaxis]
    return numerator / denominator


# %%
def forward(X, params):
    """The forward pass for a batch of m samples, one per row."""
    hidden_in = X.dot(params["W1"]) + params["b1"]
    hidden_out = relu(hidden_in)
    logits = hidden_out.dot(params["W2"]) + params["b2"]
    probabilities = softmax(logits)
    return probabilities, {"Z1": hidden_in, "A1": hidden_out, "Z2": logits, "A2": probabilities}


# %%
def cross_entropy(A, Y):
    """The mean cross-entropy of a batch, as a float."""
    clipped = np.clip(A, 1e-12, 1.0)
    picked = clipped[Y.astype(bool)]
    return float(-np.log(picked).sum() / len(Y))


# %%
def relu_derivative(Z):
    """The slope of ReLU at every entry: 1 where Z > 0, 0 elsewhere (0 at Z == 0 too)."""
    return np.greater(Z, 0).astype(Z.dtype)


# %%
def backprop(X, Y, params, cache):
    """Gradients of the mean cross-entropy with respect to every parameter."""
    samples = X.shape[0]
    output_error = (cache["A2"] - Y) / samples
    hidden_error = output_error.dot(params["W2"].T) * relu_derivative(cache["Z1"])
    return {
        "dW2": cache["A1"].T.dot(output_error),
        "db2": output_error.sum(axis=0, keepdims=True),
        "dW1": X.T.dot(hidden_error),
        "db1": hidden_error.sum(axis=0, keepdims=True),
    }


# %%
def update(params, grads, lr):
    """One step of gradient descent: every parameter P becomes P − lr · dP."""
    result = {}
    for name in ("W1", "b1", "W2", "b2"):
        step = lr * grads["d" + name]
        result[name] = params[name] - step
    return result
