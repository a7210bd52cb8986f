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
    cannot be had: the whole test split, and the first TRAIN_USED training images (of the
    official files, checked by their checksums, only these are decompressed; another copy is
    read and checked whole). share_train: the training images are a read-only copy in
    sealed shared memory, which every sandbox worker started afterwards maps instead of being
    sent them (grader/sandbox/shared.py): for a process that starts many (the batch's fork
    server)."""
    try:
        from studentkit.mnist import load_mnist
    except ImportError:
        return {}, "the MNIST loader (studentkit.mnist) is not installed; reinstall nnkit"
    try:
        splits = {}
        if share_train and (train := _shared_train(load_mnist)) is not None:
            splits["train"] = train
        for split in SPLITS:
            if split not in splits:
                splits[split] = load_mnist(split, "rows",
                                           count=TRAIN_USED if split == "train" else None)
    except Exception as error:  # the loader's message says what to do (e.g. set MNIST_DIR)
        return {}, str(error) or f"MNIST could not be loaded ({type(error).__name__})"
    return splits, None


#: The training images the MNIST check can use: its recipes train on the first 12,000 or
#: 20,000 (grader/checks/suites/test_mnist_accuracy.py, RECIPES; tests/test_suites.py holds the two
#: together). Converting only these, not all 60,000, saves a batch's start 0.15 s of
#: a core and 125 MB of shared memory.
TRAIN_USED = 20_000


def _shared_train(load_mnist) -> tuple | None:
    """The training split with its images converted straight into sealed shared memory (their
    pages touched once, no private copy), or None where there is no shared memory."""
    from grader.sandbox.shared import share_filled
    images, labels = share_filled(TRAIN_IMAGES, (TRAIN_USED, 784), "float32",
                                  lambda out: load_mnist("train", "rows", out=out,
                                                         count=TRAIN_USED)[1])
    return None if images is None else (images, labels)
