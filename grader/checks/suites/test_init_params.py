"""init_params(n_input, n_hidden, n_output, seed): He-scaled random weights, reproducible by seed.

Returns W1 (n_input, n_hidden), b1 (1, n_hidden), W2 (n_hidden, n_output), b2 (1, n_output) with
samples as rows; every array transposed with samples as columns. Always called with keyword
arguments, since the notebooks' defaults differ. Any floating dtype will do (see the rubric).

Scale and seeding are checked at the assignment's own sizes first (784, its hidden size, 10), then
at other sizes: an init_params with hard-coded sizes fails the other sizes' shapes, and still
learns in the same grading whether its scale and its seeding are right.
"""

from functools import partial

import numpy as np
import pytest

from grader.checks import diagnose
from grader.checks.expect import expect_dict_of_arrays, expect_that
from grader.checks.feedback import show
from grader.checks.suites import case_labels as labels

#: (n_input, n_hidden, n_output): the two tutorials' networks and small non-square ones.
SIZES = [(784, 128, 10), (784, 10, 10), (20, 7, 3), (5, 3, 2)]
#: Stands for the assignment's own sizes in a parametrize list.
OWN = "the assignment's own sizes"
#: Fewer weights than this give too noisy a standard deviation for a ±20 % band: with 1000
#: normal draws the sample std is within 3 % (one sd) of the true one, and the mean within
#: 0.03 std of 0. The assignment's hidden-10 W2 (100 weights) is checked at the other sizes.
MIN_WEIGHTS_FOR_SCALE = 1000


def sizes_id(sizes):
    return labels.layer_sizes(sizes)


def resolve(sizes, assignment) -> tuple[int, int, int]:
    return (784, assignment.hidden, 10) if sizes == OWN else sizes


def rows_shapes(n_input, n_hidden, n_output) -> dict[str, tuple]:
    return {"W1": (n_input, n_hidden), "b1": (1, n_hidden), "W2": (n_hidden, n_output),
            "b2": (1, n_output)}


def init(student, notation, assignment, sizes, seed):
    """Call the student's init_params and check the keys and shapes of what comes back."""
    n_input, n_hidden, n_output = sizes
    shapes = {key: notation.shape(shape) for key, shape in rows_shapes(*sizes).items()}
    own = {key: notation.shape(shape)
           for key, shape in rows_shapes(784, assignment.hidden, 10).items()}
    rows_dims = {"W1": ("n_input", "n_hidden"), "b1": (1, "n_hidden"),
                 "W2": ("n_hidden", "n_output"), "b2": (1, "n_output")}
    params = student.call("init_params", n_input=n_input, n_hidden=n_hidden, n_output=n_output,
                          seed=seed)
    return expect_dict_of_arrays(
        params, what=f"init_params(n_input={n_input}, n_hidden={n_hidden}, n_output={n_output}, "
                     f"seed={seed})",
        shapes=shapes, dims={key: notation.shape(dims) for key, dims in rows_dims.items()},
        diagnose={key: partial(shape_mistakes, name=key, asked=shapes[key], own=own[key],
                               notation=notation) for key in shapes})


def shape_mistakes(got, *, name, asked, own, notation):
    return diagnose.first(diagnose.init_ignores_sizes(got, name, asked, own),
                          diagnose.init_other_notation(got, name, asked, notation.name))


@pytest.mark.parametrize("sizes", SIZES, ids=sizes_id)
def test_keys_and_shapes(student, notation, assignment, sizes):
    """A dict with W1, b1, W2, b2 of the right shapes, finite floating-point values."""
    init(student, notation, assignment, sizes, seed=0)


@pytest.mark.parametrize("sizes", [OWN, (784, 100, 10), (300, 200, 50)], ids=sizes_id)
def test_he_scale(student, notation, assignment, sizes):
    """Weights centred on 0 with standard deviation sqrt(2 / fan_in), within 20 %.

    fan_in is n_input for W1 and n_hidden for W2. With ≥ 1000 weights per matrix the sample
    standard deviation is within 3 % of the true one, so 20 % separates He from Xavier's
    sqrt(1 / fan_in) (−29 %) and from an unscaled or 0.01-scaled normal.
    """
    sizes = resolve(sizes, assignment)
    params = init(student, notation, assignment, sizes, seed=0)
    for name, fan_in, fan_out in [("W1", sizes[0], sizes[1]), ("W2", sizes[1], sizes[2])]:
        W, target = params[name], np.sqrt(2 / fan_in)
        if W.size < MIN_WEIGHTS_FOR_SCALE:
            continue
        what = f"{name} = init_params(n_input={sizes[0]}, n_hidden={sizes[1]}, " \
               f"n_output={sizes[2]})['{name}']"
        hint = diagnose.init_all_zeros(W, name) or diagnose.init_not_he_scaled(W, fan_in, name,
                                                                               fan_out)
        expect_that(0.8 <= W.std() / target <= 1.25,
                    f"{what} has standard deviation {W.std():.3g}; expected {target:.3g}.",
                    expected=f"std ≈ sqrt(2 / {fan_in}) = {target:.3g} (±20 %)",
                    got=f"std {W.std():.3g}, values {show(W)}", hint=hint)
        expect_that(abs(W.mean()) <= 0.2 * target,
                    f"{what} has mean {W.mean():.3g}; weights should be centred on 0.",
                    expected=f"mean ≈ 0 (within {0.2 * target:.2g})", got=f"mean {W.mean():.3g}",
                    hint=hint)


@pytest.mark.parametrize("sizes", [OWN, (30, 8, 10)], ids=sizes_id)
@pytest.mark.parametrize("seed", [0, 7], ids=labels.seed)
def test_seeded(student, notation, assignment, seed, sizes):
    """The same seed gives the same weights; another seed gives other weights."""
    sizes = resolve(sizes, assignment)
    first, again = (init(student, notation, assignment, sizes, seed) for _ in range(2))
    other = init(student, notation, assignment, sizes, seed + 1)
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
