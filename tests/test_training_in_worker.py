"""The MNIST check's training, run inside the worker, ends where the call-by-call training ends.

Both loops of grader/checks/suites/test_mnist_accuracy.py (`train_in_worker`, the fast one; `train`, one
round trip per call) are run on the same real worker for submissions of both notations, whose
functions mutate their inputs, return float64 or float32, or break: the fast one must give the
very same parameters, or say to fall back where something is off, never another result.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import reference
from grader.extract import extract_file
from grader.checks.feedback import Feedback
from grader.checks.plugin import MnistData
from grader.sandbox import StudentProcess, channel
from grader.checks.scoring import numbered_cells
from grader.checks.suites import test_mnist_accuracy as accuracy
from reference.notation import COLUMNS, ROWS, Notation

EXAMPLES = Path(__file__).parents[1] / "assignments" / "examples"


def network_for(student, notation: Notation, replaced: tuple = ()) -> accuracy.Network:
    softmax = f"softmax_{notation.name}"
    return accuracy.Network(student, reference.for_notation(notation.name), notation, replaced,
                            {"relu": "relu", "softmax": softmax},
                            {"relu_derivative": "relu_derivative"})


def both_trainings(tmp_path: Path, example: str, extra_cell: str = "", replaced: tuple = ()):
    assignment = example.split("/")[0]
    notation = COLUMNS if assignment.endswith("columns") else ROWS
    hidden = 10 if notation.name == "columns" else 128
    cells = numbered_cells(extract_file(EXAMPLES / example / f"{assignment}.ipynb"))
    mnist = MnistData(notation.name)
    recipe = accuracy.RECIPES[hidden]
    with StudentProcess([*cells, extra_cell], tmp_path) as student:
        network = network_for(student, notation, replaced)
        fast = accuracy.train_in_worker(network, notation, mnist.train, recipe, hidden)
        try:
            slow = accuracy.train(network, notation, mnist.train, recipe, hidden)
        except Feedback as feedback:
            slow = feedback
    return fast, slow


@pytest.mark.mnist
@pytest.mark.parametrize("example, extra_cell", [
    ("mnist_mlp/correct", ""),
    ("mnist_mlp_columns/correct", ""),
    ("mnist_mlp/mutates_params", ""),               # update writes into its input
    ("mnist_mlp/relu_derivative_at_zero", ""),      # a slightly wrong mask: the same steps
    ("mnist_mlp/correct", "_init = init_params\n"
                          "def init_params(**sizes):\n"
                          "    return {k: v.astype('float64') for k, v in _init(**sizes).items()}\n"),
])
def test_the_fast_training_ends_with_the_same_parameters(tmp_path, mnist_dir, example,
                                                         extra_cell):
    fast, slow = both_trainings(tmp_path, example, extra_cell)
    assert fast is not None
    assert set(fast) == set(slow)
    for name in slow:
        assert fast[name].dtype == slow[name].dtype
        np.testing.assert_array_equal(fast[name], slow[name])


@pytest.mark.mnist
@pytest.mark.parametrize("example, replaced", [
    ("mnist_mlp/init_params_unscaled", ("init_params",)),
    ("mnist_mlp/forward_no_relu", ("forward",)),
    ("mnist_mlp/missing_1_over_m", ("backprop",)),
    ("mnist_mlp/mutates_params", ("update",)),
    ("mnist_mlp/stubs_left", ("backprop", "update")),
    ("mnist_mlp_columns/no_relu_mask", ("backprop",)),
    ("mnist_mlp_columns/update_wrong_sign", ("update",)),
    ("mnist_mlp_columns/correct", ("init_params", "forward")),
    ("mnist_mlp/correct", ("forward", "backprop")),             # the cache stays with the grader
    ("mnist_mlp_columns/correct", ("forward", "backprop", "update")),   # all of the loop
])
def test_with_the_reference_standing_in_it_ends_where_training_call_by_call_ends(
        tmp_path, mnist_dir, example, replaced):
    """A function that lost points in its own exercise is the reference's for this training:
    the worker asks the grader for it at every step, and the parameters are bit for bit those
    of the call-by-call training."""
    fast, slow = both_trainings(tmp_path, example, replaced=replaced)
    assert fast is not None and not isinstance(slow, Feedback)
    assert set(fast) == set(slow)
    for name in slow:
        assert fast[name].dtype == slow[name].dtype
        np.testing.assert_array_equal(fast[name], slow[name])


@pytest.mark.mnist
@pytest.mark.parametrize("replaced, sent, answered", [
    # the parameters are the grader's own from the start (its init_params', then its
    # update's), the gradients only its update's: only the cache forward computed in the
    # worker crosses, and nothing at all for update; the gradients stay with the grader
    (("init_params", "backprop", "update"),
     {"init_params": set(), "backprop": {"Z1", "A1", "Z2", "A2"}, "update": set()},
     {"init_params": True, "backprop": False, "update": True}),
    # the student's update made the parameters: they cross, and the gradients come back
    (("backprop",), {"backprop": {"W1", "b1", "W2", "b2", "Z1", "A1", "Z2", "A2"}},
     {"backprop": True}),
    # the cache only the reference's backprop uses stays with the grader
    (("forward", "backprop"), {"forward": {"W1", "b1", "W2", "b2"},
                               "backprop": {"W1", "b1", "W2", "b2"}},
     {"forward": False, "backprop": True}),
])
def test_what_the_grader_already_has_does_not_cross_again(tmp_path, mnist_dir, monkeypatch,
                                                          replaced, sent, answered):
    """A value the grader gave and kept goes back as its name, not as arrays, and a value only
    the reference uses is not sent at all: per function the reference stood in for, the arrays
    the worker sent (by name), and whether the grader's answers held any."""
    received: dict[str, set] = {}
    carried: dict[str, bool] = {}
    last = [""]
    serve = accuracy.reference_server

    def recording(*args, **kwargs):
        compute = serve(*args, **kwargs)

        def computed(name, call_args, call_kwargs, batch_dtype=""):
            last[0] = name
            received.setdefault(name, set()).update(
                key for arg in call_args if isinstance(arg, dict) for key, value in arg.items()
                if isinstance(value, np.ndarray))
            return compute(name, call_args, call_kwargs, batch_dtype)
        return computed
    monkeypatch.setattr(accuracy, "reference_server", recording)
    pack = channel.pack

    def packing(header, arrays):
        if header.get("kind") == "given":
            carried[last[0]] = carried.get(last[0], False) or bool(arrays)
        return pack(header, arrays)
    monkeypatch.setattr(channel, "pack", packing)
    fast, slow = both_trainings(tmp_path, "mnist_mlp/correct", replaced=replaced)
    assert fast is not None
    for name in slow:
        np.testing.assert_array_equal(fast[name], slow[name])
    assert received == sent
    assert carried == answered


def test_the_reference_stands_in_only_for_arguments_that_pass_the_trainings_checks():
    notation, hidden = ROWS, 128
    recipe = accuracy.RECIPES[hidden]
    network = network_for(None, notation, ("init_params", "update"))
    sizes = {"n_input": 784, "n_hidden": hidden, "n_output": 10, "seed": accuracy.SEED}

    images = np.zeros((recipe.images, 784), dtype=np.float32)
    labels = np.zeros(recipe.images, dtype=np.int64)

    def server():
        return accuracy.reference_server(network, notation, recipe, hidden, images,
                                         accuracy.shuffle_order(recipe.images), labels)
    params = server()("init_params", [], sizes)
    grads = {"d" + name: np.zeros_like(value) for name, value in params.items()}
    with pytest.raises(ValueError):         # another seed than the recipe's
        server()("init_params", [], dict(sizes, seed=1))
    with pytest.raises(ValueError):         # not the learning rate of the first step
        server()("update", [params, grads, 0.123], {})
    with pytest.raises(Feedback):           # gradients of the wrong shapes
        server()("update", [params, dict(grads, dW1=np.zeros((3, 3))), recipe.lr_start], {})
    with pytest.raises(Feedback):           # parameters that are not finite
        server()("update", [dict(params, b2=np.full((1, 10), np.nan)), grads, recipe.lr_start],
                 {})
    with pytest.raises(ValueError):         # forward is the student's: not served
        server()("forward", [params], {}, "<f4")
    with pytest.raises(ValueError):         # gradients it never computed, named as kept
        server()("update", [params, {"kept": "grads"}, recipe.lr_start], {})
    compute = server()
    compute("init_params", [], sizes)
    with pytest.raises(ValueError):         # its parameters, named as something else
        compute("update", [{"kept": "cache"}, grads, recipe.lr_start], {})
    compute = server()
    given = compute("init_params", [], sizes)
    stepped = compute("update", [{"kept": "params"}, grads, recipe.lr_start], {})
    for name, value in given.items():       # its own copy, not an array the worker sent
        np.testing.assert_array_equal(stepped[name], value)
    compute = server()
    for step in range(2):                   # each step's own learning rate
        lr = recipe.lr_start + (recipe.lr_end - recipe.lr_start) * step / (
            recipe.images // recipe.batch_size - 1)
        assert set(compute("update", [params, grads, lr], {})) == set(params)


@pytest.mark.mnist
def test_a_training_that_diverges_falls_back_and_is_explained_call_by_call(tmp_path, mnist_dir):
    fast, slow = both_trainings(tmp_path, "mnist_mlp/update_wrong_sign")
    assert fast is None
    assert isinstance(slow, Feedback) and "training diverged" in slow.summary


@pytest.mark.mnist
@pytest.mark.parametrize("extra_cell", [
    "def update(params, grads, lr):\n    return [params]\n",                     # not a dict
    "def forward(X, params):\n    return X\n",                                  # not a pair
    "def backprop(X, Y, params, cache):\n    raise ValueError('no')\n",          # raises
    "import os\ndef update(params, grads, lr):\n    os._exit(3)\n",              # kills the worker
])
def test_anything_unexpected_falls_back_to_training_call_by_call(tmp_path, mnist_dir,
                                                                 extra_cell):
    assignment, notation = "mnist_mlp", ROWS
    cells = numbered_cells(extract_file(EXAMPLES / "mnist_mlp/correct" / f"{assignment}.ipynb"))
    with StudentProcess([*cells, extra_cell], tmp_path) as student:
        network = network_for(student, notation)
        assert accuracy.train_in_worker(network, notation, MnistData("rows").train,
                                        accuracy.RECIPES[128], 128) is None
        assert student.call("relu", np.array([-1.0, 2.0])).tolist() == [0.0, 2.0]
