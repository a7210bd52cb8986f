"""Your init_params, forward, backprop and update, trained together on MNIST.

The grader drives training itself, with a fixed recipe, calling your four functions (forward and
backprop with the kit's relu, softmax and relu_derivative in place of yours, as in their own
exercises); then it measures the test accuracy of the parameters you end with using the
REFERENCE's forward pass, after checking that they are a dict of finite W1, b1, W2, b2 of the
right shapes.

The recipe: one epoch over the first `images` training images, shuffled with a fixed seed, in
batches of `batch_size`, the learning rate decaying linearly from `lr_start` to `lr_end` (the
decay makes the final accuracy steady). The thresholds come from training the reference's own
functions with it, over many initial seeds — what varies between correct submissions is the
initial draw of their weights (tests/test_suites.py checks that the reference gets full marks):

    hidden 128: 12 000 images, batch 200, lr 0.5 → 0.05 (60 steps):
                reference 0.8944 with seed 0; over 16 seeds min 0.8887, mean 0.8923.
                Full marks at ≥ 0.86.
    hidden 10:  20 000 images, batch 100, lr 0.2 → 0.02 (200 steps; a 10-unit layer needs the
                smaller, more numerous steps to train reliably):
                reference 0.8832 with seed 0; over 100 seeds min 0.8092, mean 0.8745.
                Full marks at ≥ 0.78.

`learns` (≥ 50 %) gives partial credit to a network that trains but falls short.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pytest

import reference
from grader.expect import expect_dict_of_arrays, expect_pair, expect_that
from grader.feedback import Feedback


@dataclass(frozen=True)
class Recipe:
    images: int            # the first `images` training images, one epoch
    batch_size: int
    lr_start: float        # decays linearly to lr_end over the epoch
    lr_end: float
    passing: float         # test accuracy for full marks on `accuracy`
    reference: float       # what the reference reaches with it (seed 0), for the record


#: One recipe per hidden size (assignment.hidden); see the module docstring for the measurements.
RECIPES = {
    128: Recipe(images=12_000, batch_size=200, lr_start=0.5, lr_end=0.05, passing=0.86,
                reference=0.8944),
    10: Recipe(images=20_000, batch_size=100, lr_start=0.2, lr_end=0.02, passing=0.78,
               reference=0.8832),
}
#: Test accuracy for `learns`: far above chance (10 %), far below any network that trains.
LEARNS = 0.50
SEED = 0
#: Seconds the whole training may take; a vectorised submission needs well under one.
TIME_BUDGET = 20.0
PARAM_NAMES = ("W1", "b1", "W2", "b2")
#: The exercises whose mistakes can sink this check.
USED = ("init_params", "forward", "backprop", "update")


@dataclass
class Training:
    """How the training went: the accuracy reached, or the exception that stopped it."""

    accuracy: float | None = None
    stopped_by: BaseException | None = None
    recipe: Recipe | None = None


@pytest.fixture(scope="module")
def training(student, assignment, notation, ref, mnist, forward_substitutes,
             backprop_substitutes) -> Training:
    if mnist.error:
        return Training()
    recipe = RECIPES.get(assignment.hidden)
    if recipe is None:
        raise RuntimeError(f"no MNIST recipe for hidden={assignment.hidden}: measure the "
                           "reference and add one to RECIPES")
    try:
        params = train(student, notation, mnist.train, recipe, assignment.hidden,
                       forward_substitutes, backprop_substitutes)
        X_test, labels_test = mnist.test
        return Training(accuracy=ref.accuracy(X_test, labels_test, params), recipe=recipe)
    except Exception as error:   # Feedback or a StudentError: re-raised by each check
        return Training(stopped_by=error, recipe=recipe)


def test_learns(training, mnist, failed_exercises):
    """Training makes real progress: test accuracy ≥ 50 %."""
    expect_accuracy(training, mnist, LEARNS, failed_exercises)


def test_accuracy(training, mnist, failed_exercises):
    """Test accuracy close to the reference's under the same recipe (see RECIPES)."""
    expect_accuracy(training, mnist, training.recipe.passing if training.recipe else 1.0,
                    failed_exercises)


def expect_accuracy(training: Training, mnist, threshold: float, failed_exercises: set) -> None:
    if mnist.error:
        pytest.skip(f"MNIST is not available, so the accuracy check could not run: {mnist.error}")
    if isinstance(training.stopped_by, Feedback):
        stopped = training.stopped_by
        raise Feedback(stopped.summary, expected=stopped.expected, got=stopped.got,
                       input=stopped.input or describe(training.recipe),
                       hint=f"{stopped.hint} {likely_causes(failed_exercises)}".strip())
    if training.stopped_by is not None:
        raise training.stopped_by
    if training.accuracy < threshold:
        raise Feedback(
            f"After training, your network's test accuracy is {training.accuracy:.1%}; "
            f"this check needs {threshold:.0%}.",
            expected=f"test accuracy ≥ {threshold:.0%}", got=f"{training.accuracy:.2%}",
            input=describe(training.recipe), hint=likely_causes(failed_exercises))


def likely_causes(failed_exercises: set) -> str:
    failed = [name for name in USED if name in failed_exercises]
    if failed:
        return (f"These exercises lost points too and are the likely cause: {', '.join(failed)}. "
                "Fix them first.")
    return ("Your functions pass their own checks, so look at how they work together: does "
            "update use the lr it is given, and does backprop return the gradients of the loss "
            "of the batch it is given?")


def describe(recipe: Recipe | None) -> str:
    if recipe is None:
        return ""
    return (f"one epoch over {recipe.images} MNIST training images, batches of "
            f"{recipe.batch_size}, learning rate {recipe.lr_start} decaying to {recipe.lr_end}, "
            f"your init_params(seed={SEED})")


# ---- the training loop, on the trusted side ---------------------------------------------------

def train(student, notation, train_split, recipe: Recipe, hidden: int, forward_substitutes,
          backprop_substitutes) -> dict:
    """Run `recipe` with the student's functions; returns the final params, validated.

    X: (images, 784) float32 — (784, images) as columns; labels (images,).
    """
    shapes = parameter_shapes(notation, hidden)
    params = expect_params(student.call("init_params", n_input=784, n_hidden=hidden,
                                        n_output=10, seed=SEED),
                           shapes, f"init_params(n_input=784, n_hidden={hidden}, n_output=10)")
    # The images come in the dtype of the student's parameters: a matrix product of mixed
    # dtypes (float64 weights, float32 pixels) skips BLAS and is ten times slower.
    dtype = params["W1"].dtype
    X_all, labels_all = train_split
    order = np.random.default_rng(SEED).permutation(recipe.images)  # shuffled once, then sliced
    # Shuffled with samples as rows, where each sample is one contiguous block (fast to gather).
    X = notation.from_rows(notation.to_rows(X_all)[order].astype(dtype))
    Y = notation.from_rows(reference.one_hot(labels_all[order], dtype=dtype))
    starts = range(0, recipe.images, recipe.batch_size)
    started = time.perf_counter()
    for step, start in enumerate(starts):
        Xb, Yb = (samples(array, notation, start, start + recipe.batch_size) for array in (X, Y))
        A2, cache = expect_pair(
            student.call("forward", Xb, params, substitutes=forward_substitutes),
            what="forward(X, params), during training", names=("A2", "cache"))
        grads = student.call("backprop", Xb, Yb, params, cache, substitutes=backprop_substitutes)
        lr = recipe.lr_start + (recipe.lr_end - recipe.lr_start) * step / max(1, len(starts) - 1)
        params = expect_params(student.call("update", params, grads, lr), shapes,
                               f"update(params, grads, lr) at training step {step + 1}")
        if time.perf_counter() - started > TIME_BUDGET:
            raise Feedback(
                f"Training stopped after {step + 1} of {len(starts)} steps: it took longer than "
                f"{TIME_BUDGET:.0f} s.", expected=f"{len(starts)} steps within {TIME_BUDGET:.0f} s",
                got=f"{step + 1} steps", input=describe(recipe),
                hint="Use whole-array NumPy operations (matrix products, broadcasting) instead of "
                     "Python loops over samples or units.")
    return params


def samples(array: np.ndarray, notation, start: int, stop: int) -> np.ndarray:
    """Samples start..stop-1 of an array in the notation: rows, or columns."""
    return array[start:stop] if notation.sample_axis == 0 else array[:, start:stop]


def parameter_shapes(notation, hidden: int) -> dict[str, tuple]:
    rows = {"W1": (784, hidden), "b1": (1, hidden), "W2": (hidden, 10), "b2": (1, 10)}
    return {name: notation.shape(shape) for name, shape in rows.items()}


def expect_params(value, shapes: dict, what: str) -> dict:
    """Parameters that are a dict of finite arrays of the right shapes; nan means divergence."""
    params = expect_dict_of_arrays(value, shapes=shapes, what=what, finite=False)
    diverged = [name for name in PARAM_NAMES if not np.all(np.isfinite(params[name]))]
    expect_that(not diverged, f"{what} returned nan or inf in {', '.join(diverged)}: training "
                "diverged.", expected="finite parameters", got=f"nan/inf in {', '.join(diverged)}",
                hint="The steps were too large: usually a gradient missing its 1/m, or an update "
                     "with the wrong sign.")
    return params
