"""relu(Z) = max(Z, 0), element-wise; Z of any shape (here Z1, (m, h) — (h, m) as columns)."""

from functools import partial

import numpy as np
import pytest

from grader.checks import diagnose
from grader.checks.expect import expect_array, expect_close, expect_not_mutated
from grader.checks.feedback import show_inputs
from grader.checks.suites.elementwise_cases import SHAPES, shape_id
from grader.checks.suites import case_labels as labels


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=labels.dtype)
@pytest.mark.parametrize("rows_shape", SHAPES, ids=shape_id)
def test_shape_and_dtype(student, notation, rng, rows_shape, dtype):
    """relu(Z) has Z's shape and a floating dtype."""
    Z = notation.from_rows(rng.standard_normal(rows_shape)).astype(dtype)
    expect_array(student.call("relu", Z), shape=Z.shape, dims=notation.shape(("m", "h")),
                 what="relu(Z)", input=show_inputs(Z=Z))


@pytest.mark.parametrize("rows_shape", SHAPES, ids=shape_id)
def test_values(student, notation, ref, rng, rows_shape):
    """relu(Z) equals max(Z, 0) on random inputs."""
    Z = notation.from_rows(rng.standard_normal(rows_shape))
    expected = ref.relu(Z)
    expect_close(student.call("relu", Z), expected, what="relu(Z)", input=show_inputs(Z=Z),
                 dims=notation.shape(("m", "h")),
                 diagnose=partial(diagnose.relu_mistakes, Z=Z, expected=expected))


@pytest.mark.parametrize("case", ["exact_zeros", "all_negative"], ids=labels.described)
def test_zeros_and_negatives(student, notation, ref, rng, case):
    """Zeros (including -0.0) and negative inputs come out as 0; positives pass unchanged."""
    if case == "exact_zeros":
        Z = notation.from_rows(rng.integers(-2, 3, size=(4, 6)).astype(np.float64))
        Z[Z == 0] = np.where(rng.random(np.count_nonzero(Z == 0)) < 0.5, 0.0, -0.0)
    else:
        Z = notation.from_rows(-rng.random((3, 5)) - 0.1)
    expected = ref.relu(Z)
    expect_close(student.call("relu", Z), expected, what="relu(Z)", input=show_inputs(Z=Z),
                 diagnose=partial(diagnose.relu_mistakes, Z=Z, expected=expected))


def test_no_mutation(student, notation, rng, did_its_work):
    """relu returns an array and leaves its input unchanged."""
    Z = notation.from_rows(rng.standard_normal((5, 7)))
    outcome = student.call_detailed("relu", Z)
    did_its_work(outcome.value, kind="an array", what="relu(Z)", input=show_inputs(Z=Z))
    expect_not_mutated(outcome, function="relu", arg_names=("Z",), input=show_inputs(Z=Z))
