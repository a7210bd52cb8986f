"""`grade PATH...`: grade submissions and write the feedback every student gets.

The command is the pipeline, end to end: check that what it was given can be graded (the PATHs,
and that MNIST is there for the MNIST check, grader.batch.mnist_probe) before writing anything; expand
each PATH into submissions (grader.intake.layouts: a class folder, an nbgrader course, an LMS zip) and
read them (grader.intake.submission); grade each in its own trusted grading process, unless DIR already
holds its up-to-date report (grader.batch; inside: grader.checks.scoring: extract → isolated student
worker → hidden suites → points); write its reports (grader.render) as soon as it is done; then
DIR/grades.csv and a summary of the batch.
"""

from __future__ import annotations

import argparse
import importlib
import os
import queue
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, \
    TimeElapsedColumn, TimeRemainingColumn

from grader.batch import mnist_probe, shards
from grader.assignments import ASSIGNMENTS, get_assignment
from grader.render.atomic import write_atomically
from grader.batch import Graded, grade_batch, start_server
from grader.intake import layouts
from grader.render import gradebook, jsonreport, summary, terminal, write_reports
from grader.results import SubmissionResult
from grader.checks.rubric import load as load_rubric
from grader.intake.submission import Submission, UsageError, check_explicit_paths, check_paths, \
    find_submissions

# The sandbox (NumPy with it) and the class report (IPython's parser) are imported when
# first used: the batch's fork server starts before them (start_server), so that its preload and
# these imports run side by side; the class report's are made while the submissions are graded.

REPORT = "report.json"
GRADEBOOK = "grades.csv"
#: Where LMS zips are unpacked, inside DIR, so what was graded can be looked at afterwards.
UNPACKED = ".unpacked"

DESCRIPTION = """\
Grade student submissions of the MNIST MLP assignment and write the feedback they get.

Each PATH is one submission (a folder holding the assignment's notebook, or a .ipynb or .py
file) or a whole class: a folder of two or more submission folders (a student folder without a
notebook gets a zero report, "no notebook submitted"; a folder with a single sub-folder is one
submission, as Gradescope makes of an uploaded folder), an nbgrader course (its
submitted/<student>/<assignment>/ folders), or an LMS download (a .zip of notebooks, one per
student, or those notebooks unzipped into one folder; Canvas, Moodle and Blackboard names give
the student). A lone PATH holding no notebook, and a file of another kind, are usage errors.
The student's eight functions run in an isolated worker process against the hidden suites. For
each submission, DIR/<submission>/ gets report.md and report.html (for the student), report.json
(for tools) and results.json (Gradescope's format); DIR/grades.csv is the gradebook of every
submission graded into DIR.

The mnist_accuracy exercise trains the student's network on MNIST: without the four MNIST files
(in $MNIST_DIR, else downloaded into the kit's datasets/mnist/) grade stops before grading
anything and says how to get them; --skip-mnist grades the rest, and mnist_accuracy is then
"not graded" everywhere, left out of both the score and the maximum.

With --assignment, a notebook whose metadata names another assignment is graded as asked, and
its report and the batch's problems table warn about it.

Grading is resumable: a submission whose notebook and the kit are unchanged since its report in
DIR was written is not graded again (--force regrades it), so after a crash, a Ctrl-C or a kill,
running the same command again grades only what is left."""

EPILOG = f"""\
examples:
  grade submissions/                       every student folder in it, reports in feedback/
  grade course/ --assignment mnist_mlp     an nbgrader course's submitted/<student>/mnist_mlp/
  grade canvas_download.zip                an LMS zip, one notebook per student
  grade submitted/*/ --jobs 8              every student folder, 8 at a time
  grade alice.ipynb --out /tmp/fb          one notebook, reports in /tmp/fb/alice/
  grade work/*.py --assignment mnist_mlp   .py files of a known assignment
  grade submitted/*/ --fail-under 60       exit 1 if any submission scores below 60 %
  grade submissions/ --force               regrade all, e.g. after editing a notebook by hand
  grade submissions/ --skip-mnist          grade without MNIST: mnist_accuracy not graded
  grade submissions/ --shard 2/4 --out /shared/feedback
                                           the second quarter of the class, beside three other
                                           shards into one folder (a cluster's job array)

assignments: {", ".join(sorted(ASSIGNMENTS))} (recognised from the notebook's metadata
  `nnkit.assignment`, else its file name; --assignment overrides both)

exit status:
  0  every submission was graded (whatever its score), or its up-to-date report reused
  1  --fail-under was not met by at least one submission
  2  nothing was graded: a usage error (a PATH that does not exist, a lone PATH holding no
     notebook, a file that is not .ipynb, .py or .zip), or MNIST missing without --skip-mnist
  3  nothing was graded: --require-isolation, and student code cannot be contained here
  130  interrupted (Ctrl-C): the reports already written are complete"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump: say what to do instead
        raise UsageError(f"{message} (see `grade --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="grade", description=DESCRIPTION, epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="a submission folder, a .ipynb or .py file, a class folder, an "
                             "nbgrader course or an LMS zip")
    parser.add_argument("--out", metavar="DIR", type=Path, default=Path("feedback"),
                        help="where the reports go, one folder per submission (default: feedback/)")
    parser.add_argument("--assignment", metavar="ID",
                        help="grade every PATH as this assignment instead of recognising it")
    parser.add_argument("--jobs", metavar="N", type=int, default=os.cpu_count() or 1,
                        help="grade N submissions at a time (default: the number of CPU cores)")
    parser.add_argument("--force", action="store_true",
                        help="regrade every submission, even those whose report in DIR is up to "
                             "date (same notebook, same kit)")
    parser.add_argument("--fail-under", metavar="PCT", type=float,
                        help="exit with status 1 if any submission scores below PCT percent "
                             "(of the points graded)")
    parser.add_argument("--skip-mnist", action="store_true",
                        help="do not grade the mnist_accuracy exercise (e.g. MNIST cannot be had "
                             "here): it is reported as not graded and counts in neither the "
                             "score nor the maximum")
    parser.add_argument("--require-isolation", action="store_true",
                        help="refuse to grade (exit 3) where student code could read the hidden "
                             "suites: no bubblewrap and no Landlock here (Gradescope's "
                             "run_autograder passes it)")
    parser.add_argument("--shard", metavar="K/N", type=shards.parse_shard,
                        help="grade only shard K of N of the submissions (1 <= K <= N), chosen "
                             "by their names, so N runs given the same PATHs grade each "
                             "submission exactly once; they may run at the same time into one "
                             "--out, and the last to end leaves the whole class's grades.csv")
    parser.add_argument("--allow-empty", action="store_true",
                        help="grade a lone PATH that holds no notebook as a submission that "
                             "handed in nothing (a zero report) instead of stopping; "
                             "Gradescope's run_autograder passes it")
    return parser


def main(argv: list[str] | None = None) -> int:
    console = Console()
    try:
        args = build_parser().parse_args(argv)
        _check_options(args)
        check_paths(args.paths)
        check_explicit_paths(args.paths, args.allow_empty)
    except UsageError as error:
        _say(f"grade: {error}")
        return 2
    expected = _expected_submissions(args)
    # The fork server reads MNIST as it starts. Where the probe cannot download it first (the
    # loader never writes into MNIST_DIR), the server starts before the probe, which imports
    # NumPy: the first grade then comes 0.05 s sooner.
    server_first = args.skip_mnist or bool(os.environ.get("MNIST_DIR"))
    if server_first:
        start_server(expected)
    missing_mnist = None if args.skip_mnist else mnist_probe.unavailable()
    if missing_mnist:
        _say(no_mnist_message(missing_mnist))
        return 2
    if not server_first:
        start_server(expected)
    if expected == 1:                  # graded here: its worker starts up beside the probe
        from grader.checks import scoring
        scoring.start_worker_ahead()
    isolation = available_isolation()
    if args.require_isolation and isolation_level(isolation) == "limits only":
        _say(f"grade: --require-isolation: student code cannot be contained here ({isolation}). "
             "Nothing was graded. Install bubblewrap (Debian/Ubuntu: apt install bubblewrap), or "
             "grade on Linux 5.13 or later with Landlock enabled.")
        return 3
    try:
        _prepare_out(args.out)
        with shards.out_folder_lock(args.out):     # shards of a zip unpack it into one DIR
            submissions = [replace(submission, skip_mnist=args.skip_mnist) for submission in
                           find_submissions(args.paths, args.assignment, args.out / UNPACKED)
                           if submission.path.resolve() != args.out.resolve()]
    except UsageError as error:
        _say(f"grade: {error}")
        return 2
    if not submissions:
        _say(f"grade: no submission found in {', '.join(args.paths)}")
        return 2
    submissions = shards.take_showing(submissions, args.shard, console)
    print_isolation(console, isolation)
    if args.skip_mnist:
        console.print(skip_mnist_note(), style="dim", markup=False, highlight=False)
    graded: dict[int, Graded] = {}
    try:
        for item in _grade_showing_progress(submissions, args, console, isolation):
            graded[item.index] = item
    except KeyboardInterrupt:
        write_gradebook(args.out)
        _say(f"grade: interrupted after {len(graded)} of {len(submissions)} submission(s); "
             "their reports are complete, run the same command again to grade the others")
        return 130
    results = [graded[index].result for index in sorted(graded)]
    write_gradebook(args.out)
    class_report = _write_class_report(args.out, submissions)
    if len(results) > 1:
        reused = sum(item.reused for item in graded.values())
        print_isolation(console, isolation)
        console.print(summary.render(results, reused))
        from grader.classreport import top_misconceptions
        misconceptions = class_report and top_misconceptions(class_report)
        if misconceptions is not None:
            console.print(misconceptions)
        if class_report:
            console.print(f"  class report: {args.out / 'class.html'}", style="dim",
                          markup=False, highlight=False)
        console.print(f"  gradebook: {args.out / GRADEBOOK}", style="dim", markup=False,
                      highlight=False)
    return _fail_under_status(results, args.fail_under)


def available_isolation() -> str:
    """What a worker gets here (grader.sandbox.process.available_isolation)."""
    from grader.sandbox.process import available_isolation as probe
    return probe()


def isolation_level(description: str) -> str:
    from grader.sandbox.process import isolation_level as level
    return level(description)


def _expected_submissions(args: argparse.Namespace) -> int:
    """About how many submissions this command grades, from a look at the PATHs that writes
    nothing (an LMS zip, unpacked only later, counts as a class); 0 when unsure. Only decides
    what starts early: the fork server for several (start_server), one worker for one."""
    try:
        found = sum(2 if Path(path).suffix.lower() == ".zip" else
                    len(layouts.expand(Path(path), Path(os.devnull), args.assignment))
                    for path in args.paths)
    except Exception:               # whatever it is, main reads it again and says what is wrong
        return 0
    return found // args.shard.count if args.shard else found


def _prepare_class_report_meanwhile(submissions: list[Submission]) -> Callable[..., None]:
    """Import the class report's code and read what it needs besides the reports (the starter
    code, the catalogue of mistakes) in a thread, while the submissions are graded in other
    processes; then extract and fingerprint each graded notebook handed to the function this
    returns (`ahead(submission)`, None at the end, which waits for the thread to finish). The
    report written after the last submission then mostly reads the reports and draws: 1.6-1.7 s
    for 1,000 notebooks instead of 4.9-5.1 s. Called once the first report is written, not
    before: until then the fork server's preload and the first grading process need both cores
    (0.05 s sooner to the first grade).

    Meanwhile the main thread imports none of the kit's modules (kit_digest finds the packages
    without importing them): two threads importing one package's modules in different orders
    can deadlock, which Python 3.11 breaks with a _DeadlockError that stopped the whole batch.
    tests/test_batch.py checks it."""
    assignments = sorted({submission.assignment.id for submission in submissions
                          if submission.assignment is not None})
    graded: queue.SimpleQueue = queue.SimpleQueue()

    def prepare() -> None:
        try:
            classreport = importlib.import_module("grader.classreport")
            classreport.prepare(assignments)
        except Exception:       # the report, built at the end, says what is wrong, if anything
            return
        while (submission := graded.get()) is not None:
            try:
                classreport.compare_ahead(submission.notebook_path, submission.assignment.id)
            except Exception:   # the report compares it again at the end, and says why not
                pass
    thread = threading.Thread(target=prepare, name="prepare-class-report", daemon=True)
    thread.start()

    def ahead(submission: Submission | None) -> None:
        if submission is None:
            graded.put(None)
            thread.join()
        elif submission.notebook_path is not None and submission.assignment is not None:
            graded.put(submission)
    return ahead


def _grade_showing_progress(submissions: list[Submission], args: argparse.Namespace,
                            console: Console, isolation: str) -> Iterator[Graded]:
    """Grade, writing each submission's reports as soon as it is done. One submission: its whole
    report on the terminal. Several: a line each under a progress bar with an ETA. `isolation`:
    what a worker gets here (the batch's banner), whose level goes into every fingerprint."""
    items = grade_batch(submissions, args.out, args.jobs, force=args.force,
                        skip_mnist=args.skip_mnist, isolation=isolation_level(isolation))
    if len(submissions) == 1:
        with console.status("grading 1 submission…"):
            [item] = list(items)
        folder = _write(item, args.out)
        terminal.print_report(item.result, console)
        console.print(f"  reports: {folder}/", style="dim", markup=False, highlight=False)
        yield item
        return
    with Progress(SpinnerColumn(), TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("grading", total=len(submissions))
        ahead = None
        for item in items:
            _write(item, args.out)
            progress.console.print(summary.line(item.result, item.reused))
            progress.advance(task)
            ahead = ahead or _prepare_class_report_meanwhile(submissions)
            ahead(submissions[item.index])
            yield item
    if ahead is not None:
        ahead(None)


def _write_class_report(out: Path, submissions: list[Submission]):
    """DIR/class.html, class.md and class.json from every report in DIR (grader.classreport);
    None, with a line on stderr, if it cannot be built: the grades are written already."""
    try:
        from grader.classreport import write_class_report
        with shards.out_folder_lock(out):    # shards of one class share DIR/.notebooks.json
            return write_class_report(out, {submission.name: submission.notebook_path
                                            for submission in submissions
                                            if submission.notebook_path is not None})
    except Exception as error:  # a bug of the class report must not hide the grades
        _say(f"grade: the class report could not be built ({type(error).__name__}: {error}); "
             "the grades and every student's report are complete")
        return None


def print_isolation(console: Console, isolation: str) -> None:
    """One line on how student code is contained here; a warning an instructor cannot miss
    where it is not (no bubblewrap, no Landlock)."""
    if isolation_level(isolation) != "limits only":
        console.print(f"  isolation: {isolation}", style="dim", markup=False, highlight=False)
        return
    console.print(f"WARNING: student code is not contained here: {isolation}. A submission "
                  "could read the hidden suites and the reference, or other students' work. "
                  "Install bubblewrap or grade on Linux 5.13+ with Landlock; "
                  "--require-isolation refuses to grade in this case.",
                  style="bold red", markup=False, highlight=False)


def _write(item: Graded, out: Path) -> Path:
    """The reports of a freshly graded submission (a reused one's are already in place)."""
    folder = out / item.result.submission
    return folder if item.reused else write_reports(item.result, out)


def write_gradebook(out: Path) -> None:
    """DIR/grades.csv from every complete report in DIR: the class's gradebook, whichever runs
    graded its submissions. Read and rewritten under DIR's lock: of shards grading into DIR at
    the same time, the last to get here reads every report the others wrote (grader.batch.shards)."""
    with shards.out_folder_lock(out):
        results = []
        for path in sorted(out.glob(f"*/{REPORT}")):
            try:
                results.append(jsonreport.parse(path.read_text("utf-8")))
            except (OSError, ValueError, KeyError, TypeError):
                _say(f"grade: {path} is not a report this kit can read; it is left out of "
                     f"{GRADEBOOK}")
        if results:
            write_atomically(out / GRADEBOOK, gradebook.render(results))


def no_mnist_message(where: str) -> str:
    """For the instructor, when MNIST cannot be had: nothing was graded, where nnkit looked, and
    the three ways on (the data, the network, or --skip-mnist)."""
    rubric = load_rubric()
    worth = gradebook.number(rubric.exercise_points(mnist_probe.MNIST_EXERCISE))
    ways = [*mnist_probe.how_to_get(),
            f"or pass --skip-mnist to grade everything else: {mnist_probe.MNIST_EXERCISE} is then "
            "reported as not graded and left out of every score and maximum"]
    return "\n".join([
        f"grade: nothing was graded: the {mnist_probe.MNIST_EXERCISE} exercise ({worth} of the "
        f"rubric's {gradebook.number(rubric.max_score())} points) trains on MNIST, which cannot "
        f"be found. {where}",
        "To grade, do one of these, then run the same command again:",
        *(f"  - {way}" for way in ways)])


def skip_mnist_note() -> str:
    rubric = load_rubric()
    graded = rubric.max_score() - rubric.exercise_points(mnist_probe.MNIST_EXERCISE)
    return (f"--skip-mnist: {mnist_probe.MNIST_EXERCISE} is not graded; scores are out of "
            f"{gradebook.number(graded)}")


def _check_options(args: argparse.Namespace) -> None:
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.assignment is not None:
        try:
            get_assignment(args.assignment)
        except ValueError as error:
            raise UsageError(str(error)) from None
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


if __name__ == "__main__":
    sys.exit(main())
