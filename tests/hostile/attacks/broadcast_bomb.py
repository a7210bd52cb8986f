"""Returns parameters that are broadcast views: 8 bytes of memory each, but 80 GB once copied.

The copy happens in the worker, under its memory limit: init_params is reported as out of memory.
"""
EXERCISE = "init_params"
SAYS = "ran out of memory"


def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    huge = np.broadcast_to(np.float64(0.5), (100_000, 100_000))
    return {"W1": huge, "b1": huge, "W2": huge, "b2": huge}
