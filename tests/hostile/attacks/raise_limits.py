"""Raises its own resource limits (memory, CPU, file size, processes) to unlimited, then
allocates and touches 3 GiB; it answers only if the limits gave way.

The hard limits cannot be raised by an unprivileged worker, so backprop scores nothing.
"""
import os
import resource

EXERCISE = "backprop"
SAYS = "the memory limit held"


def backprop(X, Y, params, cache):
    for name in ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NPROC"):
        limit = getattr(resource, name)
        try:
            resource.setrlimit(limit, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        except (ValueError, OSError):
            pass
    if resource.getrlimit(resource.RLIMIT_AS)[1] != resource.RLIM_INFINITY:
        raise PermissionError("the memory limit held")
    if not os.path.exists("hoarded"):
        np.ones(3 << 27)                # 3 GiB of float64, every page touched
        open("hoarded", "w").close()
    m = X.shape[0]
    dZ2 = cache["A2"] - Y
    dZ1 = (dZ2 @ params["W2"].T) * (cache["Z1"] > 0)
    return {"dW1": X.T @ dZ1 / m, "db1": dZ1.sum(axis=0, keepdims=True) / m,
            "dW2": cache["A1"].T @ dZ2 / m, "db2": dZ2.sum(axis=0, keepdims=True) / m}
