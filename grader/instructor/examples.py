"""Example submissions: the release notebook with its stubs filled in, right or with one mistake.

    python -m grader.instructor.examples          # rewrite assignments/examples/ from the current releases
                                       # (nnkit release does this after releasing)

Each example is `assignments/examples/<id>/<name>/<id>.ipynb`, made from
`release/<id>/<id>.ipynb` by replacing the stub line of every solution cell (nbgrader grade_id =
the function's name) with a body from the tables below: `correct` uses CORRECT only, every
other example swaps in the wrong bodies of one mistake from MISTAKES. Because they are made
from the release, they never drift from it. `examples/<id>/expected.json` lists, for each
example, the exercises in which it should lose points; the grading tests check the grader
against it.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader.assignments import ASSIGNMENTS, Assignment

COURSE_DIR = Path(__file__).resolve().parents[2] / "assignments"
STUB_MARK = "raise NotImplementedError("

# ---- the correct bodies, function → body, samples as rows; columns override what differs -------

_CORRECT_ROWS = {
    "relu": "return np.maximum(Z, 0)",
    "relu_derivative": "return (Z > 0).astype(Z.dtype)",
    "softmax": """\
exps = np.exp(Z - Z.max(axis=1, keepdims=True))
return exps / exps.sum(axis=1, keepdims=True)""",
    "cross_entropy": "return float(-np.sum(Y * np.log(np.clip(A, 1e-12, 1.0))) / Y.shape[0])",
    "init_params": """\
rng = np.random.default_rng(seed)
return {"W1": (rng.standard_normal((n_input, n_hidden)) * np.sqrt(2 / n_input)).astype(np.float32),
        "b1": np.zeros((1, n_hidden), dtype=np.float32),
        "W2": (rng.standard_normal((n_hidden, n_output)) * np.sqrt(2 / n_hidden)).astype(np.float32),
        "b2": np.zeros((1, n_output), dtype=np.float32)}""",
    "forward": """\
Z1 = X @ params["W1"] + params["b1"]
A1 = relu(Z1)
Z2 = A1 @ params["W2"] + params["b2"]
A2 = softmax(Z2)
return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}""",
    "backprop": """\
m = X.shape[0]
dZ2 = cache["A2"] - Y
dZ1 = (dZ2 @ params["W2"].T) * relu_derivative(cache["Z1"])
return {"dW1": X.T @ dZ1 / m, "db1": dZ1.sum(axis=0, keepdims=True) / m,
        "dW2": cache["A1"].T @ dZ2 / m, "db2": dZ2.sum(axis=0, keepdims=True) / m}""",
    "update": 'return {name: params[name] - lr * grads["d" + name] for name in ("W1", "b1", "W2", "b2")}',
}

_CORRECT_COLUMNS = {
    **_CORRECT_ROWS,
    "softmax": """\
exps = np.exp(Z - Z.max(axis=0, keepdims=True))
return exps / exps.sum(axis=0, keepdims=True)""",
    "cross_entropy": "return float(-np.sum(Y * np.log(np.clip(A, 1e-12, 1.0))) / Y.shape[1])",
    "init_params": """\
rng = np.random.default_rng(seed)
return {"W1": (rng.standard_normal((n_hidden, n_input)) * np.sqrt(2 / n_input)).astype(np.float32),
        "b1": np.zeros((n_hidden, 1), dtype=np.float32),
        "W2": (rng.standard_normal((n_output, n_hidden)) * np.sqrt(2 / n_hidden)).astype(np.float32),
        "b2": np.zeros((n_output, 1), dtype=np.float32)}""",
    "forward": """\
Z1 = params["W1"] @ X + params["b1"]
A1 = relu(Z1)
Z2 = params["W2"] @ A1 + params["b2"]
A2 = softmax(Z2)
return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}""",
    "backprop": """\
m = X.shape[1]
dZ2 = cache["A2"] - Y
dZ1 = (params["W2"].T @ dZ2) * relu_derivative(cache["Z1"])
return {"dW1": dZ1 @ X.T / m, "db1": dZ1.sum(axis=1, keepdims=True) / m,
        "dW2": dZ2 @ cache["A1"].T / m, "db2": dZ2.sum(axis=1, keepdims=True) / m}""",
}

CORRECT = {"rows": _CORRECT_ROWS, "columns": _CORRECT_COLUMNS}


#: In MISTAKES, a body is one string (the same in both notations), a (rows, columns) pair, or STUB.
STUB = None


@dataclass(frozen=True)
class Mistake:
    description: str
    changes: dict  # function → its wrong body; these are the exercises that should lose points


def _both(name: str, *replacements: tuple[str, str]) -> tuple[str, str]:
    """The correct body of `name` in each notation, with every (old, new) replacement made."""
    def edit(body: str) -> str:
        for old, new in replacements:
            if old not in body:
                raise ValueError(f"{old!r} is not in the correct body of {name}")
            body = body.replace(old, new)
        return body
    return edit(_CORRECT_ROWS[name]), edit(_CORRECT_COLUMNS[name])


MISTAKES = {
    "softmax_unstable": Mistake(
        "exponentiates without subtracting the maximum: overflows for large logits",
        {"softmax": ("return np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)",
                     "return np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True)")}),
    "softmax_wrong_axis": Mistake(
        "normalises over the samples instead of over the classes",
        {"softmax": (_CORRECT_COLUMNS["softmax"], _CORRECT_ROWS["softmax"])}),
    "cross_entropy_sum": Mistake(
        "sums the loss over the batch instead of averaging it",
        {"cross_entropy": "return float(-np.sum(Y * np.log(np.clip(A, 1e-12, 1.0))))"}),
    "relu_derivative_at_zero": Mistake(
        "takes ReLU′(0) = 1 (Z >= 0 instead of Z > 0)",
        {"relu_derivative": "return (Z >= 0).astype(Z.dtype)"}),
    "init_params_unscaled": Mistake(
        "draws all weights with std 0.01 instead of He scaling",
        {"init_params": _both("init_params", ("np.sqrt(2 / n_input)", "0.01"),
                              ("np.sqrt(2 / n_hidden)", "0.01"))}),
    "forward_no_relu": Mistake(
        "skips the ReLU: A1 = Z1",
        {"forward": _both("forward", ("A1 = relu(Z1)", "A1 = Z1"))}),
    "missing_1_over_m": Mistake(
        "forgets the 1/m of the mean: every gradient is m times too large",
        {"backprop": _both("backprop", (" / m", ""))}),
    "no_relu_mask": Mistake(
        "backpropagates through the hidden layer without ReLU′(Z1)",
        {"backprop": _both("backprop", (' * relu_derivative(cache["Z1"])', ""))}),
    "update_wrong_sign": Mistake(
        "steps uphill: P + lr·dP",
        {"update": _CORRECT_ROWS["update"].replace(" - lr", " + lr")}),
    "mutates_params": Mistake(
        "changes the arrays of params in place and returns the same dict",
        {"update": """\
for name in ("W1", "b1", "W2", "b2"):
    params[name] -= lr * grads["d" + name]
return params"""}),
    "stubs_left": Mistake(
        "leaves backprop and update as the release's stubs",
        {"backprop": STUB, "update": STUB}),
}


def bodies(example: str, notation: str) -> dict[str, str | None]:
    """Function name → the body to put in place of its stub (None: leave the stub)."""
    filled: dict[str, str | None] = dict(CORRECT[notation])
    changes = MISTAKES[example].changes if example != "correct" else {}
    for function, body in changes.items():
        filled[function] = body[notation == "columns"] if isinstance(body, tuple) else body
    return filled


def fill_stub(source: str, body: str) -> str:
    """Replace the one stub line of a solution cell's source by `body`, indented like the stub."""
    lines = source.split("\n")
    stubs = [i for i, line in enumerate(lines) if STUB_MARK in line]
    if len(stubs) != 1:
        raise ValueError(f"expected one stub line ({STUB_MARK}…) in the cell, found {len(stubs)}")
    at = stubs[0]
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    body_lines = [indent + line if line else line for line in body.split("\n")]
    return "\n".join(lines[:at] + body_lines + lines[at + 1:])


def make_example(release: nbformat.NotebookNode, example: str, notation: str) -> nbformat.NotebookNode:
    """A copy of the release notebook with every solution cell filled in for `example`."""
    notebook = copy.deepcopy(release)
    filled = bodies(example, notation)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and filled.get(grade_id) is not None:
            cell.source = fill_stub(cell.source, filled[grade_id])
    return notebook


def expected_losses() -> dict[str, dict]:
    table = {"correct": {"mistake": "none", "loses_points_in": []}}
    for name, mistake in MISTAKES.items():
        table[name] = {"mistake": mistake.description, "loses_points_in": sorted(mistake.changes)}
    return table


def write_examples(assignment: Assignment, course_dir: Path = COURSE_DIR) -> list[Path]:
    """Rewrite examples/<id>/ from release/<id>/<id>.ipynb; returns the notebooks written."""
    release_path = course_dir / "release" / assignment.id / assignment.notebook
    release = nbformat.read(release_path, as_version=4)
    folder = course_dir / "examples" / assignment.id
    if folder.exists():
        shutil.rmtree(folder)  # so an example dropped from MISTAKES does not linger
    written = []
    for example in ["correct", *MISTAKES]:
        path = folder / example / assignment.notebook
        path.parent.mkdir(parents=True)
        notebook = make_example(release, example, assignment.notation)
        nbformat.validate(notebook)
        nbformat.write(notebook, path)
        written.append(path)
    expected = {"assignment": assignment.id, "examples": expected_losses()}
    (folder / "expected.json").write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m grader.instructor.examples",
        description="Rewrite the example submissions (correct and with typical mistakes) from "
                    "the committed release notebooks.")
    parser.add_argument("--course-dir", type=Path, default=COURSE_DIR,
                        help="the nbgrader course folder (default: %(default)s)")
    args = parser.parse_args(argv)
    for assignment in ASSIGNMENTS.values():
        for path in write_examples(assignment, args.course_dir.resolve()):
            print(f"example {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
