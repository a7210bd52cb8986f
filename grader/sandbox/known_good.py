"""The kit's known-good helpers, which `substitutes` puts in place of the student's own for one call
(so that a mistake in relu or softmax costs points only in its own exercise).

This file is not imported by the worker: the grader reads its text and sends it with the first
call that substitutes (see worker.KnownGood), so the helpers are not in the student's process
before the helpers' own exercises are graded. It may use only `np` (NumPy), which the worker
provides. Every name of channel.KNOWN_GOOD_HELPERS is defined here.
"""


def relu(Z):
    """max(Z, 0), element-wise; any shape."""
    return np.maximum(Z, 0)  # noqa: F821  (np is the worker's NumPy)


def relu_derivative(Z):
    """1 where Z > 0 else 0, in Z's dtype; any shape."""
    return (Z > 0).astype(Z.dtype)


def softmax_rows(Z):
    """Z: (m, 10) logits, a sample per row → (m, 10) probabilities; the max is subtracted first
    so that exp cannot overflow."""
    exps = np.exp(Z - Z.max(axis=1, keepdims=True))  # noqa: F821
    return exps / exps.sum(axis=1, keepdims=True)


def softmax_columns(Z):
    """Z: (10, m) logits, a sample per column → (10, m) probabilities; the max of each column is
    subtracted first so that exp cannot overflow."""
    exps = np.exp(Z - Z.max(axis=0, keepdims=True))  # noqa: F821
    return exps / exps.sum(axis=0, keepdims=True)
