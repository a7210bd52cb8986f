"""The nbgrader course equivalent to `grade`'s hidden suites, and the submissions it grades.

    make_course(course, env)                    → the release folder, with gradebook.db beside
    write_submissions(course, release, handed_in) → submitted/<student>/mnist_mlp/

cells/common.py and cells/<exercise>.py are the hidden parts of the autograder-tests cells, one per
exercise of grader/checks/rubric.toml; benchmarks/grade_vs_nbgrader.py says how they mirror the suites.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent.parent
COURSE_SOURCE = ROOT / "assignments"
EXAMPLES = COURSE_SOURCE / "examples" / "mnist_mlp"
CELLS = Path(__file__).resolve().parent / "cells"
RUBRIC = ROOT / "grader" / "checks" / "rubric.toml"
ASSIGNMENT = "mnist_mlp"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
COURSE_ID = "nnkit"   # set by assignments/nbgrader_config.py, which the course copies
#: Appended to the course's own nbgrader_config.py: that course grades with nbgrader's cells.
CONFIG_OVERRIDES = """
# grade_vs_nbgrader.py: this copy of the course grades with nbgrader's autograder cells.
c.GenerateAssignment.no_database = False
c.SaveCells.enabled = True
"""


class BenchmarkError(Exception):
    """The benchmark cannot run or its result is not valid; the message says what to do."""


def run(argv: list[str], cwd: Path, env: dict, log: Path) -> float:
    """Run a command to completion, its output to `log`; returns its wall-clock seconds."""
    started = time.perf_counter()
    with open(log, "w", encoding="utf-8") as output:
        completed = subprocess.run(argv, cwd=cwd, env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-25:])
        raise BenchmarkError(f"`{' '.join(argv[1:4])} …` exited with {completed.returncode}; "
                             f"the end of its output ({log}):\n{tail}")
    return seconds


def exercise_points() -> dict[str, float]:
    """Exercise → its points in grader/checks/rubric.toml, in the rubric's order."""
    rubric = tomllib.loads(RUBRIC.read_text(encoding="utf-8"))
    return {exercise: float(sum(checks.values())) for exercise, checks in rubric.items()}


def hidden_test_cell(exercise: str, points: float) -> nbformat.NotebookNode:
    """An autograder-tests cell holding cells/common.py and cells/<exercise>.py as hidden tests."""
    hidden = ((CELLS / "common.py").read_text(encoding="utf-8").rstrip() + "\n\n\n"
              + (CELLS / f"{exercise}.py").read_text(encoding="utf-8").rstrip())
    source = (f"# Hidden tests of {exercise} ({points:g} points) run when your notebook is "
              f"graded.\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS")
    cell = nbformat.v4.new_code_cell(source)
    cell.id = f"test-{exercise}".replace("_", "-")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                 "points": points, "grade_id": f"test_{exercise}",
                                 "schema_version": 3}
    return cell


def with_hidden_tests(source: nbformat.NotebookNode,
                      points: dict[str, float]) -> nbformat.NotebookNode:
    """The source notebook with a test cell after each exercise's solution cell; exercises with
    no solution cell of their own (mnist_accuracy) after the last solution cell."""
    notebook = copy.deepcopy(source)
    solution_at = {cell.metadata.get("nbgrader", {}).get("grade_id"): index
                   for index, cell in enumerate(notebook.cells)
                   if cell.metadata.get("nbgrader", {}).get("solution")}
    last = max(solution_at.values())
    placed = sorted(points, key=lambda exercise: solution_at.get(exercise, last))
    for exercise in reversed(placed):   # from the bottom up, so earlier indices stay valid
        at = solution_at.get(exercise, last) + 1
        notebook.cells.insert(at, hidden_test_cell(exercise, points[exercise]))
    return notebook


def make_course(course: Path, env: dict) -> Path:
    """Write the nbgrader course and run `nbgrader generate_assignment`; returns the release."""
    source_dir = course / "source" / ASSIGNMENT
    source_dir.mkdir(parents=True)
    config = (COURSE_SOURCE / "nbgrader_config.py").read_text(encoding="utf-8")
    (course / "nbgrader_config.py").write_text(config + CONFIG_OVERRIDES, encoding="utf-8")
    source = nbformat.read(COURSE_SOURCE / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    notebook = with_hidden_tests(source, exercise_points())
    nbformat.validate(notebook)
    nbformat.write(notebook, source_dir / NOTEBOOK)
    # Beside the notebook, as in every release: autograde copies it into each graded folder.
    shutil.copytree(COURSE_SOURCE / "studentkit", source_dir / "studentkit",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force"],
        course, env, course / "generate_assignment.log")
    release = course / "release" / ASSIGNMENT
    released = (release / NOTEBOOK).read_text(encoding="utf-8")
    if "BEGIN HIDDEN TESTS" in released or "_expect_close" in released:
        raise BenchmarkError(f"the hidden tests were not stripped from {release / NOTEBOOK}")
    if not (course / "gradebook.db").is_file():
        raise BenchmarkError("nbgrader generate_assignment made no gradebook.db")
    return release


def example_names() -> list[str]:
    """The example submissions, `correct` first."""
    names = sorted(path.parent.name for path in EXAMPLES.glob(f"*/{NOTEBOOK}"))
    if "correct" not in names:
        raise BenchmarkError(f"no example submission {EXAMPLES / 'correct' / NOTEBOOK}")
    return ["correct"] + [name for name in names if name != "correct"]


def students(count: int) -> dict[str, str]:
    """Student id → the example it hands in: the examples in turn, then _2, _3 when cycling."""
    names = example_names()
    handed_in = {}
    for i in range(count):
        rounds, example = divmod(i, len(names))
        handed_in[names[example] + (f"_{rounds + 1}" if rounds else "")] = names[example]
    return handed_in


def filled_in(release: nbformat.NotebookNode, example: Path) -> nbformat.NotebookNode:
    """The release notebook with the example's solution cells (matched by grade_id)."""
    theirs = {cell.metadata["nbgrader"]["grade_id"]: cell.source
              for cell in nbformat.read(example, as_version=4).cells
              if cell.metadata.get("nbgrader", {}).get("solution")}
    notebook = copy.deepcopy(release)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            if grade_id not in theirs:
                raise BenchmarkError(f"{example} has no solution cell {grade_id!r}")
            cell.source = theirs[grade_id]
    return notebook


def write_submissions(course: Path, release: Path, handed_in: dict[str, str]) -> None:
    """submitted/<student>/mnist_mlp/: the release folder, its notebook filled in."""
    release_notebook = nbformat.read(release / NOTEBOOK, as_version=4)
    submitted = course / "submitted"
    for student, example in handed_in.items():
        folder = submitted / student / ASSIGNMENT
        shutil.copytree(release, folder)
        nbformat.write(filled_in(release_notebook, EXAMPLES / example / NOTEBOOK),
                       folder / NOTEBOOK)
