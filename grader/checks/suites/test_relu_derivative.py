"""relu_derivative(Z) = 1 where Z > 0, else 0 — including at Z = 0; Z of any shape."""

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
    """relu_derivative(Z) has Z's shape; any numeric dtype will do (a boolean mask too)."""
    Z = notation.from_rows(rng.standard_normal(rows_shape)).astype(dtype)
    expect_array(student.call("relu_derivative", Z), shape=Z.shape, kind="number",
                 dims=notation.shape(("m", "h")), what="relu_derivative(Z)",
                 input=show_inputs(Z=Z))


@pytest.mark.parametrize("rows_shape", SHAPES, ids=shape_id)
def test_values(student, notation, ref, rng, rows_shape):
    """1 where Z > 0 and 0 where Z < 0, on random inputs."""
    Z = notation.from_rows(rng.standard_normal(rows_shape))
    check_against_reference(student, ref, Z)


def test_zero_at_zero(student, notation, ref, rng):
    """ReLU′(0) = 0: the unit is off at exactly 0 (Z > 0, not Z >= 0)."""
    Z = notation.from_rows(rng.integers(-2, 3, size=(4, 6)).astype(np.float64))
    Z[0, 0] = 0.0   # at least one exact zero
    check_against_reference(student, ref, Z)


def check_against_reference(student, ref, Z):
    expected = ref.relu_derivative(Z)
    expect_close(student.call("relu_derivative", Z), expected, what="relu_derivative(Z)",
                 input=show_inputs(Z=Z), kind="number",
                 diagnose=partial(diagnose.relu_derivative_mistakes, Z=Z, expected=expected))


def test_no_mutation(student, notation, rng, did_its_work):
    """relu_derivative returns an array and leaves its input unchanged."""
    Z = notation.from_rows(rng.standard_normal((5, 7)))
    outcome = student.call_detailed("relu_derivative", Z)
    did_its_work(outcome.value, kind="an array", what="relu_derivative(Z)",
                 input=show_inputs(Z=Z))
    expect_not_mutated(outcome, function="relu_derivative", arg_names=("Z",),
                       input=show_inputs(Z=Z))
