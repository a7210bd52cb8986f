"""`grade PATH...`: grade submissions and write the feedback every student gets.

The command is the pipeline, end to end: read each PATH (grader.submission), grade it in its own
trusted grading process (grader.scoring: extract → isolated student worker → hidden suites →
points), write report.json, report.md and report.html (grader.render), print the report.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Iterator

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.assignments import ASSIGNMENTS
from grader.render import points, terminal, write_reports
from grader.results import SubmissionResult
from grader.submission import Submission, UsageError, find_submissions

DESCRIPTION = """\
Grade student submissions of the MNIST MLP assignment and write the feedback they get.

For each PATH (a submission folder holding the assignment's notebook, or a .ipynb or .py file)
the student's eight functions run in an isolated worker process against the hidden suites; the
reports land in DIR/<submission>/report.json, report.md and report.html, and each report is
printed here."""

EPILOG = f"""\
examples:
  grade submitted/*/                       grade every student folder, reports in feedback/
  grade alice.ipynb --out /tmp/fb          one notebook, reports in /tmp/fb/alice/
  grade work/*.py --assignment mnist_mlp   .py files of a known assignment
  grade submitted/*/ --fail-under 60       exit 1 if any submission scores below 60 %

assignments: {", ".join(sorted(ASSIGNMENTS))} (recognised from the notebook's metadata
  `nnkit.assignment`, else its file name; --assignment overrides both)

exit status:
  0  every submission was graded (whatever its score)
  1  --fail-under was not met by at least one submission
  2  usage error (e.g. a PATH that does not exist)
  130  interrupted (Ctrl-C): the reports already written are complete"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump: say what to do instead
        raise UsageError(f"{message} (see `grade --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="grade", description=DESCRIPTION, epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="a submission folder, or a .ipynb or .py file")
    parser.add_argument("--out", metavar="DIR", type=Path, default=Path("feedback"),
                        help="where the reports go, one folder per submission (default: feedback/)")
    parser.add_argument("--assignment", metavar="ID",
                        help="grade every PATH as this assignment instead of recognising it")
    parser.add_argument("--jobs", metavar="N", type=int, default=os.cpu_count() or 1,
                        help="grade N submissions at a time (default: the number of CPU cores)")
    parser.add_argument("--fail-under", metavar="PCT", type=float,
                        help="exit with status 1 if any submission scores below PCT percent")
    return parser


def main(argv: list[str] | None = None) -> int:
    console = Console()
    try:
        args = build_parser().parse_args(argv)
        _check_options(args)
        submissions = find_submissions(args.paths, args.assignment)
        _prepare_out(args.out)
    except UsageError as error:
        _say(f"grade: {error}")
        return 2
    results = []
    try:
        with console.status(f"grading {len(submissions)} submission(s)…"):
            for result in grade_in_order(submissions, args.jobs):
                folder = write_reports(result, args.out)
                terminal.print_report(result, console)
                console.print(f"  reports: {folder}/", style="dim", markup=False, highlight=False)
                results.append(result)
    except KeyboardInterrupt:
        _say(f"grade: interrupted after {len(results)} of {len(submissions)} submission(s); "
             "their reports are complete, run grade again for the others")
        return 130
    if len(results) > 1:
        console.print(batch_table(results))
    return _fail_under_status(results, args.fail_under)


def _check_options(args: argparse.Namespace) -> None:
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.fail_under is not None and not 0 <= args.fail_under <= 100:
        raise UsageError("--fail-under is a percentage between 0 and 100")
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out} is a file; give a folder for the reports")


def _prepare_out(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot create the reports folder --out {out} ({error.strerror}); "
                         "give a folder you can write to") from None
    if not os.access(out, os.W_OK):
        raise UsageError(f"cannot write into --out {out}; give a folder you can write to")


def _say(message: str) -> None:
    """One unwrapped line on stderr, for messages scripts and people both read."""
    print(message, file=sys.stderr)


def _fail_under_status(results: list[SubmissionResult], threshold: float | None) -> int:
    if threshold is None:
        return 0
    below = [result for result in results if result.percent < threshold]
    if not below:
        return 0
    names = ", ".join(f"{result.submission} ({result.percent:.0f} %)" for result in below)
    _say(f"grade: {len(below)} of {len(results)} submission(s) scored below {threshold:g} %: "
         f"{names}")
    return 1


def batch_table(results: list[SubmissionResult]) -> Table:
    table = Table(title="Batch", title_justify="left", header_style="bold")
    for column, justify in [("Submission", "left"), ("Assignment", "left"),
                            ("Points", "right"), ("%", "right"), ("Notes", "left")]:
        table.add_column(column, justify=justify)
    for result in results:
        notes = "; ".join(result.problems[:1])
        table.add_row(Text(result.submission), Text(result.assignment or "?"),
                      points(result.score, result.max_score), f"{result.percent:.0f}",
                      Text(notes[:60] + ("…" if len(notes) > 60 else "")))
    return table


# --- grading processes -------------------------------------------------------------------------

def grade_in_order(submissions: list[Submission], jobs: int) -> Iterator[SubmissionResult]:
    """Grade in worker processes, `jobs` at a time; yield results in the order given."""
    done: dict[int, SubmissionResult] = {}
    upcoming = 0
    for index, result in _grade_all(submissions, jobs):
        done[index] = result
        while upcoming in done:
            yield done.pop(upcoming)
            upcoming += 1


def _grade_all(submissions: list[Submission], jobs: int) -> Iterator[tuple[int, SubmissionResult]]:
    """(index, result) as each finishes. If a grading process dies, the submissions it took
    down with it are retried one by one in fresh processes; one that kills its process again
    gets a report saying so."""
    orphans = yield from _run_pool(list(enumerate(submissions)), jobs)
    for index, submission in orphans:
        again = yield from _run_pool([(index, submission)], 1)
        for _, submission in again:
            yield index, _crash_result(submission, "its grading process died")


def _run_pool(batch: list[tuple[int, Submission]], jobs: int):
    orphans = []
    with ProcessPoolExecutor(max_workers=min(jobs, len(batch)), mp_context=_context()) as pool:
        futures = {pool.submit(grade_safely, submission): (index, submission)
                   for index, submission in batch}
        for future in as_completed(futures):
            index, submission = futures[future]
            try:
                yield index, future.result()
            except BrokenProcessPool:
                orphans.append((index, submission))
    return orphans


#: What every grading process needs: imported once by the fork server, inherited by each worker.
PRELOAD = ["grader.scoring", "grader.expect", "grader.diagnose", "grader.gradient_check",
           "reference", "studentkit.mnist"]


def _context() -> multiprocessing.context.BaseContext:
    """forkserver where there is one: workers fork from a server that imported the grading code
    once, so a batch pays for numpy, pytest and the suites' helpers once, not once per worker."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def grade_safely(submission: Submission) -> SubmissionResult:
    """Runs in a grading process: grade, and turn a bug of the grader into a report too."""
    from grader import scoring
    try:
        return scoring.grade(submission)
    except Exception as error:  # a bug in nnkit: the instructor sees the traceback, the student a note
        traceback.print_exc(file=sys.stderr)
        return _crash_result(submission, f"the grader failed ({type(error).__name__})")


def _crash_result(submission: Submission, what: str) -> SubmissionResult:
    from grader import scoring
    reason = (f"{what} while grading this submission; this is a problem of the grader, not of "
              "your work: tell your instructor")
    return scoring.ungraded(submission, [reason], status="error")
