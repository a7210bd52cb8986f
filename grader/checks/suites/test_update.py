"""update(params, grads, lr) → new params: one gradient-descent step, W ← W − lr·dW.

params holds W1, b1, W2, b2 and grads dW1, db1, dW2, db2, shaped alike in either notation.
The result is a new dict; params and grads stay as they were.
"""

from functools import partial

import numpy as np
import pytest

from grader.checks import diagnose
from grader.checks.expect import expect_close, expect_dict_of_arrays, expect_not_mutated, expect_that
from grader.checks.feedback import show_inputs
from grader.checks.suites import case_labels as labels

PARAM_NAMES = ("W1", "b1", "W2", "b2")
HIDDEN_SIZES = [10, 128, 7]


def random_grads(params, rng):
    """Gradients shaped like params: {dW1: ..., db1: ..., dW2: ..., db2: ...}."""
    return {"d" + name: rng.normal(0, 0.1, size=value.shape) for name, value in params.items()}


def run_update(student, params, grads, lr):
    """The student's new params, checked to be a dict of arrays shaped like params."""
    shown = show_inputs(params=params, grads=grads, lr=lr)
    new = expect_dict_of_arrays(student.call("update", params, grads, lr),
                                what=f"update(params, grads, lr={lr})", input=shown,
                                shapes={name: params[name].shape for name in PARAM_NAMES},
                                diagnose_missing=diagnose.update_missing_biases)
    return new, shown


@pytest.mark.parametrize("h", HIDDEN_SIZES, ids=labels.hidden)
def test_shapes(student, network_case, rng, h):
    """update returns a dict with W1, b1, W2, b2 shaped like params."""
    case = network_case(1, h)
    run_update(student, case.params, random_grads(case.params, rng), 0.1)


@pytest.mark.parametrize("m, h", [(8, 10), (16, 7)], ids=["8 samples, 10 hidden units",
                                                            "16 samples, 7 hidden units"])
def test_direction(student, ref, network_case, m, h):
    """Every parameter moves against its gradient, and a small step lowers the loss."""
    case = network_case(m, h)
    A2, cache = ref.forward(case.X, case.params)
    grads = ref.backprop(case.X, case.Y, case.params, cache)
    lr = 0.01
    new, shown = run_update(student, case.params, grads, lr)
    for name in PARAM_NAMES:
        W, dW = case.params[name], grads["d" + name]
        along = float(np.sum((new[name] - W) * dW))
        expect_that(along < 0, f"update moved {name} along its gradient, not against it.",
                    expected=f"{name} − lr·d{name}: a step with Σ (new − old)·d{name} < 0",
                    got=f"Σ (new − old)·d{name} = {along:.3g}", input=shown,
                    hint=diagnose.update_mistakes(new[name], W=W, dW=dW, lr=lr, name=name))
    before, after = ref.cross_entropy(A2, case.Y), ref.cross_entropy(ref.forward(case.X, new)[0],
                                                                     case.Y)
    expect_that(after < before, f"One step of update raised the loss from {before:.6g} to "
                f"{after:.6g}.", expected="a lower loss after the step",
                got=f"{after:.6g}", input=shown,
                hint=step_mistake(new, case.params, grads, lr))


def step_mistake(new, params, grads, lr):
    """The first parameter whose step names a mistake, else the rule."""
    hints = [diagnose.update_mistakes(new[name], W=params[name], dW=grads["d" + name], lr=lr,
                                      name=name) for name in PARAM_NAMES]
    return next((hint for hint in hints if hint.diagnosis), None) or \
        "Gradient descent: W ← W − lr·dW, for every parameter."


@pytest.mark.parametrize("lr", [0.01, 0.1, 0.5, 2.0], ids=labels.learning_rate)
def test_step(student, network_case, rng, lr):
    """Each parameter becomes exactly W − lr·dW, for several learning rates."""
    case = network_case(1, 9)
    grads = random_grads(case.params, rng)
    new, shown = run_update(student, case.params, grads, lr)
    for name in PARAM_NAMES:
        W, dW = case.params[name], grads["d" + name]
        expect_close(new[name], W - lr * dW, what=f"update(params, grads, lr={lr})['{name}']",
                     input=shown, rtol=1e-6,
                     diagnose=partial(diagnose.update_mistakes, W=W, dW=dW, lr=lr, name=name))


def test_no_mutation(student, network_case, rng, did_its_work):
    """update returns a new dict of new arrays and leaves params and grads unchanged."""
    case = network_case(1, 6)
    grads = random_grads(case.params, rng)
    outcome = student.call_detailed("update", case.params, grads, 0.1)
    did_its_work(outcome.value, kind="a dict", what="update(params, grads, lr=0.1)",
                 input=show_inputs(params=case.params, grads=grads))
    expect_not_mutated(outcome, function="update", arg_names=("params", "grads", "lr"),
                       input=show_inputs(params=case.params, grads=grads))
