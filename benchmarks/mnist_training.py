"""What the MNIST check's training costs, against what the same steps cost the reference in-process.

    MNIST_DIR=/path/to/mnist python benchmarks/mnist_training.py [--repeat 5]

The same recipe (grader/checks/suites/test_mnist_accuracy.py RECIPES: for hidden 128, 60 steps of 200
images), measured side by side in one run, each the median of --repeat runs:
- in-process: the reference's init_params, forward, backprop and update called directly, with
  the same shuffled images (the floor: the arithmetic and nothing else);
- in the worker: the correct example's own functions trained by the sandbox worker next to them
  (StudentProcess.train, what grading does when all four functions are the student's), the
  training images mapped from shared memory as in a batch (the fork server shares them before
  any worker starts: grader/sandbox/shared.py);
- in the worker, the images sent: the same, by a worker started before the images were shared,
  which is sent them through the channel (37 MB; a single `grade` of one submission);
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
from grader.checks.mnist_files import load_mnist_splits
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


def network_of(student, replaced: tuple) -> accuracy.Network:
    return accuracy.Network(student, reference.for_notation("rows"), ROWS, replaced,
                            {"relu": "relu", "softmax": "softmax_rows"},
                            {"relu_derivative": "relu_derivative"})


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
    cells = numbered_cells(extract_file(CORRECT))
    with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryDirectory() as early, \
            StudentProcess(cells, Path(early)) as started_early:
        # As the batch's fork server does: the training images shared before workers start.
        splits, error = load_mnist_splits(share_train=True)
        if error:
            raise SystemExit(error)
        train_split = splits["train"]
        X_rows, labels = accuracy.shuffled(train_split, ROWS, recipe.images)
        student = StudentProcess(cells, Path(scratch))
        network = network_of(student, ())
        assert accuracy.train_in_worker(network, ROWS, train_split, recipe, HIDDEN) is not None
        floor = median_seconds(lambda: in_process(recipe, X_rows, labels), args.repeat)
        worker = median_seconds(
            lambda: accuracy.train_in_worker(network, ROWS, train_split, recipe, HIDDEN),
            args.repeat)
        sent = median_seconds(
            lambda: accuracy.train_in_worker(network_of(started_early, ()), ROWS, train_split,
                                             recipe, HIDDEN), args.repeat)
        standing_in = network_of(student, ("backprop",))
        assert accuracy.train_in_worker(standing_in, ROWS, train_split, recipe,
                                        HIDDEN) is not None
        with_reference = median_seconds(
            lambda: accuracy.train_in_worker(standing_in, ROWS, train_split, recipe, HIDDEN),
            args.repeat)
        call_by_call = median_seconds(
            lambda: accuracy.train(network, ROWS, train_split, recipe, HIDDEN), args.repeat)
        student.close()
    steps = len(range(0, recipe.images, recipe.batch_size))
    print(f"{steps} steps of {recipe.batch_size} images, hidden {HIDDEN}, isolation "
          f"{student.isolation!r}, median of {args.repeat}")
    print(f"in-process (reference) : {floor:.3f} s")
    print(f"in the worker          : {worker:.3f} s  (the images mapped, as in a batch)")
    print(f"in the worker, the images sent: {sent:.3f} s  ({sent / floor:.2f}x; a worker "
          "started before they were shared)")
    print(f"in the worker, the reference's backprop asked for: {with_reference:.3f} s  "
          f"({with_reference / floor:.2f}x)")
    print(f"call by call           : {call_by_call:.3f} s  ({call_by_call / floor:.2f}x)")
    print(f"ratio: {worker / floor:.2f}")


if __name__ == "__main__":
    main()
