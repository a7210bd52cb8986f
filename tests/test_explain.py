"""What an exception from the student's code, and what their source, add to a failure's feedback.

The students here are small submissions extracted like a notebook (grader.extract) and run by the
test double with the worker's traceback format; the corpus (tests/test_corpus.py) grades whole
realistic notebooks through `grade`.
"""

from __future__ import annotations

import pytest

from fake_student import FakeStudent, run_suites
from grader.assignments import ASSIGNMENTS
from grader.checks.diagnose import DIAGNOSES
from grader.checks.diagnose.exceptions import explain_exception, frames_of
from grader.extract import extract_cells
from grader.checks.plugin import classify
from grader.sandbox import StudentRaised
from mistakes import SOLUTIONS
from reference.notation import COLUMNS, ROWS


def graded(cells: list[str], notation: str, exercises: list[str]):
    """Outcomes of `exercises` for a submission made of `cells` (notebook cells, in order)."""
    extraction = extract_cells(list(enumerate(cells)))
    assignment = ASSIGNMENTS["mnist_mlp" if notation == "rows" else "mnist_mlp_columns"]
    return run_suites(FakeStudent.from_extraction(extraction), assignment, exercises=exercises,
                      extraction=extraction)


def failed(outcomes, exercise: str) -> list[dict]:
    return [o.feedback for o in outcomes if o.exercise == exercise and o.status != "passed"]


def test_a_global_of_a_skipped_cell_is_named_with_where_it_is_set_and_the_fix():
    solution = SOLUTIONS["columns"].replace("    m = X.shape[1]\n    dZ2", "    dZ2")
    outcomes = graded(["import numpy as np\ndata = np.load('train.npy')\nm, n = data.shape\n",
                       solution], "columns", ["backprop"])
    feedback = failed(outcomes, "backprop")
    assert feedback and {f["diagnosis"] for f in feedback} == {"backprop.global_from_skipped_cell"}
    hint = feedback[0]["hint"]
    for phrase in ("global `m`", "code cell 1, line 3", "m, n = data.shape", "m = X.shape[1]",
                   "wrong for any other batch size"):
        assert phrase in hint
    assert "NameError: name 'm' is not defined" in feedback[0]["summary"]
    assert 'File "<cell 2>"' in feedback[0]["traceback"]   # numbered from 1, like the reports


def test_a_function_defined_twice_says_which_definition_is_graded_and_why_it_fails():
    pasted = "def update(params, grads, learning_rate, momentum):\n    return params\n"
    outcomes = graded([SOLUTIONS["rows"], pasted], "rows", ["update"])
    feedback = failed(outcomes, "update")
    assert {f["diagnosis"] for f in feedback} == {"update.defined_twice"}
    hint = feedback[0]["hint"]
    assert "defined 2 times" in hint and "code cell 2, line 1" in hint and "the one graded" in hint
    assert "update(params, grads, lr)" in hint and "momentum" in hint


def test_a_signature_other_than_the_stubs_is_explained():
    solution = SOLUTIONS["rows"].replace("def relu(Z):", "def relu(Z, slope):")
    feedback = failed(graded([solution], "rows", ["relu"]), "relu")
    assert {f["diagnosis"] for f in feedback} == {"relu.signature_mismatch"}
    assert "relu(Z)" in feedback[0]["hint"] and "relu(Z, slope)" in feedback[0]["hint"]


@pytest.mark.parametrize("message, traceback_code, diagnosis, phrase", [
    ("operands could not be broadcast together with shapes (5,10) (5,) ",
     "return exps / exps.sum(axis=1)", "missing_keepdims", "keepdims=True"),
    ("operands could not be broadcast together with shapes (16,5) (5,16) ",
     "Z1 = X @ W1 + b1", "shapes_do_not_broadcast", "transpose"),
    ("matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc signature "
     "(n?,k),(k,m?)->(n?,m?) (size 5 is different from 784)", "dW1 = X @ dZ1",
     "matmul_shapes", "dW1 = Xᵀ·dZ1: (784, m)(m, h)"),
    ("index 9 is out of bounds for axis 1 with size 9", "Y[np.arange(m), labels] = 1",
     "index_out_of_range", "size 9"),
    ("'W1'", "W1 = params['W1']", "wrong_key", "params: W1, b1, W2, b2"),
    ("name 'forwrd' is not defined", "_, cache = forwrd(X, params)", "undefined_name", ""),
])
def test_common_exceptions_are_translated(message, traceback_code, diagnosis, phrase):
    exc_type = {"'W1'": "KeyError"}.get(message) or (
        "NameError" if message.startswith("name") else
        "IndexError" if message.startswith("index") else "ValueError")
    traceback = (f'Traceback (most recent call last):\n  File "<cell 5>", line 3, in backprop\n'
                 f"    {traceback_code}\n{exc_type}: {message}\n")
    hint = explain_exception(exc_type, message, traceback, exercise="backprop", notation=ROWS)
    assert hint is not None and hint.diagnosis == diagnosis
    assert phrase in hint.text and "code cell 5, line 3" in hint.text


def test_the_traceback_is_read_frame_by_frame():
    frames = frames_of('Traceback (most recent call last):\n'
                       '  File "<cell 7>", line 4, in backprop\n    one_hot_Y = one_hot(Y)\n'
                       '  File "<cell 6>", line 2, in one_hot\n'
                       '    one_hot_Y = np.zeros((Y.size, Y.max() + 1))\n'
                       "TypeError: 'numpy.float64' object cannot be interpreted as an integer\n")
    assert [(f.cell, f.line, f.function) for f in frames] == [(7, 4, "backprop"), (6, 2, "one_hot")]
    hint = explain_exception("TypeError", "'numpy.float64' object cannot be interpreted as an "
                             "integer", "".join(f"  File \"<cell {f.cell}>\", line {f.line}, in "
                                                f"{f.function}\n    {f.code}\n" for f in frames),
                             exercise="backprop", notation=COLUMNS)
    assert hint.diagnosis == "uses_Y_as_labels" and "Y.argmax(axis=0)" in hint.text


def test_an_exception_nothing_is_known_about_keeps_pythons_words_only():
    error = StudentRaised("ZeroDivisionError", "division by zero", "")
    status, message, feedback = classify(error, None, "softmax")
    assert (status, message) == ("error", "ZeroDivisionError: division by zero")
    assert feedback["hint"] == "" and feedback["diagnosis"] == ""


def test_a_bare_diagnosis_is_completed_with_the_exercise_of_its_check():
    from grader.checks.feedback import Feedback
    _, _, feedback = classify(Feedback("x", hint="transposed", diagnosis="transposed"), None,
                              "forward")
    assert feedback["diagnosis"] == "forward.transposed" and "forward.transposed" in DIAGNOSES


def test_every_diagnosis_the_detectors_can_give_is_catalogued():
    """Hint(text, id) refuses an unknown id, but only when it is built: check every literal id
    in the detectors' source now, so that a detector that rarely fires cannot hide a typo."""
    import ast
    from pathlib import Path

    from grader.checks.diagnose import ANY_EXERCISE, SPECIFIC

    ids = []
    for path in (Path(__file__).resolve().parents[1] / "grader" / "checks" / "diagnose").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Hint" \
                    and len(node.args) == 2 and isinstance(node.args[1], ast.Constant):
                ids.append(node.args[1].value)
    assert len(ids) > 60
    assert [i for i in ids if i not in SPECIFIC and i not in ANY_EXERCISE] == []
    assert all("." not in i for i in ANY_EXERCISE) and all(i.count(".") == 1 for i in SPECIFIC)
