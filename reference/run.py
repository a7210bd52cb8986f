"""`python -m reference`: train the reference network on MNIST and keep a record of the run.

Trains with `reference.training.train` on the 60,000 training images, measures the test accuracy
on the 10,000 test images after every epoch, and writes metrics.json, curves.png, confusion.png and
mistakes.png to the output folder. `python -m reference --help` is the manual.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from grader.render.atomic import write_atomically
from reference.notation import NOTATIONS, for_notation
from reference.training import Recipe, TrainingResult, train
from studentkit.mnist import MnistError, load_mnist

#: Hidden units when --hidden is not given: the tutorials' sizes (as in grader/assignments.py).
DEFAULT_HIDDEN = {"rows": 128, "columns": 10}
FIGURES = ("curves.png", "confusion.png", "mistakes.png")
MISTAKES_SHOWN = 32
EXIT_NO_DATA = 2

#: The BLAS threads a run trains with when the user does not say: one. Its batch-64 products are
#: small. Measured on two cores (benchmarks/reference_epoch.py), an epoch takes 0.35-0.38 s with
#: one thread, idle or beside a core kept busy; with a thread per core 0.25-0.26 s idle but
#: 0.66-0.89 s beside the busy core, the threads waiting for each other, and once 14.9 s with
#: other processes on both cores. One thread also makes a seed's numbers the same whatever the
#: number of cores (a thread per core changes the weights in their seventh digit).
BLAS_THREADS = 1
#: Set by the user, these decide the threads instead (the BLAS reads them when numpy loads).
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

DESCRIPTION = """\
Train the instructor's reference network (784 → hidden → 10, ReLU, softmax,
mean cross-entropy, minibatch gradient descent) on the 60,000 MNIST training
images, measure its accuracy on the 10,000 test images after every epoch, and
keep a record of the run.

The output folder receives:
  metrics.json   the recipe, the training time, the BLAS threads it trained
                 with, the final test accuracy and the history (epoch, loss,
                 train_accuracy, test_accuracy)
  curves.png     loss and accuracies per epoch
  confusion.png  the 10×10 confusion matrix of the test set, with counts
  mistakes.png   the first misclassified test digits, titled true / predicted

The same seed gives the same numbers. MNIST is read from $MNIST_DIR, else
from the kit's datasets/mnist/ (downloaded there on first use); see
datasets/README.md.

It trains with one BLAS thread: its matrices are small, and threads of a
small product wait for each other whenever another process takes a core.
OPENBLAS_NUM_THREADS, OMP_NUM_THREADS or MKL_NUM_THREADS, when set, decide
instead (e.g. OPENBLAS_NUM_THREADS=2 on an otherwise idle machine)."""

EPILOG = """\
examples:
  python -m reference                      rows, 128 hidden, 20 epochs (~10 s)
  python -m reference --notation columns   samples as columns, 10 hidden
  python -m reference --epochs 5 --lr 0.05 --out runs/try

exit status:
  0    done
  2    bad arguments, or MNIST missing or unreadable (the message says why)
  130  interrupted with Ctrl-C (nothing is written)"""


def positive_int(text: str) -> int:
    value = int(text) if text.strip().lstrip("+").isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return value


def natural_int(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 0, got {text!r}")
    return int(text)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number such as 0.1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnkit reference", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    recipe = Recipe()
    parser.add_argument("--notation", choices=NOTATIONS, default="rows",
                        help="where the samples sit: rows, X (m, 784), or columns, X (784, m) "
                             "(default: rows)")
    parser.add_argument("--hidden", type=positive_int, metavar="N",
                        help="hidden units (default: 128 for rows, 10 for columns, as in the tutorials)")
    parser.add_argument("--epochs", type=positive_int, default=20, metavar="N",
                        help="passes over the training set (default: 20)")
    parser.add_argument("--batch-size", type=positive_int, default=recipe.batch_size, metavar="N",
                        help=f"samples per gradient step (default: {recipe.batch_size})")
    parser.add_argument("--lr", type=positive_float, default=recipe.lr, metavar="X",
                        help=f"learning rate (default: {recipe.lr})")
    parser.add_argument("--seed", type=natural_int, default=recipe.seed, metavar="N",
                        help="seed of the initial weights and of the batch order "
                             f"(default: {recipe.seed})")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="output folder, created if needed (default: runs/<YYYYmmdd-HHMMSS>/)")
    return parser


def recipe_from(args: argparse.Namespace) -> Recipe:
    hidden = args.hidden if args.hidden is not None else DEFAULT_HIDDEN[args.notation]
    return Recipe(notation=args.notation, hidden=hidden, epochs=args.epochs,
                  batch_size=args.batch_size, lr=args.lr, seed=args.seed)


def default_out_dir() -> Path:
    """runs/<timestamp>/, with a -2, -3… suffix if a run already started in the same second."""
    base = Path("runs") / time.strftime("%Y%m%d-%H%M%S")
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def blas_threads_chosen(environ=os.environ) -> contextlib.AbstractContextManager:
    """A context in which the BLAS uses BLAS_THREADS threads, or, when the user set one of
    THREAD_VARIABLES, the threads the BLAS took from it when numpy was loaded. Without
    threadpoolctl (not in a grading-only install), the BLAS's own, and a line saying so."""
    if any(environ.get(name, "").strip() for name in THREAD_VARIABLES):
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits   # numpy is loaded: only its pool can change
    except ImportError:
        print("threadpoolctl is not installed: training with the BLAS's own threads, slow "
              "beside other busy processes (pip install 'nnkit-autograder[author]', or set "
              "OPENBLAS_NUM_THREADS=1)", file=sys.stderr)
        return contextlib.nullcontext()
    return threadpool_limits(BLAS_THREADS, user_api="blas")


def blas_threads_in_use() -> int | None:
    """The threads numpy's BLAS has now, as the library itself says; None if threadpoolctl is
    not installed or finds no BLAS."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    pools = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return max(pools) if pools else None


def train_with_progress(recipe: Recipe, train_data, test_data, console: Console
                        ) -> tuple[TrainingResult, float, int | None]:
    """Train, showing a bar per epoch and a line of results after it, with the BLAS threads
    chosen (blas_threads_chosen); returns (result, seconds, the BLAS threads it trained with).

    train_data, test_data: (X, labels) in the recipe's notation. The seconds include the test
    evaluation after each epoch (about 1 % of the time).
    """
    api = for_notation(recipe.notation)
    X_test, labels_test = test_data
    columns = (TextColumn("epoch {task.fields[epoch]:>2}/{task.fields[epochs]}"), BarColumn(),
               MofNCompleteColumn(), TextColumn("batches"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("training", total=None, epoch=1, epochs=recipe.epochs)

        def on_batch(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        def on_epoch(record, params) -> None:
            record.test_accuracy = api.accuracy(X_test, labels_test, params)
            progress.console.print(
                f"epoch {record.epoch:>2}/{recipe.epochs}   loss {record.loss:.4f}   "
                f"train {record.train_accuracy:.2%}   test {record.test_accuracy:.2%}")
            progress.update(task, completed=0, epoch=min(record.epoch + 1, recipe.epochs))

        with blas_threads_chosen():
            threads = blas_threads_in_use()
            started = time.perf_counter()
            result = train(*train_data, recipe, on_epoch=on_epoch, on_batch=on_batch)
        return result, time.perf_counter() - started, threads


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Counts of (true, predicted) pairs. labels, predicted: (m,) digits → (10, 10) int64."""
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    return confusion


def write_outputs(out_dir: Path, recipe: Recipe, result: TrainingResult, seconds: float,
                  threads: int | None, test_data) -> dict:
    """metrics.json and the three figures in out_dir; returns the metrics."""
    from reference import figures   # matplotlib is slow to import: only once there is something to draw

    api = for_notation(recipe.notation)
    X_test, labels_test = test_data
    predicted = api.predict(X_test, result.params)
    history = [asdict(record) for record in result.history]
    metrics = {**asdict(recipe), "train_seconds": round(seconds, 3), "blas_threads": threads,
               "test_accuracy": history[-1]["test_accuracy"], "history": history}
    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(out_dir / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    figures.plot_curves(history, out_dir / "curves.png")
    figures.plot_confusion(confusion_matrix(labels_test, predicted), out_dir / "confusion.png")
    wrong = np.flatnonzero(predicted != labels_test)[:MISTAKES_SHOWN]
    images = api.notation.to_rows(X_test)[wrong].reshape(-1, 28, 28)
    figures.plot_mistakes(images, labels_test[wrong], predicted[wrong], out_dir / "mistakes.png")
    return metrics


def summary_table(metrics: dict, out_dir: Path) -> Table:
    history = metrics["history"]
    best = max(history, key=lambda h: h["test_accuracy"])
    table = Table(title="Reference run", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("network", f"784 → {metrics['hidden']} → 10, samples as {metrics['notation']}")
    table.add_row("recipe", f"{metrics['epochs']} epoch{'' if metrics['epochs'] == 1 else 's'}, "
                            f"batch {metrics['batch_size']}, "
                            f"lr {metrics['lr']}, seed {metrics['seed']}")
    threads = metrics["blas_threads"]
    table.add_row("training time", f"{metrics['train_seconds']:.1f} s "
                                   f"({metrics['train_seconds'] / metrics['epochs']:.2f} s per epoch, "
                                   f"{threads or 'unknown'} BLAS thread{'' if threads == 1 else 's'})")
    table.add_row("final loss", f"{history[-1]['loss']:.4f}")
    table.add_row("train accuracy", f"{history[-1]['train_accuracy']:.2%}")
    table.add_row("test accuracy", f"[bold green]{metrics['test_accuracy']:.2%}[/]"
                                   f"  (best {best['test_accuracy']:.2%} after epoch {best['epoch']})")
    table.add_row("written to", f"{out_dir}{os.sep}  (metrics.json, {', '.join(FIGURES)})")
    return table


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    recipe = recipe_from(args)
    console = Console()
    try:
        train_data = load_mnist("train", recipe.notation)
        test_data = load_mnist("test", recipe.notation)
    except MnistError as error:
        print(f"MNIST is not available. {error}", file=sys.stderr)
        return EXIT_NO_DATA
    out_dir = args.out if args.out is not None else default_out_dir()
    epochs = f"{recipe.epochs} epoch" + ("" if recipe.epochs == 1 else "s")
    # soft_wrap: one line however narrow the output, so that a log never breaks mid-phrase.
    console.print(f"Training 784 → {recipe.hidden} → 10 (samples as {recipe.notation}) for "
                  f"{epochs}, batch {recipe.batch_size}, lr {recipe.lr}, seed {recipe.seed}.",
                  soft_wrap=True)
    try:
        result, seconds, threads = train_with_progress(recipe, train_data, test_data, console)
    except KeyboardInterrupt:
        console.print("Interrupted: nothing was written.")
        return 130
    metrics = write_outputs(out_dir, recipe, result, seconds, threads, test_data)
    console.print(summary_table(metrics, out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
