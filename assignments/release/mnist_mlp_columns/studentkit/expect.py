"""What the public self-checks use to compare a student's result with what it should be.

A check raises `Problem` (what is wrong, and a hint about the usual cause); `Notation` puts the
checks' hand-made examples, written with samples as rows, into the notebook's notation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


class Problem(Exception):
    """A failed public check: what is wrong, and a hint about the usual cause."""

    def __init__(self, what: str, hint: str = ""):
        super().__init__(what)
        self.what, self.hint = what, hint


@dataclass(frozen=True)
class Notation:
    """Where the samples sit: "rows" (X is (m, 784)) or "columns" (X is (784, m))."""

    name: str

    @property
    def sample_axis(self) -> int:
        return 0 if self.name == "rows" else 1

    @property
    def sample_word(self) -> str:
        return "row" if self.name == "rows" else "column"

    def put(self, array) -> np.ndarray:
        """A samples-as-rows array (or list) in this notation."""
        array = np.asarray(array, dtype=np.float64)
        return array if self.name == "rows" else array.T.copy()

    def shape(self, rows_shape: tuple) -> tuple:
        return tuple(rows_shape) if self.name == "rows" else tuple(reversed(rows_shape))


def show(value) -> str:
    """A value on one line, so that it stays inside the message it is quoted in: an array's rows
    follow each other ("[[0.25, 0.75], [0.5, 0.5]]")."""
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=4, threshold=20, suppress_small=True,
                               separator=", ", max_line_width=10**6)
        return " ".join(line.strip() for line in text.splitlines())
    return repr(value)


def expect_array(value, what: str) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise Problem(f"{what} is a {type(value).__name__}, expected a NumPy array",
                      "return the array itself (not a list, tuple or None)")
    return value


def expect_shape(value, shape: tuple, what: str, hint: str = "") -> np.ndarray:
    value = expect_array(value, what)
    if value.shape != tuple(shape):
        raise Problem(f"{what} has shape {value.shape}, expected {tuple(shape)}", hint)
    return value


def expect_close(value, expected, what: str, hint: str, rtol: float = 1e-5) -> None:
    value = expect_shape(value, np.shape(expected), what, hint)
    if not np.allclose(value, expected, rtol=rtol, atol=1e-7):
        raise Problem(f"{what} is {show(value)}, expected {show(np.asarray(expected))}", hint)


def sibling(fn: Callable, name: str) -> Callable:
    """Another of the student's functions, found where `fn` was defined (the notebook)."""
    other = getattr(fn, "__globals__", {}).get(name)
    if not callable(other):
        raise Problem(f"this check also uses your {name}, which is not defined",
                      f"write {name} and run its cell (and its check) first")
    return other
