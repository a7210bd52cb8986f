"""Minibatch gradient descent with the reference functions, in either notation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from reference.notation import for_notation


@dataclass(frozen=True)
class Recipe:
    """How to train: the defaults reproduce the first tutorial (rows, 128 hidden)."""

    notation: str = "rows"
    hidden: int = 128
    epochs: int = 10
    batch_size: int = 64
    lr: float = 0.1
    seed: int = 0


@dataclass
class EpochRecord:
    epoch: int
    loss: float            # mean training cross-entropy over the epoch's batches
    train_accuracy: float  # accuracy on the training batches as they were seen
    test_accuracy: float | None = None


@dataclass
class TrainingResult:
    params: dict
    history: list[EpochRecord] = field(default_factory=list)


def one_hot(labels: np.ndarray, n_classes: int = 10, dtype=np.float32) -> np.ndarray:
    """Integer labels (m,) → one-hot (m, n_classes) with samples as rows."""
    encoded = np.zeros((labels.shape[0], n_classes), dtype=dtype)
    encoded[np.arange(labels.shape[0]), labels] = 1
    return encoded


def train(X: np.ndarray, labels: np.ndarray, recipe: Recipe,
          on_epoch: Callable[[EpochRecord, dict], None] | None = None,
          on_batch: Callable[[int, int], None] | None = None) -> TrainingResult:
    """Train a fresh network with `recipe` on X (in the recipe's notation) and integer labels (m,).

    Every epoch visits all m samples once in a new random order (drawn from `recipe.seed`), in
    batches of `recipe.batch_size`; the last batch may be smaller. `on_epoch(record, params)` may
    fill `record.test_accuracy`; `on_batch(done, total)` reports progress within an epoch.
    """
    api = for_notation(recipe.notation)
    nt = api.notation
    # Batches are gathered from one contiguous samples-as-rows copy, so each sample is a single
    # contiguous read whatever X's memory layout (np.take along a strided axis would copy all of X
    # for every batch); `nt.from_rows` then hands the batch over in the recipe's notation (a view).
    X_rows = np.ascontiguousarray(nt.to_rows(X))
    Y_rows = one_hot(labels, dtype=X.dtype)
    m, n_input = X_rows.shape
    params = api.init_params(n_input, recipe.hidden, 10, seed=recipe.seed, dtype=X.dtype)
    rng = np.random.default_rng(recipe.seed)
    result = TrainingResult(params)
    n_batches = -(-m // recipe.batch_size)
    for epoch in range(1, recipe.epochs + 1):
        order = rng.permutation(m)
        loss_sum = correct = 0.0
        for b in range(n_batches):
            idx = order[b * recipe.batch_size:(b + 1) * recipe.batch_size]
            Xb, Yb = nt.from_rows(X_rows[idx]), nt.from_rows(Y_rows[idx])
            A2, cache = api.forward(Xb, params)
            loss_sum += api.cross_entropy(A2, Yb) * idx.size
            correct += int(np.count_nonzero(A2.argmax(axis=nt.class_axis) == labels[idx]))
            params = api.update(params, api.backprop(Xb, Yb, params, cache), recipe.lr)
            if on_batch:
                on_batch(b + 1, n_batches)
        record = EpochRecord(epoch, loss_sum / m, correct / m)
        result.params = params
        if on_epoch:
            on_epoch(record, params)
        result.history.append(record)
    return result
