"""The nbgrader course folder: sources, releases and example submissions.

- the committed releases and examples are exactly what `nnkit release` makes;
- a release shows no line of the solutions (its source's or the reference's);
- every notebook is valid and names its assignment;
- the source notebooks run top to bottom with every self-check passing (needs MNIST);
- an untouched release, alone in a folder, imports its own studentkit and every self-check
  reports the stub's message (needs MNIST for its data cells).
"""

from __future__ import annotations

import ast
import filecmp
import json
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from grader.instructor import release
from grader.assignments import ASSIGNMENTS, METADATA_KEY
from studentkit.selfcheck import run_checks

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "assignments"
GRADED = ("relu", "relu_derivative", "softmax", "cross_entropy", "init_params", "forward",
          "backprop", "update")
STUB_MESSAGE = "Replace this line with your code for this function."
CELL_TIMEOUT = 120  # seconds; the slowest cell, training, takes well under 20 s
#: Lines shorter than this, like `A1 = relu(Z1)`, restate an equation the notebook teaches.
MIN_SOLUTION_LINE = 18
IGNORED = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")


def files_under(folder: Path) -> set[Path]:
    return {path.relative_to(folder) for path in folder.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts}


def all_notebooks() -> list[Path]:
    return sorted(p for part in ("source", "release", "examples") for p in (COURSE / part).rglob("*.ipynb"))


# ---- regenerating ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    """A copy of the course folder with only its sources, after running the release command."""
    course = tmp_path_factory.mktemp("course")
    for name in ("source", "studentkit"):
        shutil.copytree(COURSE / name, course / name, ignore=IGNORED)
    shutil.copy(COURSE / "nbgrader_config.py", course)
    assert release.main(["--course-dir", str(course)]) == 0
    return course


@pytest.mark.parametrize("folder", ["release", "examples"])
def test_committed_files_are_what_the_release_command_makes(regenerated, folder):
    made, committed = files_under(regenerated / folder), files_under(COURSE / folder)
    assert made == committed, "run `nnkit release` and commit assignments/"
    differing = [str(path) for path in sorted(made)
                 if not filecmp.cmp(regenerated / folder / path, COURSE / folder / path, shallow=False)]
    assert not differing, f"stale: {differing}; run `nnkit release` and commit assignments/"


def test_a_release_is_its_notebook_and_studentkit_and_no_gradebook_is_left(regenerated):
    assert not list(regenerated.rglob("gradebook.db"))
    kit = {Path("studentkit") / path.name for path in (COURSE / "studentkit").glob("*.py")}
    for assignment in ASSIGNMENTS.values():
        assert files_under(regenerated / "release" / assignment.id) == {Path(assignment.notebook), *kit}


# ---- what a release shows ----------------------------------------------------------------------

def solution_lines(notebook: nbformat.NotebookNode) -> set[str]:
    """The non-trivial lines inside the `### BEGIN SOLUTION` … `### END SOLUTION` blocks."""
    lines, inside = set(), False
    for cell in notebook.cells:
        for line in cell.source.split("\n"):
            if "BEGIN SOLUTION" in line or "END SOLUTION" in line:
                inside = "BEGIN SOLUTION" in line
            elif inside:
                lines.add(line.strip())
    return {line for line in lines if len(line) >= MIN_SOLUTION_LINE and not line.startswith("#")}


def reference_lines() -> set[str]:
    """The non-trivial code lines of the reference's function bodies (docstrings left out)."""
    path = ROOT / "reference" / "network.py"
    text, lines = path.read_text(encoding="utf-8"), set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef):
            body = node.body[1:] if ast.get_docstring(node) else node.body
            for statement in body:
                lines.update(line.strip() for line in ast.get_source_segment(text, statement).split("\n"))
    return {line for line in lines if len(line) >= MIN_SOLUTION_LINE and not line.startswith("#")}


def release_text(assignment_id: str) -> str:
    """Everything a student receives: the release notebook's cells and the studentkit files."""
    folder = COURSE / "release" / assignment_id
    notebook = nbformat.read(folder / ASSIGNMENTS[assignment_id].notebook, as_version=4)
    parts = [cell.source for cell in notebook.cells]
    parts += [path.read_text(encoding="utf-8") for path in sorted((folder / "studentkit").glob("*.py"))]
    return "\n".join(parts)


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_release_shows_no_solution_line(assignment_id):
    assignment = ASSIGNMENTS[assignment_id]
    source = nbformat.read(COURSE / "source" / assignment_id / assignment.notebook, as_version=4)
    secret = solution_lines(source) | reference_lines()
    assert len(solution_lines(source)) >= 20  # the test would be empty if the markup changed
    text = release_text(assignment_id)
    leaked = sorted(line for line in secret if line in text)
    assert not leaked, f"solution lines in the release of {assignment_id}: {leaked}"


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_release_keeps_signature_docstring_and_hint_around_a_stub(assignment_id):
    folder = COURSE / "release" / assignment_id
    notebook = nbformat.read(folder / ASSIGNMENTS[assignment_id].notebook, as_version=4)
    solutions = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in notebook.cells
                 if cell.metadata.get("nbgrader", {}).get("solution")}
    assert sorted(solutions) == sorted(GRADED)
    for name, source in solutions.items():
        assert source.startswith(f"def {name}(") and '"""' in source, name
        assert "# Hint:" in source and "SOLUTION" not in source, name
        assert source.rstrip().endswith(f'raise NotImplementedError("{STUB_MESSAGE}")'), name


# ---- example submissions -----------------------------------------------------------------------

def examples_of(assignment_id: str) -> dict[str, dict]:
    path = COURSE / "examples" / assignment_id / "expected.json"
    return json.loads(path.read_text(encoding="utf-8"))["examples"]


@pytest.mark.parametrize("assignment_id, example", [
    (assignment_id, example) for assignment_id in ASSIGNMENTS for example in examples_of(assignment_id)])
def test_example_fails_exactly_the_self_checks_of_its_mistake(assignment_id, example):
    """Our own example code (trusted) run in-process: its mistake shows up where expected.json says.

    A function that only waits for a failing helper (`blocked_by`) is not its own failure.
    """
    path = COURSE / "examples" / assignment_id / example / ASSIGNMENTS[assignment_id].notebook
    namespace = {"np": np}  # what the setup cell would import for the solution cells
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            exec(compile(cell.source, f"{example}:{cell.id}", "exec"), namespace)
    notation = ASSIGNMENTS[assignment_id].notation
    failing = set()
    for name in GRADED:
        report = run_checks(name, namespace[name], notation)
        if not report.passed and not report.blocked_by:
            failing.add(name)
    assert failing == set(examples_of(assignment_id)[example]["loses_points_in"])


# ---- every notebook ----------------------------------------------------------------------------

@pytest.mark.parametrize("path", all_notebooks(), ids=lambda p: str(p.relative_to(COURSE)))
def test_notebook_is_valid_and_names_its_assignment(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assignment = ASSIGNMENTS[notebook.metadata[METADATA_KEY]["assignment"]]
    assert path.name == assignment.notebook
    assert notebook.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_source_marks_solutions_and_locks_checks(assignment_id):
    path = COURSE / "source" / assignment_id / ASSIGNMENTS[assignment_id].notebook
    cells = {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nbformat.read(path, 4).cells
             if "nbgrader" in cell.metadata}
    for name in GRADED:
        assert cells[name].metadata.nbgrader == {"solution": True, "grade": False, "grade_id": name,
                                                 "locked": False, "schema_version": 3}
        assert "### BEGIN SOLUTION" in cells[name].source
        check_cell = cells[f"check_{name}"]
        assert check_cell.source == f'check("{name}", {name})'
        assert check_cell.metadata.nbgrader["locked"] and not check_cell.metadata.nbgrader["solution"]


# ---- running the notebooks ---------------------------------------------------------------------

def execute(notebook: nbformat.NotebookNode, cwd: Path, allow_errors: bool) -> nbformat.NotebookNode:
    NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=allow_errors,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return notebook


def output_text(cell) -> str:
    """What a cell showed: printed text, displayed plain text, and errors."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("display_data", "execute_result"):
            parts.append(output.data.get("text/plain", ""))
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
    return "\n".join(parts)


def check_cells(notebook) -> dict[str, nbformat.NotebookNode]:
    return {cell.metadata.nbgrader.grade_id.removeprefix("check_"): cell for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("grade_id", "").startswith("check_")}


@pytest.mark.mnist
@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_source_notebook_runs_and_passes_its_checks(assignment_id, mnist_dir, monkeypatch):
    monkeypatch.setenv("MNIST_DIR", str(mnist_dir))
    folder = COURSE / "source" / assignment_id
    notebook = execute(nbformat.read(folder / ASSIGNMENTS[assignment_id].notebook, 4), folder,
                       allow_errors=False)
    checks = check_cells(notebook)
    assert sorted(checks) == sorted(GRADED)
    for name, cell in checks.items():
        assert f"✓ {name}: all" in output_text(cell), output_text(cell)
    training = next(cell for cell in notebook.cells if cell.get("id") == "train")
    assert "test accuracy" in output_text(training)


@pytest.mark.mnist
@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_untouched_release_alone_reports_the_stubs(assignment_id, mnist_dir, monkeypatch, tmp_path):
    """Only what a student gets, in a folder of its own: the stubs' message in every check."""
    monkeypatch.setenv("MNIST_DIR", str(mnist_dir))
    student_folder = tmp_path / assignment_id
    shutil.copytree(COURSE / "release" / assignment_id, student_folder, ignore=IGNORED)
    notebook = nbformat.read(student_folder / ASSIGNMENTS[assignment_id].notebook, 4)
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import sys, studentkit\n"
        "print(studentkit.__file__)\n"
        "print('private:', sorted(m for m in sys.modules if m.split('.')[0] in ('reference', 'grader')))",
        id="where-is-studentkit"))
    execute(notebook, student_folder, allow_errors=True)

    where = output_text(notebook.cells[-1])
    assert str(student_folder.resolve() / "studentkit") in where, where
    assert "private: []" in where
    for name, cell in check_cells(notebook).items():
        text = output_text(cell)
        assert "not written yet" in text and STUB_MESSAGE in text, (name, text)
        assert not any(output.output_type == "error" for output in cell.outputs), name
    training = next(cell for cell in notebook.cells if cell.get("id") == "train")
    assert f"NotImplementedError: {STUB_MESSAGE}" in output_text(training)
