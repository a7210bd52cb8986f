"""How fast is one epoch of the reference, against this machine's floor and against PyTorch?

    python benchmarks/reference_epoch.py [--epochs N]

Measures, in one run, on full MNIST (rows, 784 → 128 → 10, batch 64, lr 0.1, float32):
  reference  seconds per epoch of `reference.training.train` (best of N epochs);
  floor      the epoch's matrix-multiply FLOPs divided by the machine's float32 GEMM throughput,
             measured both at the epoch's own shapes (batch 64) and at a large size; the
             large-size one is "the floor": no implementation can do the epoch's arithmetic faster;
  torch      the same network and recipe in PyTorch on the CPU (when torch is installed).
and prints reference / floor and reference / torch. Other processes on the machine distort every
figure; best-of-N keeps the least disturbed one.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

import numpy as np

from reference.training import Recipe, train
from studentkit.mnist import load_mnist

RECIPE = Recipe(notation="rows", hidden=128, batch_size=64, lr=0.1, seed=0)
N_INPUT, N_CLASSES = 784, 10
LARGE = 2048


def epoch_matmuls(batch: int, hidden: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The (left, right) shapes of every matrix product of one training step, forward then backward."""
    return [((batch, N_INPUT), (N_INPUT, hidden)),      # Z1 = X·W1
            ((batch, hidden), (hidden, N_CLASSES)),     # Z2 = A1·W2
            ((hidden, batch), (batch, N_CLASSES)),      # dW2 = A1ᵀ·dZ2
            ((batch, N_CLASSES), (N_CLASSES, hidden)),  # dZ1 = dZ2·W2ᵀ (before the ReLU mask)
            ((N_INPUT, batch), (batch, hidden))]        # dW1 = Xᵀ·dZ1


def flops(shapes) -> int:
    return sum(2 * a[0] * a[1] * b[1] for a, b in shapes)


def epoch_flops(m: int, batch: int, hidden: int) -> int:
    """Matrix-multiply FLOPs of one epoch over m samples (the last batch may be smaller)."""
    full, rest = divmod(m, batch)
    return full * flops(epoch_matmuls(batch, hidden)) + (rest and flops(epoch_matmuls(rest, hidden)))


def best_seconds(fn, repeats: int, rounds: int = 5) -> float:
    """The fastest of `rounds` timings of `repeats` calls of fn, per call."""
    fn()
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(repeats):
            fn()
        best = min(best, (time.perf_counter() - started) / repeats)
    return best


def gemm_gflops_at_batch_shapes(batch: int, hidden: int) -> float:
    """float32 GEMM throughput (GFLOP/s) on the five products of one training step, as `a @ b`."""
    rng = np.random.default_rng(0)
    pairs = [(rng.random(a, dtype=np.float32), rng.random(b, dtype=np.float32))
             for a, b in epoch_matmuls(batch, hidden)]

    def step():
        for a, b in pairs:
            a @ b
    return flops(epoch_matmuls(batch, hidden)) / best_seconds(step, repeats=300) / 1e9


def gemm_gflops_large(n: int = LARGE) -> float:
    """float32 GEMM throughput (GFLOP/s) of one n×n by n×n product: the BLAS at its best."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    return 2 * n**3 / best_seconds(lambda: a @ b, repeats=3) / 1e9


def reference_epoch_seconds(X, labels, epochs: int) -> tuple[float, float]:
    """Best seconds per epoch of reference.training.train, and its final training accuracy."""
    stamps = [time.perf_counter()]
    result = train(X, labels, dataclasses.replace(RECIPE, epochs=epochs),
                   on_epoch=lambda record, params: stamps.append(time.perf_counter()))
    return float(np.min(np.diff(stamps))), result.history[-1].train_accuracy


def torch_epoch_seconds(X, labels, epochs: int, threads: int) -> tuple[float, float]:
    """Best seconds per epoch of the same network and recipe in PyTorch (autograd, manual SGD)."""
    import torch

    torch.set_num_threads(threads)
    X, labels = torch.from_numpy(X), torch.from_numpy(labels)
    generator = torch.Generator().manual_seed(RECIPE.seed)
    h, m, batch = RECIPE.hidden, len(X), RECIPE.batch_size
    params = [torch.randn(N_INPUT, h, generator=generator) * (2 / N_INPUT) ** 0.5,
              torch.zeros(h),
              torch.randn(h, N_CLASSES, generator=generator) * (2 / h) ** 0.5,
              torch.zeros(N_CLASSES)]
    for p in params:
        p.requires_grad_()
    W1, b1, W2, b2 = params
    times = []
    for _ in range(epochs):
        started = time.perf_counter()
        order = torch.randperm(m, generator=generator)
        loss_sum, correct = torch.zeros(()), torch.zeros((), dtype=torch.int64)
        for start in range(0, m, batch):
            idx = order[start:start + batch]
            Xb, yb = X[idx], labels[idx]
            Z2 = torch.relu(Xb @ W1 + b1) @ W2 + b2
            loss = torch.nn.functional.cross_entropy(Z2, yb)   # softmax + mean cross-entropy
            for p in params:
                p.grad = None
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= RECIPE.lr * p.grad
                loss_sum += loss * len(idx)
                correct += (Z2.argmax(dim=1) == yb).sum()
        times.append(time.perf_counter() - started)
    return min(times), correct.item() / m


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=4, help="epochs timed per implementation (default 4)")
    args = parser.parse_args()
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    X, labels = load_mnist("train")
    work = epoch_flops(len(X), RECIPE.batch_size, RECIPE.hidden)
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if busy > threads / 2:
        # Multi-threaded BLAS on small matrices waits for its slowest thread: when other processes
        # take the cores, an epoch can take ten times longer. The figures then say little.
        print(f"warning: the machine is busy (load average {busy:.1f} on {threads} cores): "
              "expect slow, erratic figures; run again when it is idle.")
    print(f"MNIST {X.shape} {X.dtype}, 784 → {RECIPE.hidden} → 10, batch {RECIPE.batch_size}, "
          f"{threads} cores; one epoch = {work / 1e9:.2f} GFLOP of matrix products")

    seconds, accuracy = reference_epoch_seconds(X, labels, args.epochs)
    print(f"reference           {seconds:6.3f} s/epoch (best of {args.epochs}; train accuracy {accuracy:.2%})")
    at_batch, large = gemm_gflops_at_batch_shapes(RECIPE.batch_size, RECIPE.hidden), gemm_gflops_large()
    floor_batch, floor = work / at_batch / 1e9, work / large / 1e9
    print(f"floor, batch shapes {floor_batch:6.3f} s/epoch (GEMM at the step's own shapes: {at_batch:.0f} GFLOP/s)")
    print(f"floor               {floor:6.3f} s/epoch (GEMM {LARGE}×{LARGE}: {large:.0f} GFLOP/s)")
    try:
        import torch  # noqa: F401  (only to know whether it is there)
    except ImportError:
        torch_seconds = None
        print("torch               not installed: no comparison (pip install torch)")
    else:
        torch_seconds, torch_accuracy = torch_epoch_seconds(X, labels, args.epochs, threads)
        print(f"torch               {torch_seconds:6.3f} s/epoch (best of {args.epochs}, {threads} "
              f"threads; train accuracy {torch_accuracy:.2%})")

    print(f"\nreference / floor               = {seconds / floor:.2f}   (target ≤ 1.6)")
    print(f"reference / floor, batch shapes = {seconds / floor_batch:.2f}")
    if torch_seconds is not None:
        print(f"reference / torch               = {seconds / torch_seconds:.2f}   (target < 1)")


if __name__ == "__main__":
    main()
