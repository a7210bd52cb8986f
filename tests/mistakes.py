"""A correct student solution in each notation, the classic mistakes as edits of it, and other
correct ways of writing it.

Each `Mistake` names the exercise that must catch it and a phrase its hint must contain; its
edits are (old, new) text replacements, per notation or for both, each `old` occurring exactly
once in the solution — so every variant is a small, readable diff of a working submission.
`CORRECT_VARIANTS` are diffs that must still get every point: the suites may not fail a correct
student for writing it another way.
"""

from __future__ import annotations

from dataclasses import dataclass

ROWS_SOLUTION = '''
import numpy as np

def relu(Z):
    return np.maximum(Z, 0)

def relu_derivative(Z):
    return (Z > 0).astype(Z.dtype)

def softmax(Z):
    shifted = Z - Z.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    return exps / exps.sum(axis=1, keepdims=True)

def cross_entropy(A, Y):
    m = Y.shape[0]
    return float(-np.sum(Y * np.log(np.clip(A, 1e-12, 1.0))) / m)

def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.standard_normal((n_input, n_hidden)) * np.sqrt(2 / n_input),
        "b1": np.zeros((1, n_hidden)),
        "W2": rng.standard_normal((n_hidden, n_output)) * np.sqrt(2 / n_hidden),
        "b2": np.zeros((1, n_output)),
    }

def forward(X, params):
    Z1 = X @ params["W1"] + params["b1"]
    A1 = relu(Z1)
    Z2 = A1 @ params["W2"] + params["b2"]
    A2 = softmax(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}

def backprop(X, Y, params, cache):
    m = X.shape[0]
    dZ2 = cache["A2"] - Y
    dW2 = cache["A1"].T @ dZ2 / m
    db2 = np.sum(dZ2, axis=0, keepdims=True) / m
    dZ1 = dZ2 @ params["W2"].T * relu_derivative(cache["Z1"])
    dW1 = X.T @ dZ1 / m
    db1 = np.sum(dZ1, axis=0, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}

def update(params, grads, lr):
    return {key: params[key] - lr * grads["d" + key] for key in params}
'''

COLUMNS_SOLUTION = '''
import numpy as np

def relu(Z):
    return np.maximum(Z, 0)

def relu_derivative(Z):
    return (Z > 0).astype(Z.dtype)

def softmax(Z):
    shifted = Z - Z.max(axis=0, keepdims=True)
    exps = np.exp(shifted)
    return exps / exps.sum(axis=0, keepdims=True)

def cross_entropy(A, Y):
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(np.clip(A, 1e-12, 1.0))) / m)

def init_params(n_input=784, n_hidden=10, n_output=10, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.standard_normal((n_hidden, n_input)) * np.sqrt(2 / n_input),
        "b1": np.zeros((n_hidden, 1)),
        "W2": rng.standard_normal((n_output, n_hidden)) * np.sqrt(2 / n_hidden),
        "b2": np.zeros((n_output, 1)),
    }

def forward(X, params):
    Z1 = params["W1"] @ X + params["b1"]
    A1 = relu(Z1)
    Z2 = params["W2"] @ A1 + params["b2"]
    A2 = softmax(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}

def backprop(X, Y, params, cache):
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dW2 = dZ2 @ cache["A1"].T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = params["W2"].T @ dZ2 * relu_derivative(cache["Z1"])
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}

def update(params, grads, lr):
    return {key: params[key] - lr * grads["d" + key] for key in params}
'''

SOLUTIONS = {"rows": ROWS_SOLUTION, "columns": COLUMNS_SOLUTION}

Edits = list[tuple[str, str]]


@dataclass(frozen=True)
class Mistake:
    name: str
    exercise: str        # the only graded-function exercise that may lose points for it
    hint: str            # a phrase the Feedback hint of its failed checks must contain
    diagnosis: str       # the id every failed check of it carries (grader.checks.diagnose.DIAGNOSES)
    both: Edits = ()     # edits that read the same in both notations
    rows: Edits = ()
    columns: Edits = ()

    def source(self, notation: str) -> str:
        """The solution in `notation` with this mistake made."""
        return edited(notation, self.name, self.both, self.rows, self.columns)


@dataclass(frozen=True)
class CorrectVariant:
    """Another correct way to write some of the functions: it must get every point too."""

    name: str
    both: Edits = ()
    rows: Edits = ()
    columns: Edits = ()

    def source(self, notation: str) -> str:
        return edited(notation, self.name, self.both, self.rows, self.columns)


def edited(notation: str, name: str, both: Edits, rows: Edits, columns: Edits) -> str:
    """The solution in `notation` with the edits made; each `old` must occur exactly once."""
    source = SOLUTIONS[notation]
    for old, new in [*both, *(rows if notation == "rows" else columns)]:
        if source.count(old) != 1:
            raise ValueError(f"{name}: {old!r} occurs {source.count(old)} times")
        source = source.replace(old, new)
    return source


IN_PLACE_UPDATE = '''    for key in params:
        params[key] -= lr * grads["d" + key]
    return params'''

MISTAKES = [
    Mistake("relu_in_place", "relu", "in place", "relu.mutates_input",
            both=[("    return np.maximum(Z, 0)", "    Z[Z < 0] = 0\n    return Z")]),
    Mistake("relu_derivative_true_at_zero", "relu_derivative", "Z > 0, not Z >= 0",
            "relu_derivative.one_at_zero",
            both=[("(Z > 0).astype", "(Z >= 0).astype")]),
    Mistake("softmax_without_max_subtraction", "softmax", "Subtract each sample's largest logit",
            "softmax.overflow",
            both=[("    shifted = Z - Z.max(", "    shifted = Z  # Z.max(")]),
    Mistake("softmax_wrong_axis", "softmax", "not across the 10 classes", "softmax.wrong_axis",
            rows=[("Z.max(axis=1", "Z.max(axis=0"), ("exps.sum(axis=1", "exps.sum(axis=0")],
            columns=[("Z.max(axis=0", "Z.max(axis=1"), ("exps.sum(axis=0", "exps.sum(axis=1")]),
    Mistake("softmax_in_place", "softmax", "in place", "softmax.mutates_input",
            rows=[("    shifted = Z - Z.max(axis=1, keepdims=True)",
                   "    Z -= Z.max(axis=1, keepdims=True)\n    shifted = Z")],
            columns=[("    shifted = Z - Z.max(axis=0, keepdims=True)",
                      "    Z -= Z.max(axis=0, keepdims=True)\n    shifted = Z")]),
    Mistake("cross_entropy_sum_not_mean", "cross_entropy", "mean", "cross_entropy.sum_not_mean",
            both=[("1e-12, 1.0))) / m)", "1e-12, 1.0))))")]),
    Mistake("cross_entropy_without_clipping", "cross_entropy", "Clip the probabilities",
            "cross_entropy.log_without_clipping",
            both=[("np.log(np.clip(A, 1e-12, 1.0))", "np.log(A)")]),
    Mistake("init_zeros", "init_params", "all zeros", "init_params.all_zeros",
            rows=[("rng.standard_normal((n_input, n_hidden)) * np.sqrt(2 / n_input)",
                   "np.zeros((n_input, n_hidden))"),
                  ("rng.standard_normal((n_hidden, n_output)) * np.sqrt(2 / n_hidden)",
                   "np.zeros((n_hidden, n_output))")],
            columns=[("rng.standard_normal((n_hidden, n_input)) * np.sqrt(2 / n_input)",
                      "np.zeros((n_hidden, n_input))"),
                     ("rng.standard_normal((n_output, n_hidden)) * np.sqrt(2 / n_hidden)",
                      "np.zeros((n_output, n_hidden))")]),
    Mistake("init_xavier_scale", "init_params", "Xavier", "init_params.xavier_scale",
            both=[("np.sqrt(2 / n_input)", "np.sqrt(1 / n_input)"),
                  ("np.sqrt(2 / n_hidden)", "np.sqrt(1 / n_hidden)")]),
    Mistake("init_not_seeded", "init_params", "seed", "init_params.not_seeded",
            both=[("np.random.default_rng(seed)", "np.random.default_rng()")]),
    Mistake("forward_missing_bias", "forward", "without the biases", "forward.missing_bias",
            both=[(' + params["b1"]', ""), (' + params["b2"]', "")]),
    Mistake("forward_missing_relu", "forward", "without the ReLU", "forward.missing_relu",
            both=[("    A1 = relu(Z1)", "    A1 = Z1")]),
    Mistake("backprop_missing_1_over_m", "backprop", "1/m", "backprop.missing_1_over_m",
            rows=[("    m = X.shape[0]\n    dZ2", "    m = 1\n    dZ2")],
            columns=[("    m = X.shape[1]\n    dZ2", "    m = 1\n    dZ2")]),
    Mistake("backprop_db_over_wrong_axis", "backprop", "wrong axis",
            "backprop.bias_over_wrong_axis",
            rows=[("np.sum(dZ2, axis=0, keepdims=True)", "np.sum(dZ2, axis=1, keepdims=True)")],
            columns=[("np.sum(dZ2, axis=1, keepdims=True)", "np.sum(dZ2, axis=0, keepdims=True)")]),
    Mistake("backprop_missing_relu_mask", "backprop", "ReLU′ mask", "backprop.missing_relu_mask",
            both=[(' * relu_derivative(cache["Z1"])', "")]),
    Mistake("backprop_transposed_dW1", "backprop", "transpose", "backprop.transposed",
            rows=[("    dW1 = X.T @ dZ1 / m", "    dW1 = dZ1.T @ X / m")],
            columns=[("    dW1 = dZ1 @ X.T / m", "    dW1 = X @ dZ1.T / m")]),
    Mistake("backprop_mutates_cache", "backprop", "in place", "backprop.mutates_input",
            both=[('    dZ2 = cache["A2"] - Y', '    dZ2 = cache["A2"]\n    dZ2 -= Y')]),
    Mistake("update_sign", "update", "uphill", "update.wrong_sign",
            both=[('params[key] - lr * grads', 'params[key] + lr * grads')]),
    Mistake("update_in_place", "update", "in place", "update.mutates_input",
            both=[('    return {key: params[key] - lr * grads["d" + key] for key in params}',
                   IN_PLACE_UPDATE)]),
    Mistake("update_without_lr", "update", "learning rate", "update.without_lr",
            both=[('params[key] - lr * grads', 'params[key] - grads')]),
]


LOOPED_UPDATE = '''    new = {}
    for key in params:
        new[key] = params[key] - lr * grads["d" + key]
    return new'''

COPIED_UPDATE = '''    import copy
    new = copy.deepcopy(params)
    for key in new:
        new[key] -= lr * grads["d" + key]
    return new'''

CORRECT_VARIANTS = [
    CorrectVariant(
        "masks_epsilon_global_seed_dot_mean_loop",
        both=[("    return np.maximum(Z, 0)", "    return Z * (Z > 0)"),
              ("    return (Z > 0).astype(Z.dtype)", "    return Z > 0"),
              ("    rng = np.random.default_rng(seed)", "    np.random.seed(seed)"),
              ('{"Z1": Z1, "A1"', '{"X": X, "Z1": Z1, "A1"'),
              ('    return {key: params[key] - lr * grads["d" + key] for key in params}',
               LOOPED_UPDATE)],
        rows=[("    return float(-np.sum(Y * np.log(np.clip(A, 1e-12, 1.0))) / m)",
               "    return -np.mean(np.sum(Y * np.log(A + 1e-8), axis=1))"),
              ("rng.standard_normal((n_input, n_hidden))", "np.random.randn(n_input, n_hidden)"),
              ("rng.standard_normal((n_hidden, n_output))", "np.random.randn(n_hidden, n_output)"),
              ('    Z1 = X @ params["W1"] + params["b1"]',
               '    Z1 = np.dot(X, params["W1"]) + params["b1"]'),
              ("np.sum(dZ2, axis=0, keepdims=True) / m", "np.mean(dZ2, axis=0, keepdims=True)")],
        columns=[("    return float(-np.sum(Y * np.log(np.clip(A, 1e-12, 1.0))) / m)",
                  "    return -np.mean(np.sum(Y * np.log(A + 1e-8), axis=0))"),
                 ("rng.standard_normal((n_hidden, n_input))", "np.random.randn(n_hidden, n_input)"),
                 ("rng.standard_normal((n_output, n_hidden))",
                  "np.random.randn(n_output, n_hidden)"),
                 ('    Z1 = params["W1"] @ X + params["b1"]',
                  '    Z1 = np.dot(params["W1"], X) + params["b1"]'),
                 ("np.sum(dZ2, axis=1, keepdims=True) / m",
                  "np.mean(dZ2, axis=1, keepdims=True)")]),
    CorrectVariant(
        "where_int_mask_true_class_uniform_copy",
        both=[("    return np.maximum(Z, 0)", "    return np.where(Z > 0, Z, 0.0)"),
              ("    return (Z > 0).astype(Z.dtype)", "    return np.where(Z > 0, 1, 0)"),
              ("    return float(-np.sum(Y * np.log(np.clip(A, 1e-12, 1.0))) / m)",
               "    return -np.log(np.clip(A[Y == 1], 1e-12, None)).mean()"),
              # uniform on [−a, a] has std a / √3: a = sqrt(6 / fan_in) is He's std
              ("* np.sqrt(2 / n_input)", "* np.sqrt(6 / n_input)"),
              ("* np.sqrt(2 / n_hidden)", "* np.sqrt(6 / n_hidden)"),
              ('    return {key: params[key] - lr * grads["d" + key] for key in params}',
               COPIED_UPDATE)],
        rows=[("rng.standard_normal((n_input, n_hidden))",
               "rng.uniform(-1, 1, (n_input, n_hidden))"),
              ("rng.standard_normal((n_hidden, n_output))",
               "rng.uniform(-1, 1, (n_hidden, n_output))")],
        columns=[("rng.standard_normal((n_hidden, n_input))",
                  "rng.uniform(-1, 1, (n_hidden, n_input))"),
                 ("rng.standard_normal((n_output, n_hidden))",
                  "rng.uniform(-1, 1, (n_output, n_hidden))"),
                 ("Z - Z.max(axis=0, keepdims=True)", "Z - Z.max(axis=0)"),
                 ("exps / exps.sum(axis=0, keepdims=True)", "exps / exps.sum(axis=0)")]),
]
