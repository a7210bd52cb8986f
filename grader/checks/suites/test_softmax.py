"""softmax(Z): for each sample, exp of its 10 logits divided by their sum.

Z is (m, 10) with samples as rows, (10, m) with samples as columns; so is the result.
"""

from functools import partial

import numpy as np
import pytest

from grader.checks import diagnose
from grader.checks.expect import expect_array, expect_close, expect_not_mutated, expect_that
from grader.checks.feedback import show, show_inputs
from grader.checks.suites import case_labels as labels

#: Batch sizes: one sample, odd batches, exactly 10 (square: a wrong axis keeps the shape), many.
BATCHES = [1, 2, 5, 10, 33]


def logits(notation, rng, m, scale=3.0):
    """Random logits for m samples, in the notation: (m, 10) or (10, m)."""
    return notation.from_rows(rng.normal(0, scale, size=(m, 10)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=labels.dtype)
@pytest.mark.parametrize("m", [1, 3, 64], ids=labels.batch)
def test_shape_and_dtype(student, notation, rng, m, dtype):
    """softmax(Z) has Z's shape, (m, 10) — (10, m) as columns — and a floating dtype."""
    Z = logits(notation, rng, m).astype(dtype)
    expect_array(student.call("softmax", Z), shape=Z.shape, dims=notation.shape(("m", 10)),
                 what="softmax(Z)", input=show_inputs(Z=Z))


@pytest.mark.parametrize("m", BATCHES, ids=labels.batch)
def test_values(student, notation, ref, rng, m):
    """softmax(Z) matches the reference on random logits."""
    check_against_reference(student, notation, ref, logits(notation, rng, m))


@pytest.mark.parametrize("m", [3, 10], ids=labels.batch)
def test_sums_to_one(student, notation, ref, rng, m):
    """Each sample's 10 probabilities lie in [0, 1] and sum to 1."""
    Z = logits(notation, rng, m)
    got = expect_array(student.call("softmax", Z), shape=Z.shape, dims=notation.shape(("m", 10)),
                       what="softmax(Z)", input=show_inputs(Z=Z))
    sums = got.sum(axis=notation.class_axis)
    expect_that(np.allclose(sums, 1, atol=1e-6) and got.min() >= 0 and got.max() <= 1 + 1e-12,
                "The probabilities of each sample should be in [0, 1] and sum to 1.",
                expected="every per-sample sum = 1", got=f"per-sample sums {show(sums)}",
                input=show_inputs(Z=Z),
                hint=diagnose.softmax_mistakes(got, Z=Z, expected=ref.softmax(Z),
                                               notation=notation))


@pytest.mark.parametrize("case", ["plus_minus_1e3", "all_1e3", "all_minus_1e3"],
                         ids=labels.described)
def test_large_logits(student, notation, ref, rng, case):
    """Logits of ±1e3 give the right finite probabilities: exp must not overflow."""
    rows = {"plus_minus_1e3": rng.choice([-1e3, 1e3], size=(4, 10)) + rng.normal(0, 1, (4, 10)),
            "all_1e3": 1e3 + rng.normal(0, 1, (3, 10)),
            "all_minus_1e3": -1e3 + rng.normal(0, 1, (3, 10))}[case]
    check_against_reference(student, notation, ref, notation.from_rows(rows))


def check_against_reference(student, notation, ref, Z):
    expected = ref.softmax(Z)
    expect_close(student.call("softmax", Z), expected, what="softmax(Z)", input=show_inputs(Z=Z),
                 dims=notation.shape(("m", 10)),
                 diagnose=partial(diagnose.softmax_mistakes, Z=Z, expected=expected,
                                  notation=notation))


def test_no_mutation(student, notation, rng, did_its_work):
    """softmax returns an array and leaves its input unchanged."""
    Z = logits(notation, rng, 4)
    outcome = student.call_detailed("softmax", Z)
    did_its_work(outcome.value, kind="an array", what="softmax(Z)", input=show_inputs(Z=Z))
    expect_not_mutated(outcome, function="softmax", arg_names=("Z",), input=show_inputs(Z=Z))
