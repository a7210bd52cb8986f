"""The read step: which file is graded, as which assignment, under which name."""

from __future__ import annotations

import json

import pytest

from grader.intake.submission import UsageError, find_submissions


def write_notebook(path, assignment: str | None = None):
    """A minimal v4 notebook, naming `assignment` in its metadata when given."""
    metadata = {"nnkit": {"assignment": assignment}} if assignment else {}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": metadata,
                                "cells": []}))
    return path


def only(submissions):
    assert len(submissions) == 1
    return submissions[0]


def test_a_folder_with_one_notebook_is_graded_under_the_folder_name(tmp_path):
    notebook = write_notebook(tmp_path / "alice" / "homework.ipynb", "mnist_mlp_columns")
    submission = only(find_submissions([tmp_path / "alice"]))
    assert (submission.name, submission.notebook_path, submission.kind) == ("alice", notebook, "ipynb")
    assert submission.assignment.id == "mnist_mlp_columns" and submission.problem is None


def test_metadata_wins_over_the_file_name(tmp_path):
    write_notebook(tmp_path / "mnist_mlp.ipynb", "mnist_mlp_columns")
    assert only(find_submissions([tmp_path / "mnist_mlp.ipynb"])).assignment.id == "mnist_mlp_columns"


def test_the_file_name_names_the_assignment_without_metadata(tmp_path):
    write_notebook(tmp_path / "bob" / "MNIST_MLP_columns.ipynb")
    assert only(find_submissions([tmp_path / "bob"])).assignment.id == "mnist_mlp_columns"


def test_nbgrader_layout_finds_the_notebook_below_the_folder(tmp_path):
    write_notebook(tmp_path / "carol" / "mnist_mlp" / "my_work.ipynb")
    write_notebook(tmp_path / "carol" / ".ipynb_checkpoints" / "my_work-checkpoint.ipynb")
    submission = only(find_submissions([tmp_path / "carol"]))
    assert submission.name == "carol" and submission.assignment.id == "mnist_mlp"


def test_several_notebooks_prefer_the_assignment_notebook(tmp_path):
    write_notebook(tmp_path / "dan" / "scratch.ipynb")
    chosen = write_notebook(tmp_path / "dan" / "mnist_mlp.ipynb")
    assert only(find_submissions([tmp_path / "dan"])).notebook_path == chosen


def test_several_notebooks_and_no_known_name_is_a_problem_for_that_submission(tmp_path):
    write_notebook(tmp_path / "erin" / "a.ipynb")
    write_notebook(tmp_path / "erin" / "b.ipynb")
    submission = only(find_submissions([tmp_path / "erin"]))
    assert submission.notebook_path is None
    assert "2 notebooks in erin/ (a.ipynb, b.ipynb)" in submission.problem
    assert "keep only the assignment's notebook" in submission.problem


def test_a_folder_without_notebook_is_a_problem_not_an_error(tmp_path):
    (tmp_path / "frank").mkdir()
    submission = only(find_submissions([tmp_path / "frank"]))
    assert submission.problem.startswith("no notebook (.ipynb) in frank/")


def test_unknown_assignment_says_to_use_the_option(tmp_path):
    write_notebook(tmp_path / "gina" / "work.ipynb")
    write_notebook(tmp_path / "hal" / "work.ipynb", "cifar_cnn")
    gina, hal = find_submissions([tmp_path / "gina", tmp_path / "hal"])
    assert gina.assignment is None and "--assignment ID" in gina.problem
    assert "'cifar_cnn', which this kit does not know" in hal.problem


def test_the_option_overrides_metadata_and_names(tmp_path):
    write_notebook(tmp_path / "ivy" / "work.ipynb", "cifar_cnn")
    submission = only(find_submissions([tmp_path / "ivy"], assignment_id="mnist_mlp"))
    assert submission.assignment.id == "mnist_mlp" and submission.problem is None


def test_a_notebook_graded_as_another_assignment_is_graded_as_asked_with_a_warning(tmp_path):
    write_notebook(tmp_path / "jo" / "mnist_mlp_columns.ipynb", "mnist_mlp_columns")
    write_notebook(tmp_path / "kim" / "work.ipynb", "cifar_cnn")
    jo, kim = find_submissions([tmp_path / "jo", tmp_path / "kim"], assignment_id="mnist_mlp")
    assert (jo.assignment.id, jo.problem) == ("mnist_mlp", None)
    assert jo.warnings == (
        "mnist_mlp_columns.ipynb says it is for assignment 'mnist_mlp_columns' (its metadata) but "
        "it was graded as 'mnist_mlp', as the instructor asked (--assignment mnist_mlp); checks "
        "written for mnist_mlp may fail only because of that",)
    assert kim.problem is None and "'cifar_cnn' (its metadata)" in kim.warnings[0]


def test_no_warning_when_the_notebook_agrees_or_says_nothing(tmp_path):
    write_notebook(tmp_path / "a" / "work.ipynb", "mnist_mlp")
    write_notebook(tmp_path / "b" / "mnist_mlp_columns.ipynb")        # a file name is no claim
    (tmp_path / "c.py").write_text("def relu(Z):\n    return Z\n")
    write_notebook(tmp_path / "d" / "work.ipynb", "mnist_mlp_columns")
    forced = find_submissions([tmp_path / "a", tmp_path / "b", tmp_path / "c.py"],
                              assignment_id="mnist_mlp")
    assert [submission.warnings for submission in forced] == [(), (), ()]
    assert only(find_submissions([tmp_path / "d"])).warnings == ()      # recognised, not forced


def test_py_files_are_recognised_by_their_stem(tmp_path):
    path = tmp_path / "mnist_mlp_columns.py"
    path.write_text("def relu(Z):\n    return Z\n")
    submission = only(find_submissions([path]))
    assert (submission.name, submission.kind, submission.assignment.id) == (
        "mnist_mlp_columns", "py", "mnist_mlp_columns")


def test_a_file_of_another_kind_is_a_problem(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    assert "neither a notebook (.ipynb) nor a Python file" in only(find_submissions([path])).problem


def test_names_are_unique_and_safe_as_folder_names(tmp_path):
    first = write_notebook(tmp_path / "rows" / "jo <b>" / "mnist_mlp.ipynb")
    second = write_notebook(tmp_path / "columns" / "jo <b>" / "mnist_mlp.ipynb")
    third = write_notebook(tmp_path / "columns" / "jo <b>" / "mnist_mlp.ipynb")
    alone = write_notebook(tmp_path / "x" / "../..hidden" / "mnist_mlp.ipynb")
    names = [s.name for s in find_submissions([first.parent, second.parent, third.parent,
                                               alone.parent])]
    assert names == ["rows-jo_b", "columns-jo_b", "columns-jo_b-2", "hidden"]


def test_a_missing_path_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no such file or folder: .*nowhere"):
        find_submissions([tmp_path / "nowhere"])


def test_an_unknown_assignment_option_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="unknown assignment 'nope'; known assignments: mnist_mlp"):
        find_submissions([tmp_path], assignment_id="nope")
