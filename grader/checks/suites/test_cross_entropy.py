"""cross_entropy(A, Y) = −Σ Y·log(A) / m: the mean over the batch, one float.

A: probabilities, Y: one-hot labels, both (m, 10) with samples as rows, (10, m) as columns.
"""

from functools import partial

import numpy as np
import pytest

import reference
from grader.checks import diagnose
from grader.checks.expect import expect_close_float, expect_float, expect_not_mutated, expect_that
from grader.checks.feedback import show_inputs
from grader.checks.suites import case_labels as labels


def batch(notation, rng, m):
    """Probabilities A (softmax of random logits) and one-hot Y for m samples, in the notation.

    With logits ~ N(0, 1) every probability stays above ~1e-3, so clipping or adding an epsilon
    up to 1e-7 (all common, all correct) changes the loss by less than the tolerance, 1e-4.
    """
    rows_A = reference.softmax(rng.normal(0, 1, size=(m, 10)))
    rows_Y = reference.one_hot(rng.integers(0, 10, size=m), dtype=np.float64)
    return notation.from_rows(rows_A), notation.from_rows(rows_Y)


@pytest.mark.parametrize("m", [1, 5], ids=labels.batch)
def test_returns_float(student, notation, ref, rng, m):
    """cross_entropy returns one number (a float, or a NumPy scalar)."""
    A, Y = batch(notation, rng, m)
    expect_float(student.call("cross_entropy", A, Y), what="cross_entropy(A, Y)",
                 input=show_inputs(A=A, Y=Y),
                 diagnose=partial(diagnose.cross_entropy_mistakes, A=A, Y=Y,
                                  expected=ref.cross_entropy(A, Y), notation=notation))


@pytest.mark.parametrize("m", [1, 3, 8, 50], ids=labels.batch)
def test_values(student, notation, ref, rng, m):
    """The loss matches the reference on random probabilities and labels."""
    check_against_reference(student, notation, ref, *batch(notation, rng, m))


@pytest.mark.parametrize("m", [4, 9], ids=labels.batch)
def test_mean_over_batch(student, notation, ref, rng, m):
    """A batch and the same batch repeated twice have the same loss: it is a mean, not a sum."""
    A, Y = batch(notation, rng, m)
    twice = [np.concatenate([array, array], axis=notation.sample_axis) for array in (A, Y)]
    once_loss = expect_float(student.call("cross_entropy", A, Y), what="cross_entropy(A, Y)",
                             input=show_inputs(A=A, Y=Y))
    twice_loss = expect_float(student.call("cross_entropy", *twice),
                              what="cross_entropy of the batch repeated twice",
                              input=show_inputs(A=twice[0], Y=twice[1]))
    expect_that(np.isclose(twice_loss, once_loss, rtol=1e-6),
                f"Repeating the batch changed the loss from {once_loss:.6g} to {twice_loss:.6g}.",
                expected=f"{once_loss:.6g} for both", got=f"{twice_loss:.6g} for the doubled batch",
                input=show_inputs(A=A, Y=Y),
                hint=repeated_batch_mistake(once_loss, twice_loss, A, Y, ref, notation))


def repeated_batch_mistake(once_loss, twice_loss, A, Y, ref, notation):
    """What the loss of the batch itself shows (e.g. a division by the classes), else the sum."""
    once = diagnose.cross_entropy_mistakes(once_loss, A=A, Y=Y, expected=ref.cross_entropy(A, Y),
                                           notation=notation)
    return (once if once.diagnosis else None) \
        or diagnose.cross_entropy_summed(twice_loss, once_loss, 2) \
        or "The loss is the mean of the per-sample losses: divide by m = the batch size."


def test_zero_probabilities(student, notation, ref, rng):
    """Exact zeros in A, at wrong classes and at the true class, give a finite loss."""
    A, Y = batch(notation, rng, 4)
    rows_A, rows_Y = notation.to_rows(A).copy(), notation.to_rows(Y)
    rows_A[rows_Y == 0] = np.where(rng.random(np.count_nonzero(rows_Y == 0)) < 0.3, 0.0,
                                   rows_A[rows_Y == 0])   # zeros where Y = 0: 0·log(0) must be 0
    rows_A /= rows_A.sum(axis=1, keepdims=True)
    A = notation.from_rows(rows_A)
    check_against_reference(student, notation, ref, A, Y)

    rows_A[0] = 1 - rows_Y[0]   # the first sample puts probability 0 on its true class
    rows_A[0] /= rows_A[0].sum()
    A = notation.from_rows(rows_A)
    m = rows_A.shape[0]
    got = expect_float(student.call("cross_entropy", A, Y), what="cross_entropy(A, Y)",
                       input=show_inputs(A=A, Y=Y), diagnose=diagnose.log_without_clipping)
    floor = -np.log(1e-4) / m   # what a clip at 1e-4 gives for that sample alone
    expect_that(got >= floor, f"A zero probability on the true class gave a loss of {got:.6g}.",
                expected=f"a large finite loss (at least {floor:.3g})", got=f"{got:.6g}",
                input=show_inputs(A=A, Y=Y),
                hint="A probability of 0 on the true class is the worst possible prediction: "
                     "clip A to [1e-12, 1] (or similar, at most 1e-4) before the log so it gives "
                     "a large finite loss.")


def check_against_reference(student, notation, ref, A, Y):
    expected = ref.cross_entropy(A, Y)
    expect_close_float(student.call("cross_entropy", A, Y), expected, what="cross_entropy(A, Y)",
                       input=show_inputs(A=A, Y=Y), rtol=1e-4,
                       diagnose=partial(diagnose.cross_entropy_mistakes, A=A, Y=Y,
                                        expected=expected, notation=notation))


def test_no_mutation(student, notation, rng, did_its_work):
    """cross_entropy returns a number and leaves A and Y unchanged (no np.clip(A, ..., out=A), no
    A[A == 0] = ...)."""
    A, Y = batch(notation, rng, 5)
    A = notation.from_rows(np.where(notation.to_rows(Y) == 1, 0.0, notation.to_rows(A)))
    outcome = student.call_detailed("cross_entropy", A, Y)
    did_its_work(outcome.value, kind="a number", what="cross_entropy(A, Y)",
                 input=show_inputs(A=A, Y=Y))
    expect_not_mutated(outcome, function="cross_entropy", arg_names=("A", "Y"),
                       input=show_inputs(A=A, Y=Y))
