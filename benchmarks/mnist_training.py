"""What the MNIST check's training costs, against what the same steps cost the reference in-process.

    MNIST_DIR=/path/to/mnist python benchmarks/mnist_training.py [--repeat 5]

The same recipe (grader/checks/suites/test_mnist_accuracy.py RECIPES: for hidden 128, 60 steps of 200
images), measured side by side in one run, each the median of --repeat runs:
- in-process: the reference's init_params, forward, backprop and update called directly, with
  the same shuffled images (the floor: the arithmetic and nothing else);
- in the worker: the correct example's own functions trained by the sandbox worker next to them
  (StudentProcess.train, what grading does when all four functions are the student's), sending
  the images over the channel included;
- in the worker, backprop the reference's: what grading does when one function lost points in
  its own exercise (the worker asks the grader for backprop's value at every step);
- call by call: the same functions driven from the grader across the channel (what grading
  does when the fast path falls back, to explain what went wrong).
Last line: `ratio: X.XX` = in the worker / in-process (the target: at most 2).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import reference
from grader.extract import extract_file
from grader.checks.plugin import MnistData
from grader.sandbox import StudentProcess
from grader.checks.scoring import numbered_cells
from grader.checks.suites import test_mnist_accuracy as accuracy
from reference.notation import ROWS

CORRECT = Path(__file__).parents[1] / "assignments/examples/mnist_mlp/correct/mnist_mlp.ipynb"
HIDDEN = 128


def in_process(recipe, X_rows, labels) -> None:
    """The recipe's steps with the reference's own functions, no sandbox at all."""
    params = reference.init_params(784, HIDDEN, 10, seed=accuracy.SEED)
    X, Y = X_rows.astype(params["W1"].dtype), reference.one_hot(labels, dtype=np.float32)
    starts = range(0, recipe.images, recipe.batch_size)
    for step, start in enumerate(starts):
        Xb, Yb = X[start:start + recipe.batch_size], Y[start:start + recipe.batch_size]
        A2, cache = reference.forward(Xb, params)
        grads = reference.backprop(Xb, Yb, params, cache)
        lr = recipe.lr_start + (recipe.lr_end - recipe.lr_start) * step / (len(starts) - 1)
        params = reference.update(params, grads, lr)


def median_seconds(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    recipe = accuracy.RECIPES[HIDDEN]
    mnist = MnistData("rows")
    X_rows, labels = accuracy.shuffled(mnist.train, ROWS, recipe.images)
    cells = numbered_cells(extract_file(CORRECT))
    with tempfile.TemporaryDirectory() as scratch, \
            StudentProcess(cells, Path(scratch)) as student:
        network = accuracy.Network(student, reference.for_notation("rows"), ROWS, (),
                                   {"relu": "relu", "softmax": "softmax_rows"},
                                   {"relu_derivative": "relu_derivative"})
        assert accuracy.train_in_worker(network, ROWS, mnist.train, recipe, HIDDEN) is not None
        floor = median_seconds(lambda: in_process(recipe, X_rows, labels), args.repeat)
        worker = median_seconds(
            lambda: accuracy.train_in_worker(network, ROWS, mnist.train, recipe, HIDDEN),
            args.repeat)
        standing_in = accuracy.Network(student, reference.for_notation("rows"), ROWS,
                                       ("backprop",), network.forward_substitutes,
                                       network.backprop_substitutes)
        assert accuracy.train_in_worker(standing_in, ROWS, mnist.train, recipe,
                                        HIDDEN) is not None
        with_reference = median_seconds(
            lambda: accuracy.train_in_worker(standing_in, ROWS, mnist.train, recipe, HIDDEN),
            args.repeat)
        call_by_call = median_seconds(
            lambda: accuracy.train(network, ROWS, mnist.train, recipe, HIDDEN), args.repeat)
    steps = len(range(0, recipe.images, recipe.batch_size))
    print(f"{steps} steps of {recipe.batch_size} images, hidden {HIDDEN}, isolation "
          f"{student.isolation!r}, median of {args.repeat}")
    print(f"in-process (reference) : {floor:.3f} s")
    print(f"in the worker          : {worker:.3f} s")
    print(f"in the worker, the reference's backprop asked for: {with_reference:.3f} s  "
          f"({with_reference / floor:.2f}x)")
    print(f"call by call           : {call_by_call:.3f} s  ({call_by_call / floor:.2f}x)")
    print(f"ratio: {worker / floor:.2f}")


if __name__ == "__main__":
    main()
