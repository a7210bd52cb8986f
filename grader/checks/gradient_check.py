"""Numerical gradient checking: centered finite differences and a relative error with a floor.

A student's `backprop` claims to return ∂L/∂θ for a scalar loss L. These utilities approximate the
same partial derivatives from L alone,

    ∂L/∂θ_i ≈ (L(θ + h·e_i) − L(θ − h·e_i)) / 2h,

and compare them with the analytic ones coordinate by coordinate.

Why centered differences and h = 1e-5, in float64: the centered difference has truncation error
O(h²·L‴) and round-off error O(ε·|L|/h), with ε = 2.2e-16 the float64 machine epsilon. The two
balance near h ≈ ε^(1/3) ≈ 6e-6, where both are around 1e-10 relative to the gradient: 1e-5
sits right there. In float32 (ε = 1.2e-7) the best achievable error would be near 1e-5, too
coarse to tell a small bug from noise, so the numeric side is always evaluated on float64 arrays.

Where the loss has a kink (ReLU at 0), a difference that straddles it is meaningless: callers pick
inputs whose pre-activations stay further than h from 0.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

#: The step of the centered difference; see the module docstring for why.
DEFAULT_STEP = 1e-5


def numeric_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                     h: float = DEFAULT_STEP) -> np.ndarray:
    """Centered-difference gradient of the scalar function f at x, at every coordinate.

    x: float64 array of any shape (not modified) → float64 array of x's shape.
    Costs 2·x.size calls of f; use `sparse_numeric_gradient` for large x.
    """
    indices = list(np.ndindex(x.shape))
    return _partials(lambda points: [f(point) for point in points], x, indices,
                     h).reshape(x.shape)


def sparse_numeric_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, n_samples: int,
                            rng: np.random.Generator, h: float = DEFAULT_STEP,
                            f_each: Callable[[list[np.ndarray]], list[float]] | None = None
                            ) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """Centered-difference partials of f at `n_samples` coordinates of x drawn without replacement.

    x: float64 array of any shape (not modified). Returns the sampled indices (tuples into x) and
    the partials there, float64 (n,), with n = min(n_samples, x.size): every coordinate when x
    is small enough. Costs 2·n calls of f — the point when f is expensive. f_each, if given,
    is f on a list of points at once ([f(p) for p in points], in that order), for an f that
    pays per call rather than per point (the student's loss, across the sandbox).
    """
    if isinstance(f, TrustedLoss):
        key = (f.key, digest(x), n_samples, h, repr(rng.bit_generator.state))
        if key not in _REMEMBERED:
            if len(_REMEMBERED) >= MAX_REMEMBERED:
                _REMEMBERED.clear()
            indices, partials = sparse_numeric_gradient(f.f, x, n_samples, rng, h)
            _REMEMBERED[key] = (indices, partials, rng.bit_generator.state)
        indices, partials, state_after = _REMEMBERED[key]
        rng.bit_generator.state = state_after   # drawn from as if the indices were drawn again
        return list(indices), partials.copy()
    n = min(n_samples, x.size)
    flat = np.sort(rng.choice(x.size, size=n, replace=False))
    indices = [tuple(int(i) for i in np.unravel_index(k, x.shape)) for k in flat]
    return indices, _partials(f_each or (lambda points: [f(point) for point in points]), x,
                              indices, h)


@dataclass(frozen=True)
class TrustedLoss:
    """A loss that is the same function for every submission graded in this process: the
    reference's, on inputs a check draws from its own seed. `key` names it (what it computes
    and on which inputs, e.g. `digest` of them). sparse_numeric_gradient computes its partials
    once per process and remembers them (the same arithmetic, with the same numbers, for every
    submission: 10–20 ms each), leaving the generator where drawing the indices leaves it."""

    f: Callable[[np.ndarray], float]
    key: tuple

    def __call__(self, x: np.ndarray) -> float:
        return self.f(x)


#: Partials of trusted losses already computed: (key, x, samples, h, generator) → (indices,
#: partials, the generator's state after drawing the indices). A grading process holds a few
#: dozen (its checks' inputs are the same for every submission); MAX_REMEMBERED bounds it.
_REMEMBERED: dict = {}
MAX_REMEMBERED = 256


def digest(*arrays) -> str:
    """A fingerprint of arrays (or dicts of them): their dtypes, shapes and bytes."""
    hashed = hashlib.blake2b(digest_size=16)
    for array in arrays:
        if isinstance(array, dict):
            for name in sorted(array):
                hashed.update(name.encode())
                hashed.update(digest(array[name]).encode())
            continue
        array = np.ascontiguousarray(array)
        hashed.update(f"{array.dtype.str}{array.shape}".encode())
        hashed.update(array.tobytes())
    return hashed.hexdigest()


def _partials(f_each, x: np.ndarray, indices: list[tuple[int, ...]], h: float) -> np.ndarray:
    """(f(x + h·e_i) − f(x − h·e_i)) / 2h at each index; f_each evaluates the points in the
    order x + h·e_0, x − h·e_0, x + h·e_1, …, which is the order separate calls would take."""
    if x.dtype != np.float64:
        raise TypeError(f"gradient checks need float64 arrays, not {x.dtype}: see the module "
                        "docstring")
    points = []
    for index in indices:
        plus, minus = x.copy(), x.copy()
        plus[index] += h
        minus[index] -= h
        points += [plus, minus]
    values = f_each(points)
    partials = np.empty(len(indices))
    for k in range(len(indices)):
        partials[k] = (values[2 * k] - values[2 * k + 1]) / (2 * h)
    return partials


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-8) -> np.ndarray:
    """|a − b| / max(floor, |a| + |b|), element-wise; a, b: same shape → that shape.

    The denominator makes the error scale-free where the gradient is large; the floor stops it
    from exploding where both values are essentially 0 (a dead ReLU unit, say), so that there a
    difference counts only once it exceeds `floor` × tolerance in absolute terms.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(floor, np.abs(a) + np.abs(b))


@dataclass(frozen=True)
class Comparison:
    """How analytic partials compare with numeric ones: the worst coordinate and its error."""

    max_error: float
    worst_index: tuple[int, ...]
    analytic: float          # the analytic partial at the worst coordinate
    numeric: float           # the numeric partial at the worst coordinate
    n_checked: int

    def passes(self, tolerance: float) -> bool:
        return self.max_error <= tolerance

    def describe(self) -> str:
        index = ", ".join(map(str, self.worst_index))
        return (f"max relative error {self.max_error:.2e} over {self.n_checked} coordinates, "
                f"worst at [{index}]: analytic {self.analytic:.6g}, numeric {self.numeric:.6g}")


def compare(analytic: np.ndarray, indices: list[tuple[int, ...]], numeric: np.ndarray,
            floor: float = 1e-8) -> Comparison:
    """Compare analytic (any shape) at `indices` with the numeric partials there, numeric: (n,)."""
    picked = np.array([analytic[index] for index in indices], dtype=np.float64)
    errors = relative_error(picked, numeric, floor)
    worst = int(np.argmax(errors))
    return Comparison(float(errors[worst]), indices[worst], float(picked[worst]),
                      float(numeric[worst]), len(indices))
