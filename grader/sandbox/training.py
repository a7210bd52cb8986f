"""The MNIST check's training loop, run inside the worker (worker side).

Training calls the student's init_params once and forward, backprop and update at every step:
across the sandbox's channel that is four round trips a step, each copying the batch and the
parameters both ways, which cost ten times the arithmetic. Here the same loop runs next to the
student's functions, with the same calls in the same order: each gets fresh copies of its
arguments laid out as the channel would lay them out, the global generators seeded before it,
and forward and backprop the kit's helpers, exactly as `StudentProcess.call` would give them.

A function that lost points in its own exercise is the reference's for this training
(recipe["replaced"]): the worker asks the grader for its value ("need" → "given", see
Worker.ask_grader), and the grader computes it on its side, its arguments checked first. The
reference's code never comes here, only the values it returns. A value of the reference's
that only another of its calls uses (the cache of its forward when backprop is the reference's
too, the gradients of its backprop when update is) is not sent here at all: the grader keeps
it, as it keeps every value it gave that is still current (the parameters of its update), and
an argument that is such a value goes back as a name (`kept`), not as arrays. A stubbed
submission's training (float32) moved 2.25 MB a step across the channel, now 0.64 MB.

Nothing here is trusted. Anything unexpected (an exception, a shape, a value that is not an
array) stops the loop and says "fall back": the grader then runs the same training itself, call
by call, which validates every step and explains any failure to the student. What a successful
run returns is only the final parameters, which the grader validates and measures itself.

Only the standard library and NumPy may be imported here: this file runs inside the sandbox.
"""

from __future__ import annotations

import numpy as np

PARAM_NAMES = ("W1", "b1", "W2", "b2")


class FallBack(Exception):
    """Something the grader must see call by call; `str(error)` says what (for the record)."""


def kept(name: str) -> dict:
    """An argument for the reference's call that is the value the grader last gave for `name`
    ("params", "cache" or "grads"), which it kept: the grader uses its own copy."""
    return {"kept": name}


def run(call, recipe: dict, X_rows: np.ndarray, labels: np.ndarray,
        order: np.ndarray | None = None) -> dict:
    """The recipe's training with `call(name, args, kwargs, substitutes, keep)` (the worker's own
    calling, with its seeding and substitutes; keep: for a function the reference stands in
    for, the grader keeps its value instead of sending it, and call returns None); the final
    parameters, or FallBack.

    recipe: images, batch_size, lr_start, lr_end, hidden, sample_axis (0: samples as rows,
    1: as columns), seed, forward_substitutes, backprop_substitutes.
    X_rows: (images, 784) float32, shuffled; labels: (images,) integers, likewise. Or, with
    `order` (images,): X_rows holds more images (the shared training set, see shared.py) and
    the shuffled ones are X_rows[order]; each batch is gathered when it is used.
    """
    hidden, axis = recipe["hidden"], recipe["sample_axis"]
    replaced = set(recipe.get("replaced", ()))
    shapes = _oriented({"W1": (784, hidden), "b1": (1, hidden), "W2": (hidden, 10),
                        "b2": (1, 10)}, axis)
    params = _params(call("init_params", [], {"n_input": 784, "n_hidden": hidden,
                                               "n_output": 10, "seed": recipe["seed"]}, {},
                          False), shapes)
    # Whether the parameters are the grader's own value (its init_params, later its update).
    params_given = "init_params" in replaced

    def argument(name: str, value, given: bool, to: str):
        """`value` as an argument of `to`: the name of the grader's copy where it has one and
        stands in for `to`; else a copy of its own for the student's function."""
        if to in replaced:
            return kept(name) if given else value
        return _copy(value)
    dtype = params["W1"].dtype
    Y = one_hot(labels, dtype)
    if axis == 1:
        Y = Y.T
    starts = range(0, recipe["images"], recipe["batch_size"])
    for step, start in enumerate(starts):
        stop = start + recipe["batch_size"]
        Xb = _images(X_rows, order, start, stop, dtype, axis)
        Yb = _batch(Y, axis, start, stop)
        m = Xb.shape[axis]
        keep_cache = {"forward", "backprop"} <= replaced   # only the reference's backprop uses it
        returned = call("forward", [Xb, argument("params", params, params_given, "forward")], {},
                        recipe["forward_substitutes"], keep_cache)
        if keep_cache:
            cache = None
        else:
            if not isinstance(returned, (tuple, list)) or len(returned) != 2:
                raise FallBack("forward did not return a pair")
            cache = _arrays(returned[1], _oriented({"Z1": (m, hidden), "A1": (m, hidden),
                                                    "Z2": (m, 10), "A2": (m, 10)}, axis))
        keep_grads = {"backprop", "update"} <= replaced    # only the reference's update uses them
        grads = call("backprop", [as_received(Xb), as_received(Yb),
                                  argument("params", params, params_given, "backprop"),
                                  argument("cache", cache, keep_cache, "backprop")],
                     {}, recipe["backprop_substitutes"], keep_grads)
        if not keep_grads:
            grads = _arrays(grads, {"d" + name: shape for name, shape in shapes.items()})
        lr = recipe["lr_start"] + (recipe["lr_end"] - recipe["lr_start"]) * step / max(
            1, len(starts) - 1)
        params = _params(call("update", [argument("params", params, params_given, "update"),
                                         argument("grads", grads, keep_grads, "update"), lr],
                              {}, {}, False), shapes)
        params_given = "update" in replaced
    return params


def one_hot(labels: np.ndarray, dtype) -> np.ndarray:
    """labels (m,) → (m, 10), 1 in each row's label column: the reference's one_hot."""
    Y = np.zeros((labels.shape[0], 10), dtype=dtype)
    Y[np.arange(labels.shape[0]), labels] = 1
    return Y


def _oriented(rows_shapes: dict, axis: int) -> dict:
    return {name: shape if axis == 0 else tuple(reversed(shape))
            for name, shape in rows_shapes.items()}


def _images(X_rows: np.ndarray, order, start: int, stop: int, dtype, axis: int) -> np.ndarray:
    """Images start..stop-1 of the shuffled ones, a fresh array in `dtype` laid out as the
    channel delivers a batch: C order as rows, Fortran order as columns (the transpose of rows).
    Cast one batch at a time, which gives the very same numbers as casting them all first."""
    rows = X_rows[start:stop] if order is None else X_rows[order[start:stop]]
    rows = rows.astype(dtype)          # always a new C-ordered array
    return rows if axis == 0 else rows.T


def _batch(array: np.ndarray, axis: int, start: int, stop: int) -> np.ndarray:
    return as_received(array[start:stop] if axis == 0 else array[:, start:stop])


def as_received(array: np.ndarray) -> np.ndarray:
    """A fresh copy laid out as the channel delivers it: a plain ndarray, C or Fortran order
    kept, else C (what channel.pack sends and channel.read_npy makes)."""
    array = np.asarray(array)
    if array.flags.c_contiguous or array.flags.f_contiguous:
        return array.copy(order="K")
    return np.ascontiguousarray(array)


def _copy(arrays: dict) -> dict:
    return {name: as_received(value) for name, value in arrays.items()}


def _arrays(value, shapes: dict) -> dict:
    """`value` if it is a dict holding exactly `shapes`' arrays (numeric, of those shapes)."""
    if type(value) is not dict or set(value) != set(shapes):
        raise FallBack("not a dict with the expected keys")
    for name, shape in shapes.items():
        array = value[name]
        if type(array) is not np.ndarray or array.shape != shape or array.dtype.kind not in "fiu":
            raise FallBack(f"{name} is not an array of shape {shape}")
    return value


def _params(value, shapes: dict) -> dict:
    params = _arrays(value, shapes)
    if not all(np.all(np.isfinite(params[name])) for name in PARAM_NAMES):
        raise FallBack("parameters that are not finite")
    return params
