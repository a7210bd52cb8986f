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
    g = np.random.default_rng(seed)
    w_one = g.standard_normal((n_input, n_hidden), dtype=np.float32) * np.float32((2 / n_input) ** .5)
    w_two = g.standard_normal((n_hidden, n_output), dtype=np.float32) * np.float32((2 / n_hidden) ** .5)
    return {"W1": w_one, "b1": np.zeros((1, n_hidden), np.float32),
            "W2": w_two, "b2": np.zeros((1, n_output), np.float32)}


# %%
def relu(Z):
    """ReLU, element by element: max(z, 0).

    Z: an array of any shape → an array of the same shape. Z itself is left unchanged.
    """
    # Hint: NumPy has an element-wise maximum of an array and a number; it returns a new array.
    return (Z + np.abs(Z)) / 2


# %%
def softmax(Z):
    """Class probabilities for every sample (softmax of each row).

    Z: (m, 10) scores, one row per sample → (m, 10) probabilities; every row sums to 1.
    """
    # Hint: subtract each row's largest score first (axis=1, keepdims=True) so np.exp cannot overflow,
    # then divide every row by its own sum.
    log_norm = Z.max(axis=1, keepdims=True)
    log_norm = log_norm + np.log(np.exp(Z - log_norm).sum(axis=1, keepdims=True))
    return np.exp(Z - log_norm)


# %%
def forward(X, params):
    """The forward pass for a batch of m samples, one per row.

    X: (m, 784), params: W1 (784, h), b1 (1, h), W2 (h, 10), b2 (1, 10).
    Returns A2 (m, 10), the class probabilities, and the cache dict
    {"Z1": (m, h), "A1": (m, h), "Z2": (m, 10), "A2": (m, 10)} that backprop needs.
    """
    # Hint: Z1 = X·W1 + b1, A1 = relu(Z1), Z2 = A1·W2 + b2, A2 = softmax(Z2); use @ for the products.
    values = {"Z1": np.add(X @ params["W1"], params["b1"])}
    values["A1"] = relu(values["Z1"])
    values["Z2"] = np.add(values["A1"] @ params["W2"], params["b2"])
    values["A2"] = softmax(values["Z2"])
    return values["A2"], values


# %%
def cross_entropy(A, Y):
    """The mean cross-entropy of a batch, as a float.

    A: (m, 10) predicted probabilities, Y: (m, 10) one-hot labels, one row per sample.
    Returns (1/m) · Σ_i −Σ_k Y[i, k] · log A[i, k].
    """
    # Hint: clip A to [1e-12, 1] before np.log so that log(0) never happens,
    # and divide the total by m, the number of samples (not by the number of entries).
    per_row = -np.sum(Y * np.log(np.clip(A, 1e-12, 1.0)), axis=1)
    return float(per_row.mean())


# %%
def relu_derivative(Z):
    """The slope of ReLU at every entry: 1 where Z > 0, 0 elsewhere (0 at Z == 0 too).

    Z: an array of any shape → an array of the same shape and the same dtype as Z.
    """
    # Hint: the comparison Z > 0 gives True/False; turn it into numbers with .astype(Z.dtype).
    return np.sign(np.maximum(Z, 0)).astype(Z.dtype)


# %%
def backprop(X, Y, params, cache):
    """Gradients of the mean cross-entropy with respect to every parameter.

    X: (m, 784), Y: (m, 10) one-hot, params as in forward, cache as returned by forward(X, params).
    Returns {"dW1": (784, h), "db1": (1, h), "dW2": (h, 10), "db2": (1, 10)}:
    each gradient has the shape of its parameter.
    """
    # Hint: start from dZ2 = A2 − Y, follow the equations of section 5 back to the input,
    # and remember the 1/m: the loss is a mean over the m samples.
    raise NotImplementedError("Replace this line with your code for this function.")


# %%
def update(params, grads, lr):
    """One step of gradient descent: every parameter P becomes P − lr · dP.

    params: W1, b1, W2, b2; grads: dW1, db1, dW2, db2 of the same shapes; lr: the learning rate.
    Returns a new dict of new arrays; the params passed in are left unchanged.
    """
    # Hint: build a new dict; P - lr * dP makes a new array, whereas P -= lr * dP would overwrite
    # the caller's array.
    raise NotImplementedError("Replace this line with your code for this function.")
