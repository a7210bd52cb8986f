"""The first of the batch's fork server preloads (grader.batch.PRELOAD): start reading MNIST in a
thread, so that decompressing and scaling its 70,000 images (0.8 s) runs beside the imports of
the grading code that come next, on another core. The last preload, mnist_preload, waits for
the thread to end, so no thread is left when the server forks grading processes. The training
images are shared with every sandbox worker (grader/sandbox/shared.py), so they are not sent
to each."""

from __future__ import annotations

import threading

# What the thread calls is imported here, before it starts, so that it imports nothing while the
# server imports the grading code: two threads importing a package's modules in different
# orders deadlock (Python 3.11 locks a submodule before importing its package, and breaks the
# cycle with a _DeadlockError). tests/test_batch.py checks the thread imports nothing.
import grader.sandbox.shared  # noqa: F401  (the shared training images)
import studentkit.mnist  # noqa: F401  (the reader)
from grader.checks.mnist_files import load_mnist_splits

loaded: list = []
reader = threading.Thread(target=lambda: loaded.append(load_mnist_splits(share_train=True)),
                          name="mnist-reading", daemon=True)
reader.start()
