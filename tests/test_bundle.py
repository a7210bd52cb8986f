"""The Gradescope bundle, as Gradescope would use it: unzipped into <root>/source, run_autograder
run against <root>/submission with the BUNDLED kit (PYTHONPATH points at the unzipped source, in an
empty working folder), so a file missing from the zip makes grading fail here.

setup.sh is not executed (it needs apt, root and the network): it is only parsed with `bash -n`.
Dependencies (numpy, pytest, nbformat...) come from the current environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gradescope_schema import check_format, check_results_json, parse
from grader.instructor import bundle
from grader.checks.rubric import load as load_rubric

RUBRIC = load_rubric()
REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "assignments" / "examples" / "mnist_mlp"
BROKEN = Path(__file__).with_name("submissions") / "broken" / "mnist_mlp.ipynb"


@pytest.fixture(scope="module")
def zip_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    assert bundle.main(["--assignment", "mnist_mlp", "--out", str(path)]) == 0
    return path


@pytest.fixture
def root(tmp_path, zip_path) -> Path:
    """<tmp>/autograder as Gradescope lays it out: source/ (the unzipped bundle), an empty
    submission/ and results/."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    return root


def run_autograder(root: Path, **env: str) -> subprocess.CompletedProcess:
    kit = root / "source" / "kit"
    environment = {**os.environ, "NNKIT_AUTOGRADER_ROOT": str(root), "NNKIT_PYTHON": sys.executable,
                   "PYTHONPATH": f"{kit}{os.pathsep}{kit / 'assignments'}", **env}
    # Run from the repository on purpose: its grader/ must not be what gets imported.
    return subprocess.run(["bash", str(root / "source" / "run_autograder")], cwd=REPO,
                          env=environment, capture_output=True, text=True, timeout=600)


def results(root: Path) -> dict:
    return parse((root / "results" / "results.json").read_text())


def graded_with_the_bundle(run: subprocess.CompletedProcess, root: Path) -> bool:
    bundled = root / "source" / "kit" / "grader" / "__init__.py"
    return f"run_autograder: nnkit from {bundled}," in run.stdout


# --- the zip ----------------------------------------------------------------------------------------

def test_the_zip_holds_the_two_scripts_at_its_root_executable(zip_path):
    with zipfile.ZipFile(zip_path) as archive:
        modes = {info.filename: (info.external_attr >> 16) & 0o777 for info in archive.infolist()}
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert {mode for name, mode in modes.items() if name.startswith("kit/")} == {0o644}


def test_the_zip_holds_what_pip_install_needs_and_nothing_else(zip_path):
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
    for needed in ["kit/pyproject.toml", "kit/README.md", "kit/grader/checks/rubric.toml",
                   "kit/grader/checks/suites/test_softmax.py", "kit/grader/sandbox/worker.py",
                   "kit/reference/network.py", "kit/assignments/studentkit/mnist.py"]:
        assert needed in names
    kit = {name for name in names if name.startswith("kit/")}
    assert names - kit == {"setup.sh", "run_autograder"}
    allowed = ("kit/grader/", "kit/reference/", "kit/assignments/studentkit/")
    assert all(name in {"kit/pyproject.toml", "kit/README.md"} or name.startswith(allowed)
               for name in kit)
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)


def test_the_same_tree_gives_the_same_zip_and_junk_stays_out(tmp_path, zip_path):
    """A copy of the kit (new mtimes) plus the litter of a working tree builds the same bytes."""
    copy = tmp_path / "kit"
    for name, path in bundle.kit_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, copy / name)
    for junk in ["grader/__pycache__/rubric.cpython-311.pyc", "grader/.scratch.py",
                 "datasets/mnist/train-images-idx3-ubyte.gz", "feedback/alice/report.json",
                 "tests/test_x.py", ".git/config", "grader/checks/suites/notes.txt"]:
        (copy / junk).parent.mkdir(parents=True, exist_ok=True)
        (copy / junk).write_text("junk")
    out = tmp_path / "again.zip"
    bundle.write_bundle("mnist_mlp", out, kit_root=copy)
    assert out.read_bytes() == zip_path.read_bytes()


def test_the_assignment_is_baked_into_run_autograder(tmp_path, zip_path):
    out = tmp_path / "columns.zip"
    assert bundle.main(["--assignment", "mnist_mlp_columns", "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as columns, zipfile.ZipFile(zip_path) as rows:
        assert 'ASSIGNMENT="mnist_mlp_columns"' in columns.read("run_autograder").decode()
        assert 'ASSIGNMENT="mnist_mlp"' in rows.read("run_autograder").decode()
        assert columns.read("kit/grader/checks/rubric.toml") == rows.read("kit/grader/checks/rubric.toml")


def test_both_scripts_are_valid_bash(root):
    """setup.sh is not run here (apt, root and network): `bash -n` only parses it."""
    for script in ["setup.sh", "run_autograder"]:
        check = subprocess.run(["bash", "-n", str(root / "source" / script)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        assert (root / "source" / script).read_text().startswith("#!/usr/bin/env bash\n")


def test_the_bundled_kit_builds_offline_into_a_wheel_with_the_suites_and_rubric(root, tmp_path):
    """What setup.sh's `pip install` does first, without the network: build the bundled kit."""
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index",
                            "--no-build-isolation", "-q", "-w", str(tmp_path / "wheels"),
                            str(root / "source" / "kit")],
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    [wheel] = (tmp_path / "wheels").glob("nnkit_autograder-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {"grader/checks/rubric.toml", "grader/checks/suites/test_backprop.py", "grader/sandbox/worker.py",
            "reference/network.py", "studentkit/mnist.py"} <= names


# --- the command --------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, says", [
    (["--assignment", "nope"], "unknown assignment 'nope'; known assignments: mnist_mlp"),
    ([], "--assignment"),
])
def test_usage_errors_exit_2_with_one_line(args, says, capsys, tmp_path):
    assert bundle.main([*args, "--out", str(tmp_path / "a.zip")]) == 2
    error = capsys.readouterr().err
    assert says in error and error.count("\n") == 1
    assert not (tmp_path / "a.zip").exists()


@pytest.mark.parametrize("out", ["missing/folder/a.zip", "."])
def test_an_unwritable_out_exits_2_with_one_line(out, capsys, tmp_path):
    assert bundle.main(["--assignment", "mnist_mlp", "--out", str(tmp_path / out)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("nnkit bundle: ") and "--out" in error and error.count("\n") == 1


def test_it_needs_the_kit_source(tmp_path):
    with pytest.raises(bundle.BundleError, match="not the kit's source"):
        bundle.write_bundle("mnist_mlp", tmp_path / "a.zip", kit_root=tmp_path)


# --- run_autograder -----------------------------------------------------------------------------------

@pytest.mark.mnist
def test_a_correct_notebook_gets_full_marks_on_gradescope(root, mnist_dir):
    shutil.copy(EXAMPLES / "correct" / "mnist_mlp.ipynb", root / "submission")
    run = run_autograder(root, MNIST_DIR=str(mnist_dir))
    assert run.returncode == 0, run.stderr
    assert graded_with_the_bundle(run, root), run.stdout[:500]
    data = check_results_json((root / "results" / "results.json").read_text(), RUBRIC)
    failing = [(test["name"], test["output"]) for test in data["tests"] if test["status"] != "passed"]
    assert failing == []
    assert data["score"] == RUBRIC.max_score() == 100


@pytest.mark.parametrize("folder", ["", "my_project"])
def test_a_broken_notebook_loses_points_where_it_is_wrong(root, folder):
    """Also when the student uploaded a folder: Gradescope then puts the notebook one level down."""
    (root / "submission" / folder).mkdir(exist_ok=True)
    shutil.copy(BROKEN, root / "submission" / folder)
    run = run_autograder(root)
    assert run.returncode == 0, run.stderr
    assert graded_with_the_bundle(run, root)
    data = check_results_json((root / "results" / "results.json").read_text(), RUBRIC)
    by_name = {test["name"]: test for test in data["tests"]}
    assert 0 < data["score"] < 100
    assert by_name["relu: values"]["status"] == "passed"
    assert by_name["backprop: values"]["output"].startswith("backprop is not defined")
    assert "syntax error" in data["output"]


@pytest.mark.parametrize("content, reason", [
    (None, "no notebook (.ipynb) in submission/"),
    ("this is not a notebook", "mnist_mlp.ipynb is not valid notebook JSON"),
])
def test_an_empty_or_unreadable_submission_gets_zero_and_says_why(root, content, reason):
    if content is not None:
        (root / "submission" / "mnist_mlp.ipynb").write_text(content)
    run = run_autograder(root)
    assert run.returncode == 0, run.stderr
    data = check_results_json((root / "results" / "results.json").read_text(), RUBRIC)
    assert data["score"] == 0
    assert {test["score"] for test in data["tests"]} == {0}
    assert reason in data["output"]


@pytest.mark.parametrize("python", ["/bin/false", "/nonexistent/python"])
def test_when_grading_produces_nothing_gradescope_still_gets_a_zero_that_says_so(root, python):
    shutil.copy(EXAMPLES / "correct" / "mnist_mlp.ipynb", root / "submission")
    run = run_autograder(root, NNKIT_PYTHON=python)
    assert run.returncode == 0
    data = results(root)
    check_format(data)
    assert data["score"] == 0 and data["tests"] == []
    assert "could not grade this submission" in data["output"]
    assert "wrote no results.json" in run.stderr
