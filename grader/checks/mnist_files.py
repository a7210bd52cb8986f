"""MNIST as the MNIST check reads it: both splits, as rows, or why they cannot be had.

Light on purpose (the standard library and studentkit.mnist): the batch's fork server starts
reading with it before it imports the rest of the grader (grader.batch.mnist_reading).
"""

from __future__ import annotations

SPLITS = ("train", "test")


#: The name the training images are shared under, for sandbox workers to map (share_train).
TRAIN_IMAGES = "mnist-train-images"


def load_mnist_splits(share_train: bool = False) -> tuple[dict, str | None]:
    """({split: (X, labels)}, None) with X (m, 784) float32, or ({}, what to do) when the data
    cannot be had. share_train: the training images are a read-only copy in sealed shared
    memory, which every sandbox worker started afterwards maps instead of being sent them
    (grader/sandbox/shared.py): for a process that starts many (the batch's fork server)."""
    try:
        from studentkit.mnist import load_mnist
    except ImportError:
        return {}, "the MNIST loader (studentkit.mnist) is not installed; reinstall nnkit"
    try:
        splits = {split: load_mnist(split, "rows") for split in SPLITS}
    except Exception as error:  # the loader's message says what to do (e.g. set MNIST_DIR)
        return {}, str(error) or f"MNIST could not be loaded ({type(error).__name__})"
    if share_train:
        from grader.sandbox.shared import share
        X, labels = splits["train"]
        splits["train"] = (share(TRAIN_IMAGES, X), labels)
    return splits, None
