"""The students' public self-checks: the reference passes, typical mistakes get the right hint."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

import reference
from studentkit import selfcheck
from studentkit.selfcheck import check, plain_text, run_checks

STUDENTKIT = Path(selfcheck.__file__).parent
NOTATIONS = ("rows", "columns")
STUB_MESSAGE = "Replace this line with your code for this function."


def as_notebook(functions: dict[str, Callable]) -> dict[str, Callable]:
    """The functions as if defined in one notebook: each finds the others in its globals."""
    namespace = {f"_impl_{name}": fn for name, fn in functions.items()}
    for name in functions:
        exec(f"def {name}(*args, **kwargs):\n    return _impl_{name}(*args, **kwargs)", namespace)
    return {name: namespace[name] for name in functions}


def reference_notebook(notation: str, **replaced: Callable) -> dict[str, Callable]:
    """The reference's eight functions in `notation`, with some replaced by broken ones."""
    api = reference.for_notation(notation)
    functions = {name: getattr(api, name) for name in reference.GRADED_FUNCTIONS}
    return as_notebook({**functions, **replaced})


@pytest.mark.parametrize("notation", NOTATIONS)
@pytest.mark.parametrize("name", reference.GRADED_FUNCTIONS)
def test_reference_passes(notation, name):
    functions = reference_notebook(notation)
    report = run_checks(name, functions[name], notation)
    assert report.passed, plain_text(report)
    assert len(report.outcomes) >= 2


# ---- typical mistakes, each written once for both notations ------------------------------------
# A factory takes (notation, reference API) and returns the broken function.

def _samples(notation):
    return 0 if notation == "rows" else 1


def _classes(notation):
    return 1 - _samples(notation)


def _forward_without_relu(notation, ref):
    def forward(X, params):
        Z1 = X @ params["W1"] + params["b1"] if notation == "rows" else params["W1"] @ X + params["b1"]
        Z2 = Z1 @ params["W2"] + params["b2"] if notation == "rows" else params["W2"] @ Z1 + params["b2"]
        A2 = ref.softmax(Z2)
        return A2, {"Z1": Z1, "A1": Z1, "Z2": Z2, "A2": A2}
    return forward


def _backprop_without_relu_mask(notation, ref):
    def backprop(X, Y, params, cache):
        m = X.shape[_samples(notation)]
        dZ2 = cache["A2"] - Y
        if notation == "rows":
            dZ1 = dZ2 @ params["W2"].T
            return {"dW1": X.T @ dZ1 / m, "db1": dZ1.sum(axis=0, keepdims=True) / m,
                    "dW2": cache["A1"].T @ dZ2 / m, "db2": dZ2.sum(axis=0, keepdims=True) / m}
        dZ1 = params["W2"].T @ dZ2
        return {"dW1": dZ1 @ X.T / m, "db1": dZ1.sum(axis=1, keepdims=True) / m,
                "dW2": dZ2 @ cache["A1"].T / m, "db2": dZ2.sum(axis=1, keepdims=True) / m}
    return backprop


def _update_in_place(notation, ref):
    def update(params, grads, lr):
        for name in params:
            params[name] -= lr * grads["d" + name]
        return params
    return update


def _relu_in_place(notation, ref):
    def relu(Z):
        Z[Z < 0] = 0
        return Z
    return relu


MISTAKES = {
    # name: (exercise, factory, words the hint must contain; {axis} is the classes' axis)
    "relu_in_place": ("relu", _relu_in_place, "alters the caller's array"),
    "relu_derivative_at_zero": ("relu_derivative", lambda nt, ref: lambda Z: (Z >= 0).astype(Z.dtype),
                                "Z > 0, not Z >= 0"),
    "softmax_unstable": ("softmax", lambda nt, ref: lambda Z: np.exp(Z) / np.exp(Z).sum(
        axis=_classes(nt), keepdims=True), "overflows"),
    "softmax_wrong_axis": ("softmax", lambda nt, ref: lambda Z: np.exp(Z) / np.exp(Z).sum(
        axis=_samples(nt), keepdims=True), "normalise along axis={axis}"),
    "cross_entropy_sum": ("cross_entropy", lambda nt, ref: lambda A, Y: float(-np.sum(Y * np.log(A))),
                          "divide by m"),
    "cross_entropy_no_clip": ("cross_entropy", lambda nt, ref: lambda A, Y: float(
        -np.sum(Y * np.log(A)) / Y.shape[_samples(nt)]), "clip A"),
    "cross_entropy_mean_of_all": ("cross_entropy", lambda nt, ref: lambda A, Y: float(
        -np.mean(Y * np.log(np.clip(A, 1e-12, 1)))), "divides by m × 10"),
    "init_params_unscaled": ("init_params", lambda nt, ref: lambda *a, **kw: {
        k: v / v.std() * 0.01 if k[0] == "W" else v for k, v in ref.init_params(*a, **kw).items()},
        "sqrt(2 / fan_in)"),
    "init_params_unseeded": ("init_params", lambda nt, ref: lambda *a, **kw: {
        k: v + np.random.standard_normal(v.shape) * 1e-3 if k[0] == "W" else v
        for k, v in ref.init_params(*a, **kw).items()}, "default_rng(seed)"),
    "forward_no_relu": ("forward", _forward_without_relu, "A1 = relu(Z1)"),
    "backprop_missing_1_over_m": ("backprop", lambda nt, ref: lambda X, Y, p, c: {
        k: v * X.shape[_samples(nt)] for k, v in ref.backprop(X, Y, p, c).items()}, "times too large"),
    "backprop_no_relu_mask": ("backprop", _backprop_without_relu_mask, "ReLU′(Z1)"),
    "backprop_wrong_sign": ("backprop", lambda nt, ref: lambda X, Y, p, c: {
        k: -v for k, v in ref.backprop(X, Y, p, c).items()}, "wrong sign"),
    "update_wrong_sign": ("update", lambda nt, ref: lambda p, g, lr: {
        k: p[k] + lr * g["d" + k] for k in p}, "subtract lr"),
    "update_in_place": ("update", _update_in_place, "new dict"),
}


@pytest.mark.parametrize("notation", NOTATIONS)
@pytest.mark.parametrize("mistake", MISTAKES)
def test_mistake_gets_its_hint(notation, mistake):
    exercise, factory, hint = MISTAKES[mistake]
    ref = reference.for_notation(notation)
    functions = reference_notebook(notation, **{exercise: factory(notation, ref)})
    report = run_checks(exercise, functions[exercise], notation)
    assert not report.passed
    hints = [outcome.hint for outcome in report.outcomes if not outcome.passed]
    assert any(hint.format(axis=_classes(notation)) in text for text in hints), plain_text(report)


@pytest.mark.parametrize("notation", NOTATIONS)
def test_the_self_checks_accept_what_the_grader_accepts(notation):
    """A boolean ReLU′ (Z > 0) and float64 parameters: correct, and graded as correct (see
    grader/checks/rubric.toml), so the public checks pass them too."""
    ref = reference.for_notation(notation)
    accepted = {"relu_derivative": lambda Z: Z > 0,
                "init_params": lambda *args, **kwargs: {
                    key: value.astype(np.float64) for key, value in ref.init_params(
                        *args, **kwargs).items()}}
    for name, function in accepted.items():
        report = run_checks(name, reference_notebook(notation, **{name: function})[name],
                            notation)
        assert report.passed, plain_text(report)


def test_columns_cross_entropy_dividing_by_the_classes_is_explained():
    wrong_m = lambda A, Y: float(-np.sum(Y * np.log(np.clip(A, 1e-12, 1))) / Y.shape[0])  # noqa: E731
    report = run_checks("cross_entropy", reference_notebook("columns", cross_entropy=wrong_m)
                        ["cross_entropy"], "columns")
    assert "Y.shape[1]" in plain_text(report)


def test_a_stub_reports_its_message():
    def softmax(Z):
        raise NotImplementedError(STUB_MESSAGE)
    report = run_checks("softmax", softmax, "rows")
    assert not report.passed and report.not_written_in == "softmax"
    assert "✗ softmax is not written yet" in plain_text(report)
    assert STUB_MESSAGE in plain_text(report)


def test_a_stub_in_a_helper_is_named():
    """forward that calls a stubbed softmax: the message points at softmax."""
    def stub(Z):
        raise NotImplementedError(STUB_MESSAGE)
    functions = reference_notebook("rows", softmax=stub)
    forward = as_notebook({"softmax": stub, "relu": np.abs, "forward": lambda X, p: (
        functions["softmax"](X @ p["W1"]), {})})["forward"]
    text = plain_text(run_checks("forward", forward, "rows"))
    assert "needs softmax, which is not written yet" in text and STUB_MESSAGE in text


def test_a_failing_helper_blocks_the_functions_relying_on_it():
    broken = MISTAKES["softmax_wrong_axis"][1]("rows", reference.for_notation("rows"))
    functions = reference_notebook("rows", softmax=broken)
    for name in ("forward", "backprop"):
        report = run_checks(name, functions[name], "rows")
        assert not report.passed and report.blocked_by
        assert "Fix " in plain_text(report)


def test_use_notation_sets_the_default():
    columns = reference_notebook("columns")
    try:
        selfcheck.use_notation("columns")
        assert run_checks("softmax", columns["softmax"]).passed
        selfcheck.use_notation("rows")
        assert not run_checks("softmax", columns["softmax"]).passed
    finally:
        selfcheck.use_notation("rows")
    with pytest.raises(ValueError, match="rows"):
        selfcheck.use_notation("diagonal")


def test_check_prints_a_tick_with_rich_and_without(capsys, monkeypatch):
    functions = reference_notebook("rows")
    check("relu", functions["relu"], "rows")
    assert "✓ relu: all" in capsys.readouterr().out
    monkeypatch.setitem(sys.modules, "rich.console", None)  # as if rich were not installed
    check("relu", functions["relu"], "rows")
    assert "✓ relu: all" in capsys.readouterr().out


def test_check_returns_nothing_so_the_notebook_shows_only_the_message():
    assert check("relu", reference_notebook("rows")["relu"], "rows") is None


def test_studentkit_imports_neither_reference_nor_grader():
    """studentkit ships to students: it must not pull in the reference or the hidden suites."""
    for module in sorted(STUDENTKIT.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name.split(".")[0] not in ("reference", "grader"), f"{module.name} imports {name}"


def test_a_message_quoting_arrays_keeps_its_indentation(capsys):
    """An array of several rows is quoted on one line, and a message longer than the console is
    wrapped under its own check: no line of a failed check starts at the left margin."""
    from studentkit.selfcheck import check

    check("softmax", lambda Z: Z, "rows")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("✗ softmax")
    assert all(line.startswith("  ") for line in lines[1:] if line.strip()), lines
    assert "[[0.25,0.75],[0.5" in "".join("".join(lines).split())     # rows on one line
