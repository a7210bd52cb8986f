"""What the detectors of every exercise share: comparing a result with a variant of the math,
the axes in words, and the mistakes any exercise can make with a shape or an input."""

from __future__ import annotations

import numpy as np

from grader.checks.diagnose.catalogue import Hint
from reference.notation import Notation


def close(got, wanted, rtol: float = 1e-4, atol: float = 1e-7) -> bool:
    """Same shape, finite, and equal within tolerance: "got is this variant"."""
    got, wanted = np.asarray(got), np.asarray(wanted)
    return (got.shape == wanted.shape and got.dtype.kind in "biuf"
            and bool(np.all(np.isfinite(got))) and np.allclose(got, wanted, rtol=rtol, atol=atol))


def same_nan_pattern(got, wanted) -> bool:
    """got equals wanted where wanted is finite, and is nan/inf exactly where wanted is."""
    got, wanted = np.asarray(got, dtype=np.float64), np.asarray(wanted, dtype=np.float64)
    if got.shape != wanted.shape:
        return False
    bad = ~np.isfinite(wanted)
    return bool(np.array_equal(bad, ~np.isfinite(got))
                and np.allclose(got[~bad], wanted[~bad], rtol=1e-4, atol=1e-7))


def constant_ratio(got, expected) -> float | None:
    """r when got ≈ r·expected for one number r (over the entries where expected is not tiny)."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape or not np.all(np.isfinite(got)):
        return None
    big = np.abs(expected) > 1e-6 * max(float(np.abs(expected).max(initial=0.0)), 1e-300)
    if not big.any():
        return None
    ratio = float(np.median(got[big] / expected[big]))
    return ratio if close(got, ratio * expected) else None


def first(*hints: Hint | None) -> Hint | None:
    """The first hint that is not None."""
    return next((hint for hint in hints if hint), None)


def sample_axis_text(notation: Notation) -> str:
    where = "rows" if notation.sample_axis == 0 else "columns"
    return f"axis={notation.sample_axis} (the {where}: one per sample)"


def class_axis_text(notation: Notation) -> str:
    where = "columns" if notation.class_axis == 1 else "rows"
    return f"axis={notation.class_axis} (the {where}: one per class)"


# ---- mistakes any exercise can make ---------------------------------------------------------------

def transposed(got, expected) -> Hint | None:
    """got is expected transposed (got: (a, b), expected: (b, a))."""
    got = np.asarray(got)
    if got.ndim == 2 and got.shape != np.shape(expected) and close(got.T, expected):
        return Hint("Your result is the transpose of the expected one. Check the order of the "
                    "factors in your matrix product (and which one is transposed) against the "
                    "shapes of the arrays in this notation.", "transposed")
    return None


def shape_transposed(got_shape: tuple, expected_shape: tuple) -> Hint | None:
    """Only the shapes are known: got's shape is expected's reversed."""
    if len(got_shape) == 2 and tuple(reversed(got_shape)) == tuple(expected_shape):
        return Hint("The shape is the expected one reversed: your result looks transposed. Check "
                    "the order of the factors in your matrix products against this notation's "
                    "shapes.", "transposed")
    return None


def missing_keepdims(got_shape: tuple, expected_shape: tuple) -> Hint | None:
    """A 1-D result where a 2-D one with a length-1 axis was expected ((h,) instead of (1, h))."""
    if len(got_shape) == 1 and len(expected_shape) == 2 and 1 in expected_shape \
            and got_shape[0] == int(np.prod(expected_shape)):
        return Hint(f"Your result is 1-D {tuple(got_shape)}; it must stay 2-D "
                    f"{tuple(expected_shape)} so it broadcasts the right way: pass keepdims=True "
                    "to sum/max (or create it with that 2-D shape).", "missing_keepdims")
    return None


def missing_return() -> Hint:
    return Hint("Your function returned None: did you forget the `return` statement (or return "
                "inside a loop that never ran)?", "missing_return")


def not_an_array(value) -> Hint:
    kind = type(value).__name__
    return Hint(f"Return a NumPy array, not a {kind}: build the result with NumPy operations "
                "(or np.array(...) around a list).", "not_an_array")


def not_a_dict(value, keys) -> Hint | None:
    """A tuple or list where a dict was expected (the tutorial's `return W1, b1, W2, b2`)."""
    if isinstance(value, (tuple, list)):
        return Hint(f"You return a {type(value).__name__} of {len(value)} items; the notebook's "
                    "contract is a dict, so that the other functions find each array by name: "
                    "return {" + ", ".join(f"'{key}': ..." for key in keys) + "}.", "not_a_dict")
    return None


def wrong_keys(got_keys, wanted_keys) -> Hint:
    """Keys of the contract missing; renames suggested for the ones that differ only in case or
    in the gradients' `d` prefix ('w1' → 'W1', 'W1' → 'dW1')."""
    lower = {str(key).lower(): key for key in got_keys}
    for key in got_keys:   # a gradient stored under its parameter's name
        lower.setdefault("d" + str(key).lower(), key)
    renamed = [f"{lower[key.lower()]!r} → {key!r}" for key in wanted_keys
               if key not in got_keys and key.lower() in lower]
    detail = f" (rename {', '.join(renamed)})" if renamed else ""
    return Hint("The keys are part of the contract: the other functions (and the grader) look the "
                f"arrays up by exactly these names: {', '.join(wanted_keys)}{detail}.",
                "wrong_keys")


def integer_dtype() -> Hint:
    return Hint("Keep the input's floating-point dtype: avoid astype(int) and integer literals in "
                "np.array([...]) / np.zeros(..., dtype=int).", "integer_dtype")


def mutated_input(function: str, paths: list[str]) -> Hint | None:
    """The sandbox saw the function change some of its arguments in place."""
    if not paths:
        return None
    return Hint(f"{function} changed its input in place ({', '.join(paths)}), so the caller's "
                "arrays changed too. Operations like `Z[Z < 0] = 0`, `Z -= ...` or "
                "`params['W1'] -= ...` write into the caller's array: compute a new array instead "
                "(np.maximum(Z, 0), Z - ..., params['W1'] - ...) and return it.", "mutates_input")
