"""Broken submissions, graded by the real `grade` command in one batch: each gets a report with a
clear reason and zero for what is missing, the batch exits 0 (every submission was graded), and
notebooks that are only old or large are graded like any other.

The inputs are made at test time from the full-marks example (the 100 MB one too: never
committed).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
import pytest

from hostile.corpus import CORRECT_NOTEBOOK, NOTEBOOK_NAME
from hostile.harness import run_grade

CORRECT = json.loads(CORRECT_NOTEBOOK.read_text(encoding="utf-8"))
REPORT_FILES = ("report.json", "report.md", "report.html")

#: submission → the start of the reason its report gives; it scores nothing.
UNREADABLE = {
    "not_json": "mnist_mlp.ipynb is not valid notebook JSON (line 1: Expecting value)",
    "empty": "mnist_mlp.ipynb is not valid notebook JSON (it is empty)",
    "json_list": "mnist_mlp.ipynb is JSON but not a Jupyter notebook (no 'nbformat' field)",
    "json_without_nbformat": "mnist_mlp.ipynb is JSON but not a Jupyter notebook",
    "binary_garbage": "mnist_mlp.ipynb is not a text file (it is not UTF-8)",
    "latin1_text": "mnist_mlp.ipynb is not a text file (it is not UTF-8)",
    "cells_not_a_list": "mnist_mlp.ipynb could not be read as a notebook (ValidationError)",
    "nbformat_99": "mnist_mlp.ipynb could not be read as a notebook",
    "unknown_assignment": "mnist_mlp.ipynb says it belongs to assignment 'quantum', which this "
                          "kit does not know",
}
#: Submissions graded in full: they are only old, large or unusually encoded.
FULL_MARKS = ("nbformat_3", "outputs_100_mb", "byte_order_mark")
#: Submissions missing one exercise: it scores nothing and says why; the rest keeps its points.
MISSING = {"softmax_cell_deleted": "softmax", "softmax_renamed": "softmax"}
MISSING_REASON = "{} is not defined (did you delete or rename its cell?)"


def changed_notebook(change) -> str:
    """The correct notebook, as JSON text, after `change(notebook)` edited a copy of it."""
    notebook = copy.deepcopy(CORRECT)
    change(notebook)
    return json.dumps(notebook)


def exercise_cell(notebook: dict, exercise: str) -> dict:
    return next(cell for cell in notebook["cells"]
                if cell["metadata"].get("nbgrader", {}).get("grade_id") == exercise)


def with_outputs(notebook: dict, megabytes: int) -> None:
    """Give every code cell a stream output, `megabytes` MB in all."""
    code_cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    line = "0123456789" * 100 + "\n"
    lines_per_cell = megabytes * 1000 // len(code_cells) + 1
    for cell in code_cells:
        cell["outputs"] = [{"output_type": "stream", "name": "stdout",
                            "text": [line] * lines_per_cell}]


def nbformat_3_text() -> str:
    notebook = nbformat.convert(nbformat.reads(json.dumps(CORRECT), as_version=4), 3)
    return nbformat.writes(notebook, version=3)


def broken_inputs() -> dict[str, bytes]:
    """submission name → the bytes of its mnist_mlp.ipynb."""
    def text(value: str) -> bytes:
        return value.encode("utf-8")

    def rename(notebook):
        cell = exercise_cell(notebook, "softmax")
        cell["source"] = "".join(cell["source"]).replace("def softmax(", "def soft_max(")

    def set_field(key, value):
        return lambda notebook: notebook.__setitem__(key, value)

    correct = json.dumps(CORRECT, ensure_ascii=False)
    return {
        "not_json": text("this is not JSON {"),
        "empty": b"",
        "json_list": text("[1, 2, 3]"),
        "json_without_nbformat": text('{"cells": [], "metadata": {}}'),
        "binary_garbage": bytes(range(256)) * 40,
        "latin1_text": correct.encode("latin-1", errors="replace"),   # "·" becomes one byte
        "cells_not_a_list": text(changed_notebook(set_field("cells", "not a list"))),
        "nbformat_99": text(changed_notebook(set_field("nbformat", 99))),
        "unknown_assignment": text(changed_notebook(
            lambda notebook: notebook["metadata"]["nnkit"].__setitem__("assignment", "quantum"))),
        "nbformat_3": text(nbformat_3_text()),
        "outputs_100_mb": text(changed_notebook(lambda notebook: with_outputs(notebook, 100))),
        "byte_order_mark": b"\xef\xbb\xbf" + text(correct),
        "softmax_cell_deleted": text(changed_notebook(
            lambda notebook: notebook["cells"].remove(exercise_cell(notebook, "softmax")))),
        "softmax_renamed": text(changed_notebook(rename)),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory, mnist_dir):
    """Every broken input graded in one batch, two at a time: (the run, the reports' folder)."""
    root = tmp_path_factory.mktemp("broken")
    folders = []
    for name, content in broken_inputs().items():
        folder = root / "submissions" / name
        folder.mkdir(parents=True)
        (folder / NOTEBOOK_NAME).write_bytes(content)
        folders.append(folder)
    assert (root / "submissions" / "outputs_100_mb" / NOTEBOOK_NAME).stat().st_size > 100e6
    out = root / "out"
    return run_grade(folders, out, jobs=2, workdir=root / "work"), out


def report(out: Path, name: str) -> dict:
    return json.loads((out / name / "report.json").read_text())


def test_the_batch_exits_0_and_every_input_gets_its_reports(graded):
    run, out = graded
    assert run.returncode == 0, run.stderr[-3000:]
    for name in broken_inputs():
        for report_file in REPORT_FILES:
            assert (out / name / report_file).is_file(), f"{name}/{report_file}"
    assert "Traceback" not in run.stderr, run.stderr[-3000:]


@pytest.mark.parametrize("name", UNREADABLE)
def test_an_unreadable_input_scores_nothing_and_says_why(graded, name):
    data = report(graded[1], name)
    assert data["score"] == 0 and data["max_score"] == 100
    assert data["problems"][-1].startswith(UNREADABLE[name]), data["problems"]
    assert {test["message"] for test in data["tests"]} == {data["problems"][-1]}


@pytest.mark.mnist
@pytest.mark.parametrize("name", FULL_MARKS)
def test_an_old_large_or_bom_marked_notebook_is_graded_like_any_other(graded, name):
    data = report(graded[1], name)
    lost = [(test["name"], test["message"]) for test in data["tests"] if test["status"] != "passed"]
    assert lost == [] and data["score"] == 100 and data["problems"] == []


def test_a_large_notebook_gives_a_small_report(graded):
    folder = graded[1] / "outputs_100_mb"
    assert all((folder / name).stat().st_size < 200_000 for name in REPORT_FILES)


@pytest.mark.mnist
@pytest.mark.parametrize("name", MISSING)
def test_a_missing_exercise_scores_nothing_and_the_rest_keeps_its_points(graded, name):
    data, exercise = report(graded[1], name), MISSING[name]
    for test in data["tests"]:
        if test["exercise"] == exercise:
            assert test["score"] == 0 and test["message"] == MISSING_REASON.format(exercise)
        else:
            assert test["score"] == test["max_score"], (test["name"], test["message"])


def test_json_nested_too_deep_for_the_parser_gets_a_report_too(tmp_path):
    """Python's json module parses nesting recursively: 100 000 brackets exhaust its stack."""
    folder = tmp_path / "submissions" / "deep_json"
    folder.mkdir(parents=True)
    (folder / NOTEBOOK_NAME).write_text("[" * 100_000 + "]" * 100_000)
    run = run_grade([folder], tmp_path / "out", jobs=1, workdir=tmp_path / "work")
    assert run.returncode == 0, run.stderr[-2000:]
    data = report(tmp_path / "out", "deep_json")
    assert data["score"] == 0
    assert "its JSON is nested thousands of levels deep" in data["problems"][-1]

