"""The three pictures of a reference run, drawn with matplotlib's object API (no pyplot, no GUI).

Each function only draws what it is given and writes one PNG; the numbers come from `reference.run`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure


def plot_curves(history: list[dict], path: Path) -> None:
    """Loss and accuracies per epoch. history: [{epoch, loss, train_accuracy, test_accuracy}]."""
    epochs = [h["epoch"] for h in history]
    fig = Figure(figsize=(10, 4), layout="constrained")
    loss_ax, acc_ax = fig.subplots(1, 2)
    loss_ax.plot(epochs, [h["loss"] for h in history], marker="o", color="tab:red")
    loss_ax.set(title="Training loss (mean cross-entropy)", xlabel="epoch", ylabel="loss")
    acc_ax.plot(epochs, [100 * h["train_accuracy"] for h in history], marker="o", label="training batches")
    acc_ax.plot(epochs, [100 * h["test_accuracy"] for h in history], marker="s", label="test set")
    acc_ax.set(title="Accuracy", xlabel="epoch", ylabel="accuracy (%)")
    acc_ax.legend(loc="lower right")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.savefig(path, dpi=110)


def plot_confusion(confusion: np.ndarray, path: Path) -> None:
    """The 10×10 confusion matrix with counts. confusion[true, predicted]: (10, 10) integers."""
    fig = Figure(figsize=(6.4, 5.6), layout="constrained")
    ax = fig.subplots()
    # A log-like scale would hide the diagonal's size; instead the diagonal is drawn apart, in grey,
    # so that the colours show only where the mistakes are.
    mistakes = np.where(np.eye(10, dtype=bool), 0, confusion)
    image = ax.imshow(mistakes, cmap="Reds")
    fig.colorbar(image, ax=ax, label="misclassified test images")
    threshold = mistakes.max() / 2
    for true in range(10):
        for predicted in range(10):
            count = confusion[true, predicted]
            on_diagonal = true == predicted
            colour = "dimgray" if on_diagonal else ("white" if count > threshold else "black")
            ax.text(predicted, true, str(count), ha="center", va="center", fontsize=8,
                    color=colour, fontweight="bold" if on_diagonal else "normal")
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted digit", ylabel="true digit",
           title=f"Confusion matrix ({confusion.sum():,} test images, "
                 f"{confusion.trace() / confusion.sum():.2%} correct)")
    fig.savefig(path, dpi=110)


def plot_mistakes(images: np.ndarray, labels: np.ndarray, predicted: np.ndarray, path: Path,
                  columns: int = 8) -> None:
    """A grid of misclassified digits. images: (k, 28, 28) in [0, 1]; labels, predicted: (k,)."""
    rows = max(1, -(-len(images) // columns))
    fig = Figure(figsize=(1.3 * columns, 1.5 * rows + 0.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
    for ax in axes:
        ax.set_axis_off()
    for ax, image, label, guess in zip(axes, images, labels, predicted):
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"true {label} / pred {guess}", fontsize=9)
    fig.suptitle(f"Misclassified test digits (first {len(images)})" if len(images)
                 else "No misclassified test digits")
    fig.savefig(path, dpi=110)
