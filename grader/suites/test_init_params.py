"""init_params(n_input, n_hidden, n_output, seed): He-scaled random weights, reproducible by seed.

Returns W1 (n_input, n_hidden), b1 (1, n_hidden), W2 (n_hidden, n_output), b2 (1, n_output) with
samples as rows; every array transposed with samples as columns. Always called with keyword
arguments, since the notebooks' defaults differ.
"""

import numpy as np
import pytest

from grader import diagnose
from grader.expect import expect_dict_of_arrays, expect_that
from grader.feedback import show

#: (n_input, n_hidden, n_output): the two tutorials' networks and small non-square ones.
SIZES = [(784, 128, 10), (784, 10, 10), (20, 7, 3), (5, 3, 2)]


def sizes_id(sizes):
    return "-".join(map(str, sizes))


def init(student, notation, sizes, seed):
    """Call the student's init_params and check the keys and shapes of what comes back."""
    n_input, n_hidden, n_output = sizes
    rows_shapes = {"W1": (n_input, n_hidden), "b1": (1, n_hidden),
                   "W2": (n_hidden, n_output), "b2": (1, n_output)}
    rows_dims = {"W1": ("n_input", "n_hidden"), "b1": (1, "n_hidden"),
                 "W2": ("n_hidden", "n_output"), "b2": (1, "n_output")}
    params = student.call("init_params", n_input=n_input, n_hidden=n_hidden, n_output=n_output,
                          seed=seed)
    return expect_dict_of_arrays(
        params, what=f"init_params(n_input={n_input}, n_hidden={n_hidden}, n_output={n_output}, "
                     f"seed={seed})",
        shapes={key: notation.shape(shape) for key, shape in rows_shapes.items()},
        dims={key: notation.shape(dims) for key, dims in rows_dims.items()})


@pytest.mark.parametrize("sizes", SIZES, ids=sizes_id)
def test_keys_and_shapes(student, notation, sizes):
    """A dict with W1, b1, W2, b2 of the right shapes, finite floating-point values."""
    init(student, notation, sizes, seed=0)


@pytest.mark.parametrize("sizes", [(784, 100, 10), (300, 200, 50)], ids=sizes_id)
def test_he_scale(student, notation, sizes):
    """Weights centred on 0 with standard deviation sqrt(2 / fan_in), within 20 %.

    fan_in is n_input for W1 and n_hidden for W2. With ≥ 1000 weights per matrix the sample
    standard deviation is within 3 % of the true one, so 20 % separates He from Xavier's
    sqrt(1 / fan_in) (−29 %) and from an unscaled or 0.01-scaled normal.
    """
    params = init(student, notation, sizes, seed=0)
    for name, fan_in in [("W1", sizes[0]), ("W2", sizes[1])]:
        W, target = params[name], np.sqrt(2 / fan_in)
        what = f"{name} = init_params(n_input={sizes[0]}, n_hidden={sizes[1]}, " \
               f"n_output={sizes[2]})['{name}']"
        expect_that(0.8 <= W.std() / target <= 1.25,
                    f"{what} has standard deviation {W.std():.3g}; expected {target:.3g}.",
                    expected=f"std ≈ sqrt(2 / {fan_in}) = {target:.3g} (±20 %)",
                    got=f"std {W.std():.3g}, values {show(W)}",
                    hint=diagnose.init_all_zeros(W, name) or
                    diagnose.init_not_he_scaled(W, fan_in, name))
        expect_that(abs(W.mean()) <= 0.2 * target,
                    f"{what} has mean {W.mean():.3g}; weights should be centred on 0.",
                    expected=f"mean ≈ 0 (within {0.2 * target:.2g})", got=f"mean {W.mean():.3g}",
                    hint="Draw from a distribution centred on 0: rng.standard_normal(shape), not "
                         "rng.random(shape) (which is uniform on [0, 1)).")


@pytest.mark.parametrize("seed", [0, 7])
def test_seeded(student, notation, seed):
    """The same seed gives the same weights; another seed gives other weights."""
    sizes = (30, 8, 10)
    first, again = (init(student, notation, sizes, seed) for _ in range(2))
    other = init(student, notation, sizes, seed + 1)
    same_seed_differs = any(not np.array_equal(first[key], again[key]) for key in first
                            if key in ("W1", "b1", "W2", "b2"))
    other_seed_same = all(np.array_equal(first[key], other[key]) for key in ("W1", "W2"))
    expect_that(not same_seed_differs and not other_seed_same,
                f"init_params is not reproducible by its seed (seed={seed}).",
                expected=f"two calls with seed={seed} identical; seed={seed + 1} different",
                got=("two calls with the same seed differ" if same_seed_differs else
                     f"seed={seed} and seed={seed + 1} give the same weights"),
                hint=diagnose.init_all_zeros(first["W1"], "W1")
                or diagnose.init_not_seeded(same_seed_differs, other_seed_same))
