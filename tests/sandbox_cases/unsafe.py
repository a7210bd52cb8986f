# Results that must not cross back to the grader.
import numpy as np


def object_array():
    return np.array([1, "a"], dtype=object)


def structured_array():
    return np.zeros(2, dtype=[("a", "i4"), ("b", "f8")])


def string_array():
    return np.array(["a", "b"])


def million_items():
    return [0.0] * 1_000_000


def too_deep():
    value = 1
    for _ in range(20):
        value = [value]
    return value


def long_string():
    return "x" * 2_000_000


def int_keys():
    return {1: np.zeros(2)}


def a_set():
    return {1, 2}


class Opaque:
    pass


def custom_object():
    return [1, Opaque()]


class ArrayLike:
    """Leaves a file behind in the current folder when anything converts it to an array."""

    def __array__(self, dtype=None, copy=None):
        open("array_was_called", "w").close()
        return np.zeros(3)


def array_like():
    return ArrayLike()


def convert_array_like_here():
    return np.asarray(ArrayLike())


def big_array(megabytes):
    return np.zeros(megabytes << 20, dtype=np.uint8)
