"""MNIST as the MNIST check reads it: both splits, as rows, or why they cannot be had.

Light on purpose (the standard library and studentkit.mnist): the batch's fork server starts
reading with it before it imports the rest of the grader (grader.batch.mnist_reading).
"""

from __future__ import annotations

SPLITS = ("train", "test")


def load_mnist_splits() -> tuple[dict, str | None]:
    """({split: (X, labels)}, None) with X (m, 784) float32, or ({}, what to do) when the data
    cannot be had."""
    try:
        from studentkit.mnist import load_mnist
    except ImportError:
        return {}, "the MNIST loader (studentkit.mnist) is not installed; reinstall nnkit"
    try:
        return {split: load_mnist(split, "rows") for split in SPLITS}, None
    except Exception as error:  # the loader's message says what to do (e.g. set MNIST_DIR)
        return {}, str(error) or f"MNIST could not be loaded ({type(error).__name__})"
