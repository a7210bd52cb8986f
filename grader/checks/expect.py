"""The checks the hidden suites use instead of a bare `assert`.

Each `expect_*` either returns the (validated) value or raises `grader.checks.feedback.Feedback` with a
summary, what was expected, what came back, the input, and a hint. Hints come from a `diagnose`
callable — got → `grader.checks.diagnose.Hint` or None, usually a `functools.partial` of a
`grader.checks.diagnose` function — and fall back to generic advice; a Hint's id becomes the Feedback's
`diagnosis`.

Shapes are named in the assignment's notation: pass `dims`, the symbolic shape
(`notation.shape(("m", 10))` gives `(10, "m")` with samples as columns), and messages read
"expected shape (10, m) = (10, 3)".
"""

from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np

from grader.checks import diagnose as mistakes
from grader.checks.diagnose import Hint
from grader.checks.feedback import Feedback, ShownInputs, describe, show
from grader.checks.gradient_check import Comparison

Diagnosis = Callable[[Any], "Hint | None"]
#: The input a check was run on: text, or inputs printed only if the check fails.
InputText = str | ShownInputs

#: "float": a floating dtype; "number": any real numeric or boolean dtype (e.g. a 0/1 mask).
KINDS = {"float": "fc", "number": "biuf"}


def shape_text(shape: tuple, dims: tuple | None = None) -> str:
    """`(10, m) = (10, 3)` when dims are given and differ from the numbers, else `(10, 3)`."""
    concrete = _tuple_text(shape)
    if dims is None or tuple(map(str, dims)) == tuple(map(str, shape)):
        return concrete
    return f"{_tuple_text(dims)} = {concrete}"


def _tuple_text(items) -> str:
    items = tuple(items)
    return "(" + ", ".join(map(str, items)) + ("," if len(items) == 1 else "") + ")"


def _hint(diagnose: Diagnosis | None, got) -> Hint | None:
    return diagnose(got) if diagnose is not None else None


def fail(summary: str, *, expected: str = "", got: str = "", input: InputText = "",
         hint: Hint | str | None = None) -> Feedback:
    """The Feedback for a failed check; a Hint's text becomes the hint, its id the diagnosis."""
    hint = hint if isinstance(hint, Hint) else Hint(hint or "")
    return Feedback(summary, expected=expected, got=got, input=input, hint=hint.text,
                    diagnosis=hint.diagnosis)


def expect_that(condition: bool, summary: str, *, expected: str = "", got: str = "",
                input: InputText = "", hint: Hint | str | None = None) -> None:
    """A check with no array structure of its own (e.g. "two calls with one seed agree")."""
    if not condition:
        raise fail(summary, expected=expected, got=got, input=input, hint=hint)


def expect_array(value, *, shape: tuple, what: str, dims: tuple | None = None,
                 input: InputText = "",
                 kind: str = "float", finite: bool = True,
                 diagnose: Diagnosis | None = None) -> np.ndarray:
    """value must be a NumPy array of `shape` (dims: its symbols), of `kind`, finite if asked."""
    wanted = shape_text(shape, dims)
    if not isinstance(value, np.ndarray):
        # A number is diagnosed like a 0-d array: np.sum(dZ) without an axis is one number.
        number = isinstance(value, (int, float, np.generic)) and not isinstance(value, bool)
        hint = (mistakes.missing_return() if value is None else
                (number and _hint(diagnose, np.asarray(value))) or mistakes.not_an_array(value))
        raise fail(f"{what} should be a NumPy array of shape {wanted}, but it is "
                   f"{describe(value)}.", expected=f"a NumPy array of shape {wanted}",
                   got=show(value), input=input, hint=hint)
    if value.shape != tuple(shape):
        hint = (_hint(diagnose, value) or mistakes.shape_transposed(value.shape, shape)
                or mistakes.missing_keepdims(value.shape, shape)
                or "Follow each array's shape through your formula; in this notation the result "
                   f"has shape {wanted}.")
        raise fail(f"{what} has shape {_tuple_text(value.shape)}; expected {wanted}.",
                   expected=f"shape {wanted}", got=f"shape {_tuple_text(value.shape)}",
                   input=input, hint=hint)
    if value.dtype.kind not in KINDS[kind]:
        wanted_kind = "floating-point" if kind == "float" else "numeric"
        raise fail(f"{what} has dtype {value.dtype}; expected a {wanted_kind} array.",
                   expected=f"a {wanted_kind} dtype (e.g. float64)", got=str(value.dtype),
                   input=input, hint=mistakes.integer_dtype() if value.dtype.kind in "iub"
                   else "Return an array of real numbers (float64 or float32).")
    if finite and value.dtype.kind in "fc" and not np.all(np.isfinite(value)):
        raise fail(f"{what} contains nan or inf values.", expected="finite values",
                   got=show(value), input=input,
                   hint=_hint(diagnose, value) or
                   "nan/inf usually come from exp() overflowing or from log(0).")
    return value


def expect_close(got, expected: np.ndarray, *, what: str, input: InputText = "",
                 dims: tuple | None = None, diagnose: Diagnosis | None = None,
                 rtol: float = 1e-5, atol: float = 1e-8, kind: str = "float") -> np.ndarray:
    """got must be an array shaped like `expected` whose values match it within rtol/atol."""
    expected = np.asarray(expected)
    got = expect_array(got, shape=expected.shape, what=what, dims=dims, input=input, kind=kind,
                       finite=bool(np.all(np.isfinite(expected))), diagnose=diagnose)
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        difference = np.abs(got.astype(np.float64) - expected)
        worst = np.unravel_index(int(np.nanargmax(np.where(np.isnan(difference), np.inf,
                                                           difference))), expected.shape)
        where = "[" + ", ".join(map(str, worst)) + "]"
        raise fail(f"{what} returned wrong values (worst at {where}: expected "
                   f"{float(expected[worst]):.6g}, got {float(got[worst]):.6g}).",
                   expected=show(expected), got=show(got), input=input,
                   hint=_hint(diagnose, got) or "Compare your formula with the exercise's.")
    return got


def expect_float(value, *, what: str, input: InputText = "", finite: bool = True,
                 diagnose: Diagnosis | None = None) -> float:
    """value must be one real number: a Python or NumPy scalar, or an array holding one value."""
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        value = value.reshape(()).item()
    elif isinstance(value, np.generic) and value.dtype.kind in "iuf":
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = (mistakes.missing_return() if value is None else
                (_hint(diagnose, value) if isinstance(value, np.ndarray) else None)
                or "Return a single number (a float).")
        raise fail(f"{what} should be one number, but it is {describe(value)}.",
                   expected="a float", got=show(value), input=input, hint=hint)
    value = float(value)
    if finite and not np.isfinite(value):
        raise fail(f"{what} is {value}; expected a finite number.", expected="a finite float",
                   got=str(value), input=input,
                   hint=_hint(diagnose, value) or "nan/inf usually come from log(0) or exp().")
    return value


def expect_close_float(got, expected: float, *, what: str, input: InputText = "",
                       diagnose: Diagnosis | None = None, rtol: float = 1e-5,
                       atol: float = 1e-8) -> float:
    """got must be one finite number within rtol/atol of `expected`."""
    got = expect_float(got, what=what, input=input, diagnose=diagnose)
    if not np.isclose(got, expected, rtol=rtol, atol=atol):
        raise fail(f"{what} returned {got:.6g}; expected {expected:.6g}.",
                   expected=f"{expected:.6g}", got=f"{got:.6g}", input=input,
                   hint=_hint(diagnose, got) or "Compare your formula with the exercise's.")
    return got


def expect_dict_of_arrays(value, *, shapes: dict[str, tuple], what: str,
                          dims: dict[str, tuple] | None = None, input: InputText = "",
                          finite: bool = True, diagnose: dict[str, Diagnosis] | None = None,
                          diagnose_missing: Callable[[list[str]], Hint | None] | None = None
                          ) -> dict[str, np.ndarray]:
    """value must be a dict holding a float array of shapes[key] under every key of `shapes`.

    Other keys are allowed (a cache may keep more). dims: the symbolic shape of each key;
    diagnose: a diagnosis per key, for arrays of the wrong shape or with nan/inf;
    diagnose_missing: missing keys → a hint, for a dict that lacks some keys.
    """
    if not isinstance(value, dict):
        raise fail(f"{what} should be a dict with keys {list(shapes)}, but it is "
                   f"{describe(value)}.", expected=f"a dict with keys {list(shapes)}",
                   got=show(value), input=input,
                   hint=mistakes.missing_return() if value is None
                   else mistakes.not_a_dict(value, shapes)
                   or "Return a dict: {" + ", ".join(f"'{k}': ..." for k in shapes) + "}.")
    missing = [key for key in shapes if key not in value]
    if missing:
        raise fail(f"{what} has no key {', '.join(map(repr, missing))}.",
                   expected=f"keys {list(shapes)}", got=f"keys {list(value)}", input=input,
                   hint=(diagnose_missing and diagnose_missing(missing))
                   or mistakes.wrong_keys(list(value), list(shapes)))
    for key, shape in shapes.items():
        expect_array(value[key], shape=shape, what=f"{what}[{key!r}]",
                     dims=(dims or {}).get(key), input=input, finite=finite,
                     diagnose=(diagnose or {}).get(key))
    return value


def expect_pair(value, *, what: str, names: tuple[str, str], input: InputText = "",
                diagnose: Diagnosis | None = None) -> tuple:
    """value must be a tuple (or list) of two items, e.g. forward's (A2, cache)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise fail(f"{what} should return two values, ({names[0]}, {names[1]}), but returned "
                   f"{describe(value)}.", expected=f"a tuple ({names[0]}, {names[1]})",
                   got=describe(value), input=input,
                   hint=mistakes.missing_return() if value is None else
                   _hint(diagnose, value) or f"End with `return {names[0]}, {names[1]}`.")
    return tuple(value)


def expect_not_mutated(outcome, *, function: str, arg_names: tuple[str, ...] = (),
                       input: InputText = "") -> None:
    """outcome: the sandbox's `call_detailed` result; `.mutated` lists the changed arguments as
    paths like "args[1]['W1']", shown with the argument's name: "params['W1']"."""
    paths = [_named_path(path, arg_names) for path in outcome.mutated or []]
    if paths:
        raise fail(f"{function} modified its input in place: {', '.join(paths)}.",
                   expected="the inputs unchanged after the call",
                   got=f"changed: {', '.join(paths)}", input=input,
                   hint=mistakes.mutated_input(function, paths))


def _named_path(path: str, arg_names: tuple[str, ...]) -> str:
    match = re.match(r"args\[(\d+)\]", path)
    if match and int(match.group(1)) < len(arg_names):
        return arg_names[int(match.group(1))] + path[match.end():]
    return path


def expect_gradient(comparison: Comparison, *, what: str, tolerance: float, input: InputText = "",
                    source: str = "", hint: Hint | str | None = None) -> None:
    """The analytic gradient agrees with the numeric one: max relative error ≤ tolerance.

    source: what was differentiated numerically, for the message ("your cross_entropy ∘ forward").
    """
    if not comparison.passes(tolerance):
        raise fail(f"{what} disagrees with the numerical gradient"
                   f"{' of ' + source if source else ''}: {comparison.describe()}.",
                   expected=f"relative error ≤ {tolerance:.0e} at every checked coordinate "
                            f"(numeric {comparison.numeric:.6g} at the worst one)",
                   got=f"{comparison.analytic:.6g} (relative error {comparison.max_error:.2e})",
                   input=input,
                   hint=hint or "Derive each gradient again with the chain rule, one layer at a "
                                "time.")
