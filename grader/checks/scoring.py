"""Score: one Submission → one SubmissionResult, by running the hidden suites against its functions.

    read (done) → extract → start a StudentProcess → pytest on grader/checks/suites with a GradingSession
    → one CaseOutcome per test case → points from grader/checks/rubric.toml → SubmissionResult

Aggregation rules (all here, so renderers never compute a score):
- a check's points are shared evenly by its cases: score = points × passed cases / cases;
- a check's status is `passed` when every case passed, else the most severe status among its
  cases, timeout > error > failed: a function that never returns or raises hides whether it would
  have been right, so that is what the student must fix first;
- its message and feedback are those of its first case that did not pass;
- once a case of an exercise times out, the exercise's other cases are not run and count as
  timeouts (see grader.checks.plugin): an endless loop costs one call limit and its own exercise, not the
  submission's whole time budget and every exercise after it;
- an exercise whose function the submission does not define is not run: each of its checks fails
  with why the function is missing;
- a check in the rubric that produced no outcome (a broken suite) is an `error` worth nothing and
  says so — never a silent pass;
- an exercise the instructor chose not to grade (`grade --skip-mnist`: mnist_accuracy) is not run:
  each of its checks has status `skipped`, score 0 and max_score 0, so it counts in neither the
  score nor the maximum (a correct submission then has 82 of 82). Only the instructor's choice
  does this: MNIST missing while grading is an `error` worth nothing, as above.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import os
import shutil
import tempfile
import time
from importlib import metadata
from pathlib import Path

import pytest

from grader.checks import rubric as rubric_module
from grader.extract import Extraction, UnreadableNotebook, extract_file
from grader.batch.mnist_probe import MNIST_EXERCISE
from grader.checks.collected import collect, run_collected
from grader.checks.plugin import CaseOutcome, GradingSession, MnistData
from grader.results import NOT_GRADED, CaseResult, CheckResult, ExerciseResult, LoadError, \
    SubmissionResult
from grader.sandbox import Limits, StudentError, StudentProcess
from grader.sandbox.spare import SpareWorker
from grader.intake.submission import Submission

SUITES_DIR = Path(__file__).with_name("suites")
#: Exercises graded as one function of the student's; the others (mnist_accuracy) use several.
FUNCTION_EXERCISES = ("relu", "relu_derivative", "softmax", "cross_entropy", "init_params",
                      "forward", "backprop", "update")
SEVERITY = {"passed": 0, "failed": 1, "error": 2, "timeout": 3}
#: What a report keeps of the student's printed output: enough to recognise it.
OUTPUT_CHARS = 4000
#: Nothing printed, cached or reordered; `--assert=plain` because the suites never assert (they
#: raise Feedback) and rewriting them costs ~0.5 s per grading process. No capturing at all:
#: run_suites already sends whatever the suites print to a buffer it throws away (student output
#: comes over the worker's channel, not from pytest), and swapping sys.stdout around every phase
#: of every case cost 0.15 ms a case; even with --capture=no, the capture plugin's hooks wrapped
#: every phase.
PYTEST_ARGS = ["-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:warnings",
               "-o", "addopts=", "-p", "no:capture", "--assert=plain",
               # Plugins that watch the suites' own code (unraisable exceptions, threads, hangs,
               # log records) cost a forced gc.collect() and hooks per test: 40 ms a submission.
               "-p", "no:unraisableexception", "-p", "no:threadexception",
               "-p", "no:faulthandler", "-p", "no:logging",
               # Nobody reads the terminal report (outcomes come from the plugin's hooks, and
               # the output is thrown away): setting it up and feeding it cost 20 ms a submission.
               "-p", "no:terminal",
               # What the suites never use: skip and xfail marks (a check that cannot run calls
               # pytest.skip, which the runner handles), unittest cases, temporary folders, the
               # debugger, --setup-only/--setup-plan, subtests. Their hooks ran for every case:
               # a fifth of pytest's own function calls, ~7 ms a submission.
               "-p", "no:skipping", "-p", "no:unittest", "-p", "no:tmpdir",
               "-p", "no:legacypath", "-p", "no:debugging", "-p", "no:setuponly",
               "-p", "no:setupplan", "-p", "no:subtests"]
#: What a student reads about a check the instructor left out: no paths, nothing to do.
NOT_GRADED_MESSAGE = ("not run for this submission, so it counts neither in your score nor in "
                      "the maximum")


def grade(submission: Submission, *, limits: Limits | None = None,
          start_next: bool = False) -> SubmissionResult:
    """Grade one submission; whatever the student's code does, a result comes back.
    start_next: another submission follows in this process, so its worker starts up meanwhile
    (see student_process)."""
    started = time.perf_counter()
    warnings = list(submission.warnings)
    if submission.problem or submission.assignment is None:
        return ungraded(submission, [*warnings, submission.problem or "no assignment"])
    try:
        extraction = extract_file(submission.notebook_path)
    except UnreadableNotebook as error:
        return ungraded(submission, [*warnings, str(error)])
    try:
        return _grade_extraction(submission, extraction, limits or Limits(), started,
                                 start_next)
    except StudentError as error:  # the worker could not even load the submission
        return ungraded(submission, [*warnings, *extraction.problems, error.message],
                        status="error", skipped=extraction.skipped)


def _grade_extraction(submission: Submission, extraction: Extraction, limits: Limits,
                      started: float, start_next: bool = False) -> SubmissionResult:
    rubric = load_rubric()
    with student_process(numbered_cells(extraction), limits, start_next) as student:
        load_errors = [LoadError(position - 1, message) for position, message in student.load_errors]
        missing = missing_functions(set(student.functions), extraction, load_errors)
        not_graded = not_graded_exercises(submission)
        mnist = MnistData(submission.assignment.notation)
        session = GradingSession(student, submission.assignment,
                                 mnist if not_graded else mnist.prefetch(),
                                 not_run=set(missing), not_graded=not_graded,
                                 extraction=extraction)
        run_suites(session)
        exercises = score_exercises(rubric, session.outcomes, missing, not_graded)
        return SubmissionResult(
            submission=submission.name, assignment=submission.assignment.id,
            score=round(sum(exercise.score for exercise in exercises), 4),
            max_score=round(sum(exercise.max_score for exercise in exercises), 4),
            exercises=exercises, skipped=extraction.skipped,
            problems=[*submission.warnings, *extraction.problems], load_errors=load_errors,
            isolation=student.isolation,
            output=shortened(student.output), seconds=round(time.perf_counter() - started, 3),
            kit_version=kit_version())


#: The worker started ahead for this process's next submission (grader.sandbox.spare).
_spare: SpareWorker | None = None


def start_worker_ahead(limits: Limits | None = None) -> None:
    """Start the worker of this process's next grade() now, so that it starts up beside what this
    process does meanwhile: the current submission (a batch), or the isolation probe (the
    `grade` command grading one submission). Unused, it is stopped when the process exits."""
    global _spare
    if _spare is None:
        try:
            _spare = SpareWorker.start(limits or Limits())
        except (OSError, RuntimeError, ValueError):
            _spare = None    # the next grade() starts its own and reports whatever is wrong


@atexit.register
def discard_spare() -> None:
    global _spare
    spare, _spare = _spare, None
    if spare is not None:
        spare.discard()


@contextlib.contextmanager
def student_process(cells: list[str], limits: Limits, start_next: bool):
    """A StudentProcess with `cells` loaded, in a scratch folder of its own, removed afterwards.
    Its worker is the spare started while the previous submission was graded, when there is one
    that fits; with start_next, the next submission's spare starts now."""
    global _spare
    spare, _spare = _spare, None
    if spare is not None and not spare.fits(limits):
        spare.discard()
        spare = None
    if start_next:
        start_worker_ahead(limits)
    scratch = spare.scratch_dir if spare else Path(tempfile.mkdtemp(prefix="nnkit-scratch-"))
    try:
        with StudentProcess(cells, scratch, limits,
                            started=spare.connection if spare else None) as student:
            yield student
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def shortened(output: str) -> str:
    if len(output) <= OUTPUT_CHARS:
        return output
    return output[:OUTPUT_CHARS] + f"\n[… {len(output) - OUTPUT_CHARS} more characters not shown]"


def numbered_cells(extraction: Extraction) -> list[str]:
    """The kept cells placed at the numbers students know them by: position k holds notebook
    cell k (counting from 1, as the reports do), "" where nothing was kept. The worker names a
    cell by its position (`<cell k>` in tracebacks), so its messages then point at the right cell."""
    cells = [""] * (max(extraction.cell_indices, default=-1) + 2)
    for index, source in zip(extraction.cell_indices, extraction.cells):
        cells[index + 1] = source
    return cells


#: pytest's command line for the hidden suites.
SUITES_ARGS = [str(SUITES_DIR), *PYTEST_ARGS, "--rootdir", str(SUITES_DIR),
               "--confcutdir", str(SUITES_DIR)]


def run_suites(session: GradingSession) -> None:
    """Run the hidden suites quietly against `session.student`; their output is discarded (it
    could show hidden test source)."""
    with _quiet_pytest():
        if run_collected(SUITES_ARGS, session):   # collected once per process (grader.checks.collected)
            return
        pytest.main(SUITES_ARGS, plugins=[session])


def collect_suites() -> None:
    """Collect the hidden suites now, ahead of this process's first run_suites (which collects
    them itself where this could not)."""
    with _quiet_pytest():
        collect(SUITES_ARGS)


@contextlib.contextmanager
def _quiet_pytest():
    """What pytest prints is thrown away (it could show hidden test source). Installed pytest
    plugins (anyio's alone imports asyncio backends: ~0.4 s) have no business in the hidden
    suites: none loads but ours."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
            _environment_variable("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1"):
        yield


@contextlib.contextmanager
def _environment_variable(name: str, value: str):
    """os.environ[name] = value for the duration (unittest.mock's patch.dict does the same, and
    importing it, with asyncio, cost a batch's start 20 ms)."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def missing_functions(defined: set[str], extraction: Extraction,
                      load_errors: list[LoadError]) -> dict[str, str]:
    """exercise → why its function is missing, for every graded function not defined."""
    raised = {error.cell_index: error.message for error in load_errors}
    missing = {}
    for name in FUNCTION_EXERCISES:
        if name in defined:
            continue
        cell = extraction.definitions.get(name)
        if cell in raised:
            missing[name] = (f"{name} is not defined: code cell {cell + 1} raised an error while "
                             f"loading ({raised[cell]}), so nothing in it could be graded")
        else:
            missing[name] = extraction.why_missing(name)
    return missing


def not_graded_exercises(submission: Submission) -> set[str]:
    """The exercises the instructor chose to leave out of this submission's grade."""
    return {MNIST_EXERCISE} if submission.skip_mnist else set()


def score_exercises(rubric, outcomes: list[CaseOutcome], missing: dict[str, str],
                    not_graded: set[str] = frozenset()) -> list[ExerciseResult]:
    """Every rubric check, in rubric order, scored from its cases' outcomes."""
    cases: dict[tuple[str, str], list[CaseResult]] = {}
    for outcome in outcomes:
        cases.setdefault((outcome.exercise, outcome.check), []).append(
            CaseResult(outcome.case, outcome.status, outcome.message, outcome.feedback,
                       outcome.seconds))
    exercises = []
    for exercise in rubric.exercises():
        checks = []
        for check in rubric.checks(exercise):
            if exercise in not_graded:
                ran = [CaseResult("", NOT_GRADED, NOT_GRADED_MESSAGE)]
            elif exercise in missing:
                ran = [CaseResult("", "failed", missing[exercise])]
            else:
                ran = cases.get((exercise, check)) or [CaseResult(
                    "", "error", "this check did not run (a problem in the grader, not in your "
                                 "code); tell your instructor")]
            checks.append(score_check(exercise, check, rubric.points(exercise, check), ran))
        exercises.append(ExerciseResult(exercise, checks))
    return exercises


def score_check(exercise: str, check: str, points: float, cases: list[CaseResult]) -> CheckResult:
    """One check from its cases (see the module docstring for the rules)."""
    if all(case.status == NOT_GRADED for case in cases):
        return CheckResult(
            name=f"{exercise}: {check.replace('_', ' ')}", exercise=exercise, check=check,
            status=NOT_GRADED, score=0.0, max_score=0.0, message=cases[0].message, cases=cases)
    # Not graded is all or nothing: a skipped case among graded ones has no severity (KeyError).
    passed = sum(case.status == "passed" for case in cases)
    failing = [case for case in cases if case.status != "passed"]
    status = max((case.status for case in cases), key=SEVERITY.__getitem__)
    first = failing[0] if failing else None
    return CheckResult(
        name=f"{exercise}: {check.replace('_', ' ')}", exercise=exercise, check=check,
        status=status, score=round(points * passed / len(cases), 4), max_score=points,
        message=first.message if first else "", feedback=first.feedback if first else None,
        cases=cases)


def ungraded(submission: Submission, problems: list[str], *, status: str = "failed",
             skipped: list | None = None) -> SubmissionResult:
    """A zero for a submission that could not be run: every check has `status` and, as its
    message, the last of `problems` (the one that stopped grading); the checks the instructor
    left out are not graded, as they would not have been for a submission that ran."""
    rubric = load_rubric()
    reason = problems[-1]
    not_graded = not_graded_exercises(submission)
    exercises = [ExerciseResult(exercise, [
        score_check(exercise, check, rubric.points(exercise, check),
                    [CaseResult("", NOT_GRADED, NOT_GRADED_MESSAGE) if exercise in not_graded
                     else CaseResult("", status, reason)])
        for check in rubric.checks(exercise)]) for exercise in rubric.exercises()]
    return SubmissionResult(
        submission=submission.name,
        assignment=submission.assignment.id if submission.assignment else None,
        score=0.0, max_score=round(sum(exercise.max_score for exercise in exercises), 4),
        exercises=exercises, skipped=skipped or [],
        problems=problems, isolation="not run", kit_version=kit_version())


@functools.lru_cache(maxsize=None)
def load_rubric():
    return rubric_module.load()


@functools.lru_cache(maxsize=None)
def kit_version() -> str:
    try:
        return metadata.version("nnkit-autograder")
    except metadata.PackageNotFoundError:
        return "unknown"
