"""The reference network checked against facts that do not come from its own code.

Every behaviour is checked in both notations (parametrized, never copied); arrays are built with
samples as rows and handed over with `notation.from_rows`.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks.gradient_check import compare, numeric_gradient
from reference import for_notation, network
from reference.training import Recipe, one_hot, train

NOTATIONS = ("rows", "columns")
PARAM_NAMES = ("W1", "b1", "W2", "b2")


@pytest.fixture(params=NOTATIONS)
def api(request):
    return for_notation(request.param)


def small_batch(api, m=5, n_input=7, n_hidden=6, n_classes=4, seed=3):
    """A float64 batch and network of small, odd sizes, in api's notation: (X, Y, labels, params)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n_input))
    labels = rng.integers(0, n_classes, m)
    nt = api.notation
    params = api.init_params(n_input, n_hidden, n_classes, seed=seed, dtype=np.float64)
    params["b1"] = params["b1"] + 0.1   # non-zero biases, so that a wrong bias gradient shows
    params["b2"] = params["b2"] - 0.2
    return nt.from_rows(X), nt.from_rows(one_hot(labels, n_classes, np.float64)), labels, params


# ---------------------------------------------------------------------------------------------
# Activations and loss


def test_softmax_sums_to_one_and_ignores_a_shift(api):
    nt = api.notation
    Z = np.random.default_rng(0).standard_normal((6, 10)) * 5
    shift = np.arange(6.0).reshape(6, 1) * 100     # a different constant for every sample
    A = api.softmax(nt.from_rows(Z))
    np.testing.assert_allclose(A.sum(axis=nt.class_axis), 1, rtol=1e-12)
    np.testing.assert_allclose(api.softmax(nt.from_rows(Z + shift)), A, rtol=1e-10)
    assert (nt.to_rows(A).argmax(axis=1) == Z.argmax(axis=1)).all()


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_softmax_is_stable_for_huge_logits(api, scale):
    nt = api.notation
    Z = np.array([[1.0, 0.0, -1.0], [0.5, 0.5, -0.5]]) * scale
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # exp(−2e4) = 0 is fine
        A = nt.to_rows(api.softmax(nt.from_rows(Z)))
    assert np.isfinite(A).all()
    np.testing.assert_allclose(A.sum(axis=1), 1)
    expected = [[1, 0, 0], [0.5, 0.5, 0]] if scale > 0 else [[0, 0, 1], [0, 0, 1]]
    np.testing.assert_allclose(A, expected, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_and_its_derivative_at_exact_zeros(dtype):
    Z = np.array([-2.0, -0.0, 0.0, 1e-30, 3.0], dtype=dtype)
    np.testing.assert_array_equal(network.relu(Z), [0, 0, 0, dtype(1e-30), 3])
    derivative = network.relu_derivative(Z)
    np.testing.assert_array_equal(derivative, [0, 0, 0, 1, 1])
    assert derivative.dtype == dtype


def test_cross_entropy_of_a_perfect_and_of_a_uniform_prediction(api):
    nt = api.notation
    Y = one_hot(np.array([3, 0, 9, 9]), 10, np.float64)
    assert api.cross_entropy(nt.from_rows(Y), nt.from_rows(Y)) == pytest.approx(0, abs=1e-9)
    uniform = np.full((4, 10), 0.1)
    assert api.cross_entropy(nt.from_rows(uniform), nt.from_rows(Y)) == pytest.approx(np.log(10))


# ---------------------------------------------------------------------------------------------
# Gradients


@pytest.mark.parametrize("name", PARAM_NAMES)
def test_backprop_matches_centered_differences(api, name):
    X, Y, _, params = small_batch(api)
    A2, cache = api.forward(X, params)
    # ReLU has a kink at 0: a difference straddling it would be meaningless.
    assert np.abs(cache["Z1"]).min() > 1e-3, "pick another seed: a pre-activation sits at the kink"

    def loss(value):
        return api.cross_entropy(api.forward(X, {**params, name: value})[0], Y)

    grads = api.backprop(X, Y, params, cache)
    assert grads["d" + name].shape == params[name].shape
    numeric = numeric_gradient(loss, params[name])
    indices = list(np.ndindex(numeric.shape))
    comparison = compare(grads["d" + name], indices, numeric.ravel())
    assert comparison.passes(1e-6), comparison.describe()


def test_rows_and_columns_agree_up_to_transposition():
    rows, columns = for_notation("rows"), for_notation("columns")
    X, Y, _, params = small_batch(rows)
    params_columns = columns.init_params(7, 6, 4, seed=3, dtype=np.float64)
    params_rows = rows.init_params(7, 6, 4, seed=3, dtype=np.float64)
    for name in PARAM_NAMES:
        np.testing.assert_array_equal(params_columns[name], params_rows[name].T)
    params_columns = {name: value.T for name, value in params.items()}
    A_rows, cache_rows = rows.forward(X, params)
    A_columns, cache_columns = columns.forward(X.T, params_columns)
    np.testing.assert_allclose(A_columns, A_rows.T, rtol=1e-12)
    for key in cache_rows:
        np.testing.assert_allclose(cache_columns[key], cache_rows[key].T, rtol=1e-12)
    grads_rows = rows.backprop(X, Y, params, cache_rows)
    grads_columns = columns.backprop(X.T, Y.T, params_columns, cache_columns)
    for key in grads_rows:
        np.testing.assert_allclose(grads_columns[key], grads_rows[key].T, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------------------------
# Update and initialisation


def test_update_steps_against_the_gradient_without_mutating(api):
    X, Y, _, params = small_batch(api)
    A2, cache = api.forward(X, params)
    grads = api.backprop(X, Y, params, cache)
    before = {name: value.copy() for name, value in params.items()}
    grads_before = {name: value.copy() for name, value in grads.items()}
    updated = api.update(params, grads, 0.05)
    for name in PARAM_NAMES:
        np.testing.assert_array_equal(params[name], before[name])
        np.testing.assert_array_equal(grads["d" + name], grads_before["d" + name])
        np.testing.assert_allclose(updated[name], before[name] - 0.05 * grads["d" + name], rtol=1e-12)
    loss_before = api.cross_entropy(A2, Y)
    assert api.cross_entropy(api.forward(X, updated)[0], Y) < loss_before


def test_init_params_is_deterministic_and_he_scaled(api):
    nt = api.notation
    params = api.init_params(784, 128, 10, seed=7)
    again = api.init_params(784, 128, 10, seed=7)
    other = api.init_params(784, 128, 10, seed=8)
    for name in PARAM_NAMES:
        np.testing.assert_array_equal(params[name], again[name])
        assert params[name].dtype == np.float32
    assert not np.array_equal(params["W1"], other["W1"])
    expected_shapes = {"W1": (784, 128), "b1": (1, 128), "W2": (128, 10), "b2": (1, 10)}
    for name, shape in expected_shapes.items():
        assert params[name].shape == nt.shape(shape)
    assert not params["b1"].any() and not params["b2"].any()
    # He: standard deviation sqrt(2 / fan_in), mean 0. 100,352 and 1,280 draws: within 2 % and 8 %.
    assert params["W1"].std() == pytest.approx(np.sqrt(2 / 784), rel=0.02)
    assert params["W2"].std() == pytest.approx(np.sqrt(2 / 128), rel=0.08)
    assert abs(params["W1"].mean()) < 0.1 * np.sqrt(2 / 784)


# ---------------------------------------------------------------------------------------------
# Training on real data


@pytest.mark.mnist
# One epoch on 10,000 images: 32 hidden units reach about 0.90, the tutorial's 10 about 0.84.
@pytest.mark.parametrize("notation, hidden, at_least", [("rows", 32, 0.85), ("columns", 10, 0.80)])
def test_short_training_run_learns(mnist_dir, notation, hidden, at_least):
    from studentkit.mnist import load_mnist

    api = for_notation(notation)
    X, labels = load_mnist("train", notation, data_dir=mnist_dir)
    X_test, labels_test = load_mnist("test", notation, data_dir=mnist_dir)
    nt = api.notation
    X_small = nt.from_rows(nt.to_rows(X)[:10_000])
    result = train(X_small, labels[:10_000], Recipe(notation, hidden, epochs=1))
    accuracy = api.accuracy(X_test, labels_test, result.params)
    assert accuracy > at_least, f"{notation}/{hidden}: test accuracy {accuracy:.3f} after one epoch"
    assert all(value.dtype == np.float32 for value in result.params.values())
