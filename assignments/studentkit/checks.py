"""The public self-checks, exercise by exercise: small inputs whose answers are known by hand.

Every check is a function `(student_function, notation) -> None` that raises `Problem` (what is
wrong, and a hint) when the student's function misbehaves; `studentkit.selfcheck` runs them and
prints the outcome. The expected values are tiny hand-computed constants and mathematical facts
(softmax of [0, ln 3] is [1/4, 3/4]); this file is shipped to students, so it holds no solution.
The hand-made examples are written with samples as rows; `Notation.put` transposes them for
the columns notation.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from studentkit.expect import Notation, Problem, expect_array, expect_close, expect_shape, show, sibling

NOTATIONS = ("rows", "columns")

#: exercise → [(description, check)], filled by @public_check below, in the order run.
CHECKS: dict[str, list[tuple[str, Callable[[Callable, Notation], None]]]] = {}

#: The student's functions an exercise relies on (it calls them, or its checks do): its checks
#: count only once these pass their own, so that a mistake is reported where it is.
RELIES_ON = {"relu_derivative": ("relu",), "forward": ("relu", "softmax"),
             "backprop": ("relu_derivative", "forward", "cross_entropy")}


def public_check(name: str, description: str):
    def register(check: Callable) -> Callable:
        CHECKS.setdefault(name, []).append((description, check))
        return check
    return register


# ---- relu and its derivative -------------------------------------------------------------------

_Z_SMALL = [[-2.0, -0.5, 0.0, 0.5, 3.0]]


@public_check("relu", "relu([-2, -0.5, 0, 0.5, 3]) is [0, 0, 0, 0.5, 3]")
def _relu_values(relu, nt):
    expect_close(relu(np.array(_Z_SMALL)), [[0, 0, 0, 0.5, 3]], "relu(Z)",
                  "keep positive entries, replace negative ones by 0, element by element")


@public_check("relu", "keeps the shape and leaves Z unchanged")
def _relu_shape_and_input(relu, nt):
    Z = np.random.default_rng(1).standard_normal((3, 4))
    original = Z.copy()
    expect_shape(relu(Z), (3, 4), "relu(Z) for Z of shape (3, 4)", "work element-wise; do not sum")
    if not np.array_equal(Z, original):
        raise Problem("relu changed its input Z in place",
                      "return a new array (np.maximum makes one); assigning into Z alters the "
                      "caller's array, e.g. the Z1 that backprop needs later")


@public_check("relu_derivative", "ReLU′ of [-2, -0.5, 0, 0.5, 3] is [0, 0, 0, 1, 1]")
def _relu_derivative_values(relu_derivative, nt):
    got = expect_shape(relu_derivative(np.array(_Z_SMALL)), (1, 5), "relu_derivative(Z)")
    hint = "1 where Z > 0, 0 elsewhere"
    if got.size == 5 and got[0, 2] == 1:
        hint = "ReLU′(0) is taken to be 0 here: compare with Z > 0, not Z >= 0"
    expect_close(got, [[0, 0, 0, 1, 1]], "relu_derivative(Z)", hint)


@public_check("relu_derivative", "returns numbers or booleans (True and False count as 1 and 0)")
def _relu_derivative_dtype(relu_derivative, nt):
    Z = np.array(_Z_SMALL, dtype=np.float32)
    got = expect_array(relu_derivative(Z), "relu_derivative(Z)")
    if got.dtype.kind not in "biuf":
        raise Problem(f"relu_derivative of a {Z.dtype} array returned dtype {got.dtype}",
                      "return the comparison Z > 0 itself, or its numbers: (Z > 0).astype(Z.dtype)")


@public_check("relu_derivative", "matches the slope of your relu (finite differences)")
def _relu_derivative_slope(relu_derivative, nt):
    relu = sibling(relu_derivative, "relu")
    rng = np.random.default_rng(2)
    Z = rng.uniform(0.1, 2.0, size=(4, 6)) * rng.choice([-1.0, 1.0], size=(4, 6))  # away from the kink
    h = 1e-6
    slope = (relu(Z + h) - relu(Z - h)) / (2 * h)
    expect_close(relu_derivative(Z), slope, "relu_derivative(Z)",
                  "the derivative of relu is 1 where Z is positive and 0 where it is negative")


# ---- softmax and cross-entropy ------------------------------------------------------------------

def _wrong_axis_hint(nt) -> str:
    return (f"in this notation each sample is a {nt.sample_word}: normalise along axis="
            f"{1 - nt.sample_axis} with keepdims=True")


@public_check("softmax", "each sample's probabilities are positive and sum to 1")
def _softmax_sums(softmax, nt):
    Z = nt.put(np.random.default_rng(3).normal(0, 3, size=(4, 10)))
    A = expect_shape(softmax(Z), Z.shape, "softmax(Z)", "softmax keeps the shape of Z")
    per_sample = A.sum(axis=1 - nt.sample_axis)
    if np.allclose(A.sum(axis=nt.sample_axis), 1) and not np.allclose(per_sample, 1):
        raise Problem(f"the sums over the samples are 1, not the sums over the classes",
                      _wrong_axis_hint(nt))
    if not (np.all(A > 0) and np.allclose(per_sample, 1)):
        raise Problem(f"each sample's probabilities sum to {show(per_sample)}, not 1",
                      "divide the exponentials by their sum over the classes of the same sample")


@public_check("softmax", "softmax of [0, ln 3] is [1/4, 3/4] and of [ln 2, ln 2] is [1/2, 1/2]")
def _softmax_known(softmax, nt):
    Z = nt.put([[0.0, math.log(3)], [math.log(2), math.log(2)]])
    expect_close(softmax(Z), nt.put([[0.25, 0.75], [0.5, 0.5]]), "softmax(Z)",
                  f"exponentiate, then divide by the sum over each sample's classes; "
                  f"{_wrong_axis_hint(nt)}")


@public_check("softmax", "large scores: [1000, 1000 + ln 3] → [1/4, 3/4], [−1000, −1000] → [1/2, 1/2]")
def _softmax_large(softmax, nt):
    Z = nt.put([[1000.0, 1000.0 + math.log(3)], [-1000.0, -1000.0]])
    with np.errstate(all="ignore"):
        A = expect_shape(softmax(Z), Z.shape, "softmax(Z)")
    hint = "exponentiate, then divide by the sum over each sample's classes"
    if not np.all(np.isfinite(A)):
        hint = ("exp(1000) overflows to inf and inf / inf is nan: subtract each sample's largest "
                "score before exp (a shift does not change softmax)")
    expect_close(A, nt.put([[0.25, 0.75], [0.5, 0.5]]), "softmax(Z)", hint)


def _one_hot_rows(labels, n_classes=10) -> np.ndarray:
    return np.eye(n_classes)[labels]


@public_check("cross_entropy", "returns one number")
def _cross_entropy_scalar(cross_entropy, nt):
    A = nt.put(np.full((3, 10), 0.1))
    loss = cross_entropy(A, nt.put(_one_hot_rows([0, 4, 9])))
    if np.ndim(loss) != 0:
        raise Problem(f"cross_entropy returned shape {np.shape(loss)}, expected a single number",
                      "sum over the classes and average over the samples, down to one float")


@public_check("cross_entropy", "mean of −ln 0.1 and −ln 0.5 is ln(20)/2")
def _cross_entropy_known(cross_entropy, nt):
    A = np.full((2, 10), 0.5 / 9)
    A[0] = 0.1
    A[1, 7] = 0.5
    loss = float(np.asarray(cross_entropy(nt.put(A), nt.put(_one_hot_rows([3, 7])))))
    expected = math.log(20) / 2
    hints = {math.log(20): "that is the sum over the batch: divide by m, the number of samples",
             -expected: "cross-entropy is −Σ Y·log A: the minus sign is missing",
             math.log(20) / 20: "np.mean over every entry divides by m × 10: divide the sum by m only"}
    if nt.name == "columns":
        hints[math.log(20) / 10] = "m is the number of samples, Y.shape[1] in this notation"
    if not math.isclose(loss, expected, rel_tol=1e-5):
        hint = next((text for value, text in hints.items() if math.isclose(loss, value, rel_tol=1e-5)),
                    "add up −Y·log A over the classes, then average over the samples")
        raise Problem(f"cross_entropy gave {loss:.6g}, expected ln(20)/2 = {expected:.6g}", hint)


@public_check("cross_entropy", "stays finite when some probabilities are exactly 0")
def _cross_entropy_zeros(cross_entropy, nt):
    A = np.zeros((2, 10))
    A[0, 1] = A[1, 2] = 1.0
    with np.errstate(all="ignore"):
        loss = float(np.asarray(cross_entropy(nt.put(A), nt.put(_one_hot_rows([1, 5])))))
    if not (math.isfinite(loss) and loss > 0):
        raise Problem(f"cross_entropy gave {loss} for probabilities with zeros in them",
                      "log(0) is −inf and 0·(−inf) is nan: clip A to [1e-12, 1] before the log")


# ---- init_params --------------------------------------------------------------------------------

def _param_shapes(nt, n_input, n_hidden, n_output) -> dict:
    rows = {"W1": (n_input, n_hidden), "b1": (1, n_hidden), "W2": (n_hidden, n_output),
            "b2": (1, n_output)}
    return {name: nt.shape(shape) for name, shape in rows.items()}


@public_check("init_params", "returns W1, b1, W2, b2 with this notation's shapes")
def _init_shapes(init_params, nt):
    shapes = _param_shapes(nt, 6, 5, 4)
    hint = "shapes in this notation: " + ", ".join(f"{k} {v}" for k, v in shapes.items())
    params = init_params(n_input=6, n_hidden=5, n_output=4, seed=0)
    if not isinstance(params, dict) or set(params) != set(shapes):
        raise Problem(f"init_params returned {show(params)[:80]}", "return a dict with exactly "
                      "the keys 'W1', 'b1', 'W2', 'b2'")
    for name, shape in shapes.items():
        expect_shape(params[name], shape, f"{name} for 6 inputs, 5 hidden, 4 outputs", hint)
    defaults = init_params()
    W1, W2 = expect_array(defaults["W1"], "W1"), expect_array(defaults["W2"], "W2")
    if 784 not in W1.shape or 10 not in W2.shape:
        raise Problem(f"init_params() gives W1 {W1.shape} and W2 {W2.shape}",
                      "the defaults are n_input=784 and n_output=10")


@public_check("init_params", "returns floating-point arrays (float32 or float64)")
def _init_dtypes(init_params, nt):
    params = init_params(n_input=6, n_hidden=5, n_output=4, seed=0)
    for name in ("W1", "W2", "b1", "b2"):
        value = expect_array(params[name], name)
        if value.dtype.kind != "f":
            raise Problem(f"{name} has dtype {value.dtype}",
                          "weights and biases are real numbers: keep NumPy's float64 draws, or "
                          "convert them with .astype(np.float32); np.zeros makes float zeros")


@public_check("init_params", "the same seed gives the same weights, another seed others")
def _init_seed(init_params, nt):
    first, again, other = (init_params(n_input=6, n_hidden=5, n_output=4, seed=seed)
                           for seed in (0, 0, 1))
    hint = "draw from a generator made from the seed, np.random.default_rng(seed)"
    if not all(np.array_equal(first[k], again[k]) for k in ("W1", "W2")):
        raise Problem("two calls with seed=0 gave different weights", hint)
    if np.array_equal(first["W1"], other["W1"]):
        raise Problem("seed=0 and seed=1 gave the same W1", hint)


@public_check("init_params", "weights have mean 0 and He scale, std = sqrt(2 / fan_in)")
def _init_scale(init_params, nt):
    params = init_params(n_input=784, n_hidden=64, n_output=10, seed=0)
    for name, fan_in in (("W1", 784), ("W2", 64)):
        W = np.asarray(params[name], dtype=np.float64)
        target = math.sqrt(2 / fan_in)
        if abs(W.std() / target - 1) > 0.2 or abs(W.mean()) > 0.2 * target:
            raise Problem(f"{name} has mean {W.mean():.4f} and std {W.std():.4f}; He scaling "
                          f"gives mean 0 and std sqrt(2/{fan_in}) = {target:.4f}",
                          "multiply standard-normal draws by sqrt(2 / fan_in): fan_in is n_input "
                          "for W1 and n_hidden for W2")


# ---- forward ------------------------------------------------------------------------------------

def _tiny_network(nt) -> tuple[np.ndarray, dict]:
    """3 inputs, 2 hidden units, 2 classes, 2 samples; worked by hand in the check below."""
    X = [[1.0, -1.0, 2.0], [0.0, 0.0, 0.0]]
    params = {"W1": [[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]], "b1": [[0.0, 1.0]],
              "W2": [[0.0, 2 * math.log(3) / 3], [7.0, -7.0]], "b2": [[0.0, -math.log(3)]]}
    return nt.put(X), {name: nt.put(value) for name, value in params.items()}


@public_check("forward", "a tiny network worked by hand: A2 of the first sample is [1/4, 3/4]")
def _forward_known(forward, nt):
    X, params = _tiny_network(nt)
    result = forward(X, params)
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict)):
        raise Problem("forward should return two things, A2 and the cache dict",
                      "end with: return A2, {'Z1': Z1, 'A1': A1, 'Z2': Z2, 'A2': A2}")
    A2, cache = result
    if set(cache) != {"Z1", "A1", "Z2", "A2"}:
        raise Problem(f"the cache has keys {sorted(cache)}", "the cache holds Z1, A1, Z2 and A2")
    times = "X·W1" if nt.name == "rows" else "W1·X"
    expected = {"Z1": ([[3, -2], [0, 1]], f"Z1 = {times} + b1"),
                "A1": ([[3, 0], [0, 1]], "A1 = relu(Z1)"),
                "Z2": ([[0, math.log(3)], [7, -7 - math.log(3)]],
                       "Z2 = " + ("A1·W2" if nt.name == "rows" else "W2·A1") + " + b2")}
    for name, (value, hint) in expected.items():
        expect_close(cache[name], nt.put(value), f"cache['{name}']", hint)
    first = A2[:1] if nt.name == "rows" else A2[:, :1]
    expect_close(first, nt.put([[0.25, 0.75]]), "A2 of the first sample", "A2 = softmax(Z2)")
    if not np.array_equal(A2, cache["A2"]):
        raise Problem("the A2 returned differs from cache['A2']", "return the same A2 you cache")


@public_check("forward", "MNIST-sized shapes: 5 samples, 784 → 16 → 10")
def _forward_shapes(forward, nt):
    rng = np.random.default_rng(4)
    params = {name: rng.normal(0, 0.05, size=shape) for name, shape in _param_shapes(nt, 784, 16, 10).items()}
    X = nt.put(rng.uniform(0, 1, size=(5, 784)))
    A2, cache = forward(X, params)
    for name, rows_shape in (("Z1", (5, 16)), ("A1", (5, 16)), ("Z2", (5, 10)), ("A2", (5, 10))):
        expect_shape(cache[name], nt.shape(rows_shape), f"cache['{name}']",
                      f"X is {X.shape} in this notation; check the order of each product")
    expect_shape(A2, nt.shape((5, 10)), "A2")


# ---- backprop -----------------------------------------------------------------------------------

def _small_problem(nt, m=5) -> tuple[np.ndarray, np.ndarray, dict]:
    """4 inputs, 3 hidden units, 3 classes, m samples, float64: small enough for finite differences."""
    rng = np.random.default_rng(5)
    params = {name: rng.normal(0, 0.8, size=shape) for name, shape in _param_shapes(nt, 4, 3, 3).items()}
    X = nt.put(rng.normal(0, 1, size=(m, 4)))
    Y = nt.put(_one_hot_rows(rng.integers(0, 3, size=m), 3))
    return X, Y, params


@public_check("backprop", "returns dW1, db1, dW2, db2 shaped like W1, b1, W2, b2")
def _backprop_shapes(backprop, nt):
    X, Y, params = _small_problem(nt)
    rng = np.random.default_rng(6)  # any cache of the right shapes will do to check shapes
    cache = {name: rng.uniform(0.1, 1, size=nt.shape(shape)) for name, shape in
             (("Z1", (5, 3)), ("A1", (5, 3)), ("Z2", (5, 3)), ("A2", (5, 3)))}
    grads = backprop(X, Y, params, cache)
    if not isinstance(grads, dict) or set(grads) != {"dW1", "db1", "dW2", "db2"}:
        raise Problem(f"backprop returned {show(grads)[:80]}",
                      "return a dict with the keys 'dW1', 'db1', 'dW2', 'db2'")
    for name, value in params.items():
        expect_shape(grads["d" + name], value.shape, f"d{name}",
                      "each gradient has its parameter's shape; sum biases' gradients over the "
                      "samples with keepdims=True")


def _numeric_gradients(loss: Callable[[dict], float], params: dict, h: float = 1e-5) -> dict:
    """Centred differences (L(p + h) − L(p − h)) / 2h, one coordinate at a time, in float64.

    The error is O(h²) and the rounding error O(1e-16 / h): h = 1e-5 balances both near 1e-10.
    """
    numeric = {}
    for name, value in params.items():
        numeric["d" + name] = grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            saved = value[index]
            value[index] = saved + h
            plus = loss(params)
            value[index] = saved - h
            minus = loss(params)
            value[index] = saved
            grad[index] = (plus - minus) / (2 * h)
    return numeric


def _relative_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a − b| / max(1e-8, |a| + |b|): relative where the gradient is large, absolute near zero."""
    return np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))


def _backprop_hint(grads: dict, numeric: dict, m: int) -> str:
    def ratio(name):
        return float(np.sum(grads[name] * numeric[name]) / max(np.sum(numeric[name] ** 2), 1e-300))
    ratios = {name: ratio(name) for name in numeric}
    if all(abs(r - m) < 1e-3 * m for r in ratios.values()):
        return f"every gradient is m = {m} times too large: the loss is a mean, so divide by m"
    if all(abs(r + 1) < 1e-3 for r in ratios.values()):
        return "every gradient has the wrong sign: dZ2 = A2 − Y"
    second_ok = all(_relative_error(grads[k], numeric[k]).max() < 1e-5 for k in ("dW2", "db2"))
    if second_ok:
        return "dW2 and db2 are right, the first layer is not: dZ1 = (W2ᵀ·dZ2) ⊙ ReLU′(Z1)"
    return "start from dZ2 = A2 − Y and follow the chain rule layer by layer (1/m included)"


@public_check("backprop", "matches finite differences of your forward and cross_entropy")
def _backprop_gradcheck(backprop, nt):
    forward, cross_entropy = sibling(backprop, "forward"), sibling(backprop, "cross_entropy")
    X, Y, params = _small_problem(nt)
    grads = backprop(X, Y, {k: v.copy() for k, v in params.items()}, forward(X, params)[1])
    numeric = _numeric_gradients(lambda p: float(cross_entropy(forward(X, p)[0], Y)), params)
    worst = max(numeric, key=lambda k: _relative_error(expect_array(grads[k], k), numeric[k]).max())
    errors = _relative_error(grads[worst], numeric[worst])
    if errors.max() > 1e-5:
        index = np.unravel_index(errors.argmax(), errors.shape)
        raise Problem(f"{worst}[{', '.join(map(str, index))}] is {grads[worst][index]:.6g}, the finite "
                      f"difference {numeric[worst][index]:.6g} (relative error {errors.max():.2g})",
                      _backprop_hint(grads, numeric, X.shape[nt.sample_axis]))


# ---- update -------------------------------------------------------------------------------------

def _update_example() -> tuple[dict, dict]:
    params = {"W1": [[1.0, 2.0]], "b1": [[0.5]], "W2": [[-1.0], [3.0]], "b2": [[0.0]]}
    grads = {"dW1": [[0.2, -0.4]], "db1": [[1.0]], "dW2": [[2.0], [0.0]], "db2": [[-0.6]]}
    return ({k: np.array(v) for k, v in params.items()}, {k: np.array(v) for k, v in grads.items()})


@public_check("update", "one step with lr = 0.5 moves every parameter by −0.5·gradient")
def _update_step(update, nt):
    params, grads = _update_example()
    new = update(params, grads, 0.5)
    if not isinstance(new, dict) or set(new) != set(params):
        raise Problem(f"update returned {show(new)[:80]}", "return a dict with W1, b1, W2 and b2")
    expected = {"W1": [[0.9, 2.2]], "b1": [[0.0]], "W2": [[-2.0], [3.0]], "b2": [[0.3]]}
    uphill = {"W1": [[1.1, 1.8]], "b1": [[1.0]], "W2": [[0.0], [3.0]], "b2": [[-0.3]]}
    if all(np.allclose(new[k], uphill[k]) for k in expected):
        raise Problem("every parameter moved by +lr·gradient", "descend: subtract lr times the gradient")
    for name, value in expected.items():
        expect_close(new[name], value, name, f"{name} ← {name} − lr·d{name}")


@public_check("update", "leaves the params it was given unchanged")
def _update_pure(update, nt):
    params, grads = _update_example()
    originals = {k: v.copy() for k, v in params.items()}
    new = update(params, grads, 0.5)
    changed = [k for k in params if not np.array_equal(params[k], originals[k])]
    if changed or new is params:
        raise Problem(f"update changed the params passed in ({', '.join(changed) or 'the dict'})",
                      "W - lr * dW makes a new array while W -= lr * dW overwrites W: build and "
                      "return a new dict of new arrays")

