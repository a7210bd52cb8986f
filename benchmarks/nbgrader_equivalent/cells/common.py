# ---- shared by every hidden test cell (prepended to each, so that every cell stands alone) ----
# The same checks as grader/checks/expect.py and grader/sandbox's mutation check, written as plain
# asserts that run in the student's kernel, the nbgrader way. Names start with `_` so that they
# cannot shadow anything of the student's.
import contextlib as _contextlib
import copy as _copy
import zlib as _zlib

import numpy as np
import reference as _ref

_PARAM_NAMES = ("W1", "b1", "W2", "b2")
_FLOAT, _NUMBER = "fc", "biuf"   # dtype kinds: grader.checks.expect.KINDS


def _rng(key):
    """A generator seeded from the check's name, like the suites' `rng` fixture."""
    return np.random.default_rng(_zlib.crc32(key.encode()))


@_contextlib.contextmanager
def _kit_helpers(**helpers):
    """Rebind the notebook's relu/softmax/relu_derivative to the reference's for one call, as the
    sandbox's `substitutes` do: a mistake in a helper costs points only in its own exercise."""
    namespace = globals()
    saved = {name: namespace[name] for name in helpers if name in namespace}
    namespace.update(helpers)
    try:
        yield
    finally:
        for name in helpers:
            namespace.pop(name, None)
        namespace.update(saved)


def _call(function, *args, substitutes=None, **kwargs):
    """function(*args, **kwargs) on copies of its inputs, with the kit's helpers substituted if
    asked. Through the sandbox a student's function always works on its own copies, so one that
    mutates its inputs loses points in no_mutation only; the copies keep that true here."""
    args, kwargs = _copy.deepcopy((args, kwargs))
    with _kit_helpers(**(substitutes or {})):
        return function(*args, **kwargs)


def _expect_array(value, shape, kind=_FLOAT, finite=True):
    assert isinstance(value, np.ndarray), f"expected a NumPy array, got {type(value).__name__}"
    assert value.shape == tuple(shape), f"shape {value.shape}, expected {tuple(shape)}"
    assert value.dtype.kind in kind, f"dtype {value.dtype}"
    if finite and value.dtype.kind in "fc":
        assert np.all(np.isfinite(value)), "nan or inf values"
    return value


def _expect_close(got, expected, rtol=1e-5, atol=1e-8, kind=_FLOAT):
    expected = np.asarray(expected)
    _expect_array(got, expected.shape, kind, finite=bool(np.all(np.isfinite(expected))))
    assert np.allclose(got, expected, rtol=rtol, atol=atol), "wrong values"
    return got


def _expect_float(value, finite=True):
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        value = value.reshape(()).item()
    elif isinstance(value, np.generic) and value.dtype.kind in "iuf":
        value = value.item()
    assert not isinstance(value, bool) and isinstance(value, (int, float)), "not one number"
    assert not finite or np.isfinite(value), f"{value} is not finite"
    return float(value)


def _expect_close_float(got, expected, rtol=1e-5, atol=1e-8):
    got = _expect_float(got)
    assert np.isclose(got, expected, rtol=rtol, atol=atol), f"{got}, expected {expected}"
    return got


def _expect_dict_of_arrays(value, shapes, finite=True):
    assert isinstance(value, dict), f"expected a dict, got {type(value).__name__}"
    for key, shape in shapes.items():
        assert key in value, f"no key {key!r}"
        _expect_array(value[key], shape, finite=finite)
    return value


def _expect_pair(value):
    assert isinstance(value, (tuple, list)) and len(value) == 2, "expected two values"
    return tuple(value)


def _snapshot(value, path, into):
    """Copies of every array and the members of every dict/list (grader/sandbox/worker.py)."""
    if isinstance(value, np.ndarray):
        into.append((path, value, value.copy()))
    elif isinstance(value, dict):
        into.append((path, value, dict(value)))
        for key, item in value.items():
            _snapshot(item, f"{path}[{key!r}]", into)
    elif isinstance(value, (list, tuple)):
        if isinstance(value, list):
            into.append((path, value, list(value)))
        for index, item in enumerate(value):
            _snapshot(item, f"{path}[{index}]", into)
    return into


def _unchanged(now, before):
    if isinstance(before, np.ndarray):
        return (now.shape == before.shape and now.dtype == before.dtype
                and now.tobytes() == before.tobytes())   # bits: an untouched nan is unchanged
    if len(now) != len(before):
        return False
    if isinstance(before, dict):
        return all(key in now and now[key] is value for key, value in before.items())
    return all(a is b for a, b in zip(now, before))


def _expect_not_mutated(function, *args, substitutes=None, **kwargs):
    """Call function(*args, **kwargs) and fail if it changed any of its inputs."""
    snapshot = []
    for index, value in enumerate(args):
        _snapshot(value, f"args[{index}]", snapshot)
    for key, value in kwargs.items():
        _snapshot(value, key, snapshot)
    with _kit_helpers(**(substitutes or {})):
        function(*args, **kwargs)
    changed = [path for path, now, before in snapshot if not _unchanged(now, before)]
    assert not changed, f"{function.__name__} modified its input in place: {changed}"


def _network_case(rng, m, h, n_input=784):
    """X (m, n_input) in [0, 1), labels (m,), Y one-hot, He-scaled weights, non-zero biases."""
    labels = rng.integers(0, 10, size=m)
    params = {"W1": rng.standard_normal((n_input, h)) * np.sqrt(2 / n_input),
              "b1": rng.normal(0, 0.5, size=(1, h)),
              "W2": rng.standard_normal((h, 10)) * np.sqrt(2 / h),
              "b2": rng.normal(0, 0.5, size=(1, 10))}
    return rng.random((m, n_input)), labels, _ref.one_hot(labels, dtype=np.float64), params
