"""`nnkit release`: regenerate the student releases, and the example submissions made from them,
from the sources.

    nnkit release                      # every assignment in assignments/
    nnkit release --course-dir DIR     # another copy of the course folder

For each assignment this runs nbgrader's own `generate_assignment` in the course folder (its
settings are in `nbgrader_config.py` there): the solution blocks of
`source/<id>/<id>.ipynb` become stubs in `release/<id>/<id>.ipynb`. It then copies the public
`studentkit` package (self-checks, MNIST loader) into `release/<id>/studentkit/`, so a release
folder is all a student needs beside `pip install numpy matplotlib notebook`. Finally it rewrites the
example submissions (`grader.instructor.examples`), which are filled-in copies of the releases.
Running it twice gives byte-identical files; tests/test_assignments.py holds it to that.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from grader.instructor import examples
from grader.assignments import ASSIGNMENTS, METADATA_KEY, Assignment

COURSE_DIR = Path(__file__).resolve().parents[2] / "assignments"
STUDENTKIT = "studentkit"


class ReleaseError(Exception):
    """A release could not be made; the message says what to fix."""


def check_source(assignment: Assignment, course_dir: Path) -> Path:
    """The source notebook of `assignment`, after checking what a reproducible release relies on."""
    path = course_dir / "source" / assignment.id / assignment.notebook
    if not path.is_file():
        raise ReleaseError(f"no source notebook at {path}")
    notebook = nbformat.read(path, as_version=4)
    named = notebook.metadata.get(METADATA_KEY, {}).get("assignment")
    if named != assignment.id:
        raise ReleaseError(f"{path} names assignment {named!r} in metadata.{METADATA_KEY}.assignment; "
                           f"expected {assignment.id!r}")
    # nbformat invents random ids for cells without one, which would make every release differ.
    if notebook.nbformat_minor < 5 or any("id" not in cell for cell in notebook.cells):
        raise ReleaseError(f"{path} has cells without an id: open and save it in Jupyter "
                           "(nbformat 4.5 or later) to give every cell a stable id")
    return path


def run_generate_assignment(assignment_id: str, course_dir: Path) -> None:
    """`nbgrader generate_assignment <id> --force`, run in the course folder with its config only."""
    # JUPYTER_NO_CONFIG: a personal ~/.jupyter/nbgrader_config.py must not change the release.
    env = dict(os.environ, JUPYTER_NO_CONFIG="1")
    completed = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", assignment_id, "--force"],
        cwd=course_dir, env=env, capture_output=True, text=True,
    )
    if completed.returncode != 0:
        raise ReleaseError(f"nbgrader generate_assignment {assignment_id} failed:\n{completed.stderr}")


def copy_studentkit(course_dir: Path, release_dir: Path) -> None:
    """Copy the studentkit package's .py files (no caches) into the release folder."""
    source = course_dir / STUDENTKIT
    target = release_dir / STUDENTKIT
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for module in sorted(source.glob("*.py")):
        shutil.copyfile(module, target / module.name)


def release(assignment: Assignment, course_dir: Path = COURSE_DIR) -> Path:
    """Regenerate release/<id>/ from source/<id>/; returns the release folder."""
    check_source(assignment, course_dir)
    run_generate_assignment(assignment.id, course_dir)
    release_dir = course_dir / "release" / assignment.id
    copy_studentkit(course_dir, release_dir)
    return release_dir


EPILOG = """\
examples:
  nnkit release                          release/<id>/ and examples/<id>/ for every assignment
  nnkit release --no-examples            the releases only

It needs nbgrader, which grading does not: pip install 'nnkit-autograder[author]'.

exit status: 0 released; 1 a release failed (the message says why); 2 nbgrader is not installed"""

NEEDS_NBGRADER = ("nnkit release: making a release needs nbgrader, which the grading install "
                  "leaves out: pip install 'nnkit-autograder[author]' (in a checkout: "
                  "pip install -e '.[author]')")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="nnkit release", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Regenerate every assignment's student release from its source notebook with "
                    "nbgrader, copy studentkit into it, and rewrite the example submissions.")
    parser.add_argument("--course-dir", type=Path, default=COURSE_DIR,
                        help="the nbgrader course folder (default: %(default)s)")
    parser.add_argument("--no-examples", action="store_true",
                        help="leave the example submissions as they are")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("nbgrader") is None:
        print(NEEDS_NBGRADER, file=sys.stderr)
        return 2
    course_dir = args.course_dir.resolve()
    try:
        for assignment in ASSIGNMENTS.values():
            release_dir = release(assignment, course_dir)
            print(f"released {assignment.id} → {release_dir}")
            if not args.no_examples:
                for path in examples.write_examples(assignment, course_dir):
                    print(f"  example {path.relative_to(course_dir)}")
    except ReleaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
