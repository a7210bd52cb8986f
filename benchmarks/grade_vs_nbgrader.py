"""`grade` against `nbgrader autograde`: the same submissions, the same checks, one run.

    MNIST_DIR=/path/to/mnist python benchmarks/grade_vs_nbgrader.py [--count N] [--keep DIR]
                                                                     [--rounds R]

What it builds (with nbgrader_equivalent/course.py), in a temporary folder (kept with --keep):
1. an nbgrader course: the source notebook assignments/source/mnist_mlp/mnist_mlp.ipynb with, right
   after each exercise's solution cell, an autograder-tests cell (grade_id `test_<exercise>`, the
   exercise's points from grader/checks/rubric.toml, locked) whose `### BEGIN/END HIDDEN TESTS` block is
   nbgrader_equivalent/cells/common.py followed by nbgrader_equivalent/cells/<exercise>.py
   (the MNIST check, which has no solution cell of its own, goes after the last one); the course's
   own nbgrader_config.py with a gradebook switched on; then `nbgrader generate_assignment`, which
   strips the hidden tests from the release and records them in gradebook.db;
2. submitted/<student>/mnist_mlp/: what a student hands in under nbgrader, that release folder with
   its notebook filled in. Each example submission assignments/examples/mnist_mlp/<name>/ gives its
   solution cells (by grade_id) to the release notebook; every other cell is the release's. Students
   are the 12 examples, or --count N of them, cycling. (Built from the release, each notebook has
   the test cells a student receives; nbgrader restores their hidden part from the gradebook. A
   notebook without them would not be tested unless OverwriteCells.add_missing_cells is set.)
3. times, as wall-clock commands and in this order (grade first, so it pays the cold caches):
   `grade submitted --jobs 1`, `nbgrader autograde mnist_mlp` (sequential, as nbgrader is), and
   `grade submitted --jobs <cores>` for information. All three get MNIST_DIR and one BLAS thread
   (grade's workers always use one; see ONE_BLAS_THREAD). With --rounds R the first two are
   timed R times, alternating (later rounds regrade everything, both with --force), so that a
   moment of load on this shared machine weighs on one round of one grader, not on the result.
It prints both graders' scores per submission and where each lost points (the same work shows as
the same exercises); the times, nbgrader's split (from the execution times it records) into the
hidden test cells, the notebook's other cells, and the rest (kernel starts, nbgrader's own work);
and last `speedup: X.XX` = nbgrader seconds / `grade --jobs 1` seconds (the medians of the
rounds: each round's own ratio is printed as it ends). It exits 1 without that
line if the scores are not sane (full marks for `correct` from both, less for every mistake).

How the hidden test cells mirror grader/checks/suites/ (read them side by side): the same checks with the
same inputs' shapes and sizes, the same tolerances (rtol 1e-5/atol 1e-8, 1e-4 for cross_entropy,
1e-6 for update's step), the same He-scale, seeding, mean-over-batch and clipping checks, the same
no-mutation check (arrays compared bit for bit, dict entries by identity, as the sandbox does), the
same finite-difference gradient checks of backprop (centered, h = 1e-5, float64, kink-free inputs,
4 sampled coordinates per parameter with the student's own forward ∘ cross_entropy falling back to
the reference's loss when theirs disagrees, 30 with the reference's, relative error with a floor of
1e-5 against 1e-4) and the same MNIST check (the student's init_params(seed=0), 12 000 images,
batches of 200, lr 0.5 → 0.05, parameters validated every step, a 20 s budget, test accuracy with
the reference's forward, ≥ 50 % and ≥ 86 %). The tests import `reference` (an instructor's hidden
solution module) and call the student's functions on deep copies of the inputs, with the
reference's relu/softmax/relu_derivative swapped into the notebook's globals where the suites use
the sandbox's `substitutes`.

Differences that remain (the first, fourth and fifth are how nbgrader works):
- points: a test cell is all or nothing, so a mistake costs its whole exercise under nbgrader;
  grade splits an exercise's points over its checks and their cases (partial credit), and the
  first failing case of a cell ends it, where grade runs every case;
- random inputs: seeded per check in both, but not the same draws;
- feedback: the asserts carry short messages; grade explains each failure with a hint;
- what runs: nbgrader starts a kernel per notebook and executes every cell of it, the student's
  self-checks, their one-epoch training on 60 000 images and their plots included (a notebook is
  graded by running it); grade keeps only definitions and imports;
- isolation: nbgrader runs student code in a plain kernel, in the process that also runs the hidden
  tests; grade runs it in a separate, sandboxed worker (bubblewrap when present) and pays for that.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import nbformat

# benchmarks/ is on sys.path when this script runs: nbgrader_equivalent is the folder beside it.
from nbgrader_equivalent.course import ASSIGNMENT, COURSE_ID, NOTEBOOK, BenchmarkError, \
    example_names, make_course, run, students, write_submissions

#: Both graders run NumPy with one BLAS thread, as grade's workers always do. With the library's
#: default (a thread per core), small matrix products slow down by an order of magnitude on a busy
#: machine (here: 16.9 s instead of 0.79 s for the notebook's one-epoch training cell).
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


# ---- what must be installed -----------------------------------------------------------------

def check_tools() -> None:
    """nbgrader, ipykernel and a `python3` Jupyter kernel, or a message saying what to install."""
    missing = [name for name in ("nbgrader", "ipykernel", "jupyter_client")
               if not _importable(name)]
    if missing:
        raise BenchmarkError(f"{', '.join(missing)} not installed in {sys.executable}: run "
                             "`python -m pip install -e '.[dev]'` in the repository")
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        raise BenchmarkError("no `python3` Jupyter kernel: run `python -m ipykernel install "
                             "--sys-prefix`") from None


def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def mnist_dir() -> Path:
    """The folder MNIST is read from ($MNIST_DIR or the kit's default), checked to be readable."""
    from studentkit.mnist import find_mnist_dir, load_mnist
    try:
        load_mnist("test", download=False)
    except Exception as error:
        raise BenchmarkError(f"MNIST is needed by both graders: {error}") from None
    return find_mnist_dir().resolve()


# ---- scoring -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Score:
    score: float
    max_score: float
    lost_in: tuple[str, ...]   # the exercises that lost points


def grade_scores(out: Path, names: list[str]) -> dict[str, Score]:
    """Student → the score in out/<student>/report.json."""
    scores = {}
    for student in names:
        report = json.loads((out / student / "report.json").read_text(encoding="utf-8"))
        lost = {test["exercise"] for test in report["tests"] if test["score"] < test["max_score"]}
        scores[student] = Score(report["score"], report["max_score"], tuple(sorted(lost)))
    return scores


def grading_seconds(out: Path, names: list[str]) -> float:
    """Seconds grade spent grading the submissions, as their reports record (the rest of the
    command's time is starting up and writing)."""
    return sum(json.loads((out / student / "report.json").read_text(encoding="utf-8"))["seconds"]
               for student in names)


def nbgrader_scores(course: Path, names: list[str]) -> dict[str, Score]:
    """Student → the autograded score recorded in the course's gradebook."""
    from nbgrader.api import Gradebook
    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id=COURSE_ID) as gradebook:
        for student in names:
            notebook = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
            lost = {grade.name.removeprefix("test_") for grade in notebook.grades
                    if grade.max_score and (grade.score or 0) < grade.max_score}
            scores[student] = Score(notebook.score, notebook.max_score, tuple(sorted(lost)))
    return scores


def nbgrader_cell_seconds(course: Path, names: list[str]) -> tuple[float, float]:
    """Seconds the kernels spent in the hidden test cells, and in the notebook's other cells,
    summed over the autograded notebooks (from the execution times nbclient records)."""
    tests = others = 0.0
    for student in names:
        notebook = nbformat.read(course / "autograded" / student / ASSIGNMENT / NOTEBOOK,
                                 as_version=4)
        for cell in notebook.cells:
            timing = cell.metadata.get("execution", {})
            if "iopub.execute_input" not in timing or "shell.execute_reply" not in timing:
                continue
            seconds = (datetime.fromisoformat(timing["shell.execute_reply"])
                       - datetime.fromisoformat(timing["iopub.execute_input"])).total_seconds()
            if cell.metadata.get("nbgrader", {}).get("grade_id", "").startswith("test_"):
                tests += seconds
            else:
                others += seconds
    return tests, others


def sanity_problems(handed_in: dict[str, str], ours: dict[str, Score],
                    theirs: dict[str, Score]) -> list[str]:
    """Full marks for `correct` from both graders and less for every mistake, or what is wrong."""
    problems = []
    for grader, scores in (("grade", ours), ("nbgrader", theirs)):
        for student, example in handed_in.items():
            full = scores[student].score >= scores[student].max_score
            if full != (example == "correct"):
                problems.append(f"{grader} gave {student} {scores[student].score:g} of "
                                f"{scores[student].max_score:g}")
    return problems


# ---- the printout ---------------------------------------------------------------------------

def print_scores(handed_in: dict[str, str], ours: dict[str, Score],
                 theirs: dict[str, Score]) -> None:
    width = max(map(len, handed_in)) + 2
    print(f"{'submission':<{width}}{'grade':>7}{'nbgrader':>10}   lost points in "
          "(grade | nbgrader)")
    for student in handed_in:
        mine, other = ours[student], theirs[student]
        lost = (", ".join(mine.lost_in) or "—") + " | " + (", ".join(other.lost_in) or "—")
        print(f"{student:<{width}}{mine.score:>7.1f}{other.score:>10.1f}   {lost}")
    print(f"{'(out of)':<{width}}{next(iter(ours.values())).max_score:>7.0f}"
          f"{next(iter(theirs.values())).max_score:>10.0f}")


def print_load(moment: str) -> None:
    if hasattr(os, "getloadavg"):
        print(f"load average {moment}: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=None,
                        help="submissions to grade, cycling the examples (default: each once)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="build the course in DIR (new or empty) and keep it for inspection")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="workers of the informational parallel grade run (default: the "
                             "cores, %(default)s)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="time `grade --jobs 1` and nbgrader this many times, alternating "
                             "(later rounds with --force); the speedup is the ratio of their "
                             "medians (default: %(default)s)")
    args = parser.parse_args(argv)
    if (args.count is not None and args.count < 1) or args.jobs < 1 or args.rounds < 1:
        parser.error("--count, --jobs and --rounds must be at least 1")
    try:
        check_tools()
        # nbgrader's gradebook runs the `alembic` command: the venv's bin/ must be on PATH, as
        # in an activated venv, for the nbgrader commands and for reading the gradebook here.
        os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent),
                                              os.environ.get("PATH", "")])
        env = dict(os.environ, MNIST_DIR=str(mnist_dir()), JUPYTER_NO_CONFIG="1",
                   **ONE_BLAS_THREAD)
        handed_in = students(args.count or len(example_names()))
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            if any(args.keep.iterdir()):
                raise BenchmarkError(f"--keep {args.keep}: the folder is not empty")
            return benchmark(args.keep.resolve(), handed_in, env, args.jobs, args.rounds)
        with tempfile.TemporaryDirectory(prefix="grade_vs_nbgrader-") as folder:
            return benchmark(Path(folder), handed_in, env, args.jobs, args.rounds)
    except BenchmarkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


@dataclass(frozen=True)
class Times:
    nbgrader: list[float]  # `nbgrader autograde`, wall clock, each round
    grade: list[float]     # `grade --jobs 1`, each round
    grade_parallel: float  # `grade --jobs <jobs>`, once
    jobs: int

    def speedup(self) -> float:
        return statistics.median(self.nbgrader) / statistics.median(self.grade)


def time_graders(folder: Path, course: Path, env: dict, jobs: int, rounds: int = 1) -> Times:
    """Run the commands, grade first (it pays the cold caches), then nbgrader, `rounds` times
    (later rounds regrade everything with --force), then `grade --jobs <jobs>` once; outputs in
    folder/*.log, the last round's."""
    def grade(jobs: int, force: bool = False) -> float:
        return run([sys.executable, "-m", "grader", str(course / "submitted"), "--out",
                    str(folder / f"grade-jobs{jobs}"), "--jobs", str(jobs)]
                   + (["--force"] if force else []), folder, env,
                   folder / f"grade-jobs{jobs}.log")
    ones, nbgraders = [], []
    for round_ in range(rounds):
        ones.append(grade(1, force=round_ > 0))
        nbgraders.append(run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT]
                             + (["--force"] if round_ > 0 else []), course, env,
                             folder / "autograde.log"))
        if rounds > 1:
            print(f"round {round_ + 1}: grade --jobs 1 {ones[-1]:.2f} s, nbgrader "
                  f"{nbgraders[-1]:.2f} s: {nbgraders[-1] / ones[-1]:.2f}")
    return Times(nbgraders, ones, grade(jobs), jobs)


def print_times(times: Times, folder: Path, course: Path, names: list[str]) -> None:
    """The last round's split of each grader's time, and the medians of all rounds."""
    n = len(names)
    tests, others = nbgrader_cell_seconds(course, names)
    grading = grading_seconds(folder / "grade-jobs1", names)
    nbgrader, grade = times.nbgrader[-1], times.grade[-1]
    print(f"nbgrader autograde            {nbgrader:7.2f} s  ({nbgrader / n:.2f} s "
          "per submission, one kernel each, sequential), of which")
    print(f"  the hidden test cells       {tests:7.2f} s")
    print(f"  the notebooks' other cells  {others:7.2f} s  (imports, self-checks, the students' "
          "own training and plots)")
    print(f"  kernel starts, nbgrader     {nbgrader - tests - others:7.2f} s")
    print(f"grade --jobs 1                {grade:7.2f} s  ({grade / n:.2f} s per "
          "submission, one sandboxed worker each, sequential), of which")
    print(f"  grading the submissions     {grading:7.2f} s  (as their reports record)")
    print(f"  starting up, reports        {grade - grading:7.2f} s")
    if len(times.grade) > 1:
        print(f"medians of {len(times.grade)} rounds: nbgrader "
              f"{statistics.median(times.nbgrader):.2f} s, grade --jobs 1 "
              f"{statistics.median(times.grade):.2f} s")
    print(f"grade --jobs {times.jobs:<2} (information) {times.grade_parallel:7.2f} s  "
          f"(speedup over nbgrader {statistics.median(times.nbgrader) / times.grade_parallel:.2f})")


def benchmark(folder: Path, handed_in: dict[str, str], env: dict, jobs: int,
              rounds: int = 1) -> int:
    """Build the course and the submissions in `folder`, time both graders, print the results."""
    course = folder / "course"
    course.mkdir()
    write_submissions(course, make_course(course, env), handed_in)
    print(f"{len(handed_in)} submissions of {ASSIGNMENT}, nbgrader course in {course}")
    print_load("before")
    times = time_graders(folder, course, env, jobs, rounds)
    print_load("after")
    names = list(handed_in)
    ours, theirs = grade_scores(folder / "grade-jobs1", names), nbgrader_scores(course, names)
    print()
    print_scores(handed_in, ours, theirs)
    print()
    print_times(times, folder, course, names)
    problems = sanity_problems(handed_in, ours, theirs)
    if problems:
        print("\nerror: the scores are not sane, so the times compare different work:\n  "
              + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(f"speedup: {times.speedup():.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
