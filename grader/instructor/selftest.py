"""`nnkit selftest`: the kit grades its own solutions; every one must get full marks.

It grades, through the same pipeline as `grade`,
- the reference (`reference/network.py`) as a student would submit it, once per assignment: a
  self-contained .py file (the worker cannot import `reference`), with a short adapter for the
  samples-as-columns notation;
- the source notebook of each assignment, `assignments/source/<id>/<id>.ipynb`, solutions included.

Anything short of full marks means the suites, the rubric or the solutions disagree: the failing
reports are printed and the exit status is 1. A source notebook that does not exist is reported as
not checked (it does not count as a pass).

Without the MNIST files the mnist_accuracy suite cannot be checked, and that is no disagreement:
the rest is checked without it (as `grade --skip-mnist` would), the missing data is named as the
cause, with where nnkit looked and how to get it, and the exit status is 2 (1 if something else
disagrees too).

example:
  nnkit selftest --jobs 2

exit status: 0 every solution got full marks; 1 one did not (its report is printed); 2 MNIST is
missing (the rest was checked)
"""

from __future__ import annotations

import argparse
import ast
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from rich.console import Console

import reference.network
from grader.batch import mnist_probe
from grader.assignments import ASSIGNMENTS, Assignment
from grader.batch import grade_in_processes
from grader.render import points, terminal
from grader.intake.submission import Submission, read_submission

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIR = ROOT / "assignments" / "source"

#: Samples as columns = the rows functions on transposed arrays (as in reference.notation).
COLUMNS_ADAPTER = '''

def _transposed(arrays):
    return {key: value.T for key, value in arrays.items()}


relu = _rows_relu
relu_derivative = _rows_relu_derivative
update = _rows_update


def softmax(Z):
    return _rows_softmax(Z.T).T


def cross_entropy(A, Y):
    return _rows_cross_entropy(A.T, Y.T)


def init_params(n_input=784, n_hidden=10, n_output=10, seed=0, dtype=np.float32):
    return _transposed(_rows_init_params(n_input, n_hidden, n_output, seed, dtype))


def forward(X, params):
    A2, cache = _rows_forward(X.T, _transposed(params))
    return A2.T, _transposed(cache)


def backprop(X, Y, params, cache):
    return _transposed(_rows_backprop(X.T, Y.T, _transposed(params), _transposed(cache)))
'''


def reference_source(assignment: Assignment) -> str:
    """The reference as one student .py file defining the eight functions in the assignment's
    notation: network.py itself for rows; for columns, network.py with every function renamed
    `_rows_<name>`, then the adapter."""
    source = Path(reference.network.__file__).read_text(encoding="utf-8")
    if assignment.notation == "rows":
        return source
    tree = ast.parse(source)
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in functions:
            node.name = f"_rows_{node.name}"
        elif isinstance(node, ast.Name) and node.id in functions:
            node.id = f"_rows_{node.id}"
    return ast.unparse(tree) + "\n" + COLUMNS_ADAPTER


def submissions_to_check(folder: Path) -> tuple[list[Submission], list[str]]:
    """The reference per assignment (written into `folder`) and the source notebooks that exist;
    plus a note for each source notebook that does not."""
    submissions, not_checked = [], []
    for assignment in ASSIGNMENTS.values():
        path = folder / f"reference_{assignment.id}.py"
        path.write_text(reference_source(assignment), encoding="utf-8")
        submissions.append(replace(read_submission(path, assignment),
                                   name=f"reference-{assignment.id}"))
        notebook = SOURCE_DIR / assignment.id / assignment.notebook
        if notebook.exists():
            submissions.append(replace(read_submission(notebook, assignment),
                                       name=f"source-{assignment.id}"))
        else:
            not_checked.append(f"{notebook.relative_to(ROOT)} does not exist yet: not checked")
    return submissions, not_checked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nnkit selftest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2, metavar="N",
                        help="grade N solutions at a time (default: 2)")
    args = parser.parse_args(argv)
    console = Console()
    failures = 0
    missing_mnist = mnist_probe.unavailable()
    with tempfile.TemporaryDirectory(prefix="nnkit-selftest-") as folder:
        submissions, not_checked = submissions_to_check(Path(folder))
        submissions = [replace(submission, skip_mnist=bool(missing_mnist))
                       for submission in submissions]
        for _, result in grade_in_processes(
                [(index, (submission, "")) for index, submission in enumerate(submissions)],
                max(1, args.jobs)):
            full = result.score == result.max_score and not result.problems and not result.load_errors
            failures += not full
            mark, style = ("✔", "green") if full else ("✘", "bold red")
            console.print(f"{mark} {result.submission}: {points(result.score, result.max_score)}"
                          f" in {result.seconds:.1f} s", style=style, markup=False)
            if not full:
                terminal.print_report(result, console)
    for note in not_checked:
        console.print(f"– {note}", style="yellow", markup=False)
    if failures:
        console.print(f"{failures} solution(s) did not get full marks: the suites, the rubric "
                      "or the solutions need fixing (reports above)", style="bold red")
    if missing_mnist:
        # soft_wrap: paths and file names stay whole, to be copied.
        console.print(missing_mnist_note(missing_mnist), style="bold yellow", markup=False,
                      highlight=False, soft_wrap=True)
    return 1 if failures else 2 if missing_mnist else 0


def missing_mnist_note(where: str) -> str:
    """Why the MNIST suite was not checked: missing data, not the suites or the rubric."""
    return "\n".join([
        f"{mnist_probe.MNIST_EXERCISE} was not checked: the MNIST files cannot be found, so its "
        "suite could not train anything (missing data, not a disagreement of the suites, the "
        f"rubric or the solutions). {where}",
        "To check it too, do one of these, then run the selftest again:",
        *(f"  - {way}" for way in mnist_probe.how_to_get())])


if __name__ == "__main__":
    sys.exit(main())
