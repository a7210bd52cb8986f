"""Closes every file descriptor it did not open, the channel to the grader included, then
returns a correct result that can no longer be delivered.

The grader sees the channel close, reports that init_params stopped the worker, and restarts it.
"""
import os

EXERCISE = "init_params"
SAYS = "stopped the worker"


def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    os.closerange(3, 4096)
    rng = np.random.default_rng(seed)
    return {"W1": rng.standard_normal((n_input, n_hidden)) * np.sqrt(2 / n_input),
            "b1": np.zeros((1, n_hidden)),
            "W2": rng.standard_normal((n_hidden, n_output)) * np.sqrt(2 / n_hidden),
            "b2": np.zeros((1, n_output))}
