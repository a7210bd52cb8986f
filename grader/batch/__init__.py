"""Batch: submissions → results, N at a time, each graded exactly once across reruns.

    fingerprint each submission → reuse DIR/<name>/report.json if it carries that fingerprint
    → grade the others in grading processes (forked from a server that imported the grading code
    once) → yield a `Graded` for each as it finishes

A fingerprint hashes everything a grade depends on: the graded file's bytes, the assignment, the
kit's own code (grader/ with the hidden suites and the rubric, reference/, studentkit/) and which
MNIST files there are (a grade given while the data was missing is not kept once it is there).
A result the grader itself failed to produce (a crash) gets no fingerprint, so it is retried. While it
matches, the report already in DIR *is* the grade, so a rerun after a crash, a Ctrl-C or a SIGKILL
grades only what has no complete report yet, and `force=True` regrades everything. That is sound
because grader.render.write_reports writes report.json last and every file atomically: a folder
with a readable report.json holds a complete set of reports.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import multiprocessing.util
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from grader.render.atomic import remove_leftovers
from grader.batch.kit import source_files
from grader.results import SubmissionResult
from grader.intake.submission import Submission

@dataclass(frozen=True)
class Graded:
    index: int                  # the submission's position in the batch
    result: SubmissionResult
    reused: bool                # True: read back from DIR, not graded in this run


def grade_batch(submissions: list[Submission], out: Path, jobs: int,
                force: bool = False, skip_mnist: bool = False,
                isolation: str = "") -> Iterator[Graded]:
    """Every submission's result, reused ones first, then the others as they finish.
    skip_mnist: the submissions are graded without mnist_accuracy (Submission.skip_mnist);
    isolation: the level of containment workers get here now (sandbox isolation_level)."""
    environment = grading_environment(skip_mnist, isolation)
    fingerprints = [fingerprint(submission, environment) for submission in submissions]
    to_grade = []
    for index, (submission, key) in enumerate(zip(submissions, fingerprints)):
        previous = None if force else previous_result(out / submission.name, key)
        if previous is not None:
            yield Graded(index, previous, reused=True)
        else:
            remove_leftovers(out / submission.name)
            to_grade.append((index, submission))
    keyed = [(index, (submission, fingerprints[index])) for index, submission in to_grade]
    for index, result in grade_in_processes(keyed, jobs):
        yield Graded(index, result, reused=False)


# --- fingerprints and reuse --------------------------------------------------------------------

def fingerprint(submission: Submission, environment: str) -> str:
    """sha256 of the grading environment (grading_environment()), the assignment and the graded
    file (or why there is none)."""
    digest = hashlib.sha256(environment.encode())
    digest.update(f"\0{submission.assignment.id if submission.assignment else ''}\0".encode())
    digest.update(f"{submission.kind}\0{submission.problem or ''}\0".encode())
    if submission.notebook_path is not None and submission.notebook_path.is_file():
        with open(submission.notebook_path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def grading_environment(skip_mnist: bool = False, isolation: str = "") -> str:
    """What every grade of a batch depends on besides the submission: the kit's code, the
    MNIST files, or that the MNIST check was left out (so a grade without it is not reused by a
    run with it, and the other way round), and how strongly student code is contained (a report
    made in plain limits is graded again once Landlock or bubblewrap is there). Read once per
    batch."""
    mnist = "mnist not graded" if skip_mnist else mnist_state()
    return f"{kit_digest()}\0{mnist}\0isolation: {isolation}"


def kit_digest() -> str:
    """sha256 over the kit's source files (grader.batch.kit), their paths included, in sorted order.

    The packages are found without being imported: this runs while the class report's code is
    imported in a thread (cli._prepare_class_report_meanwhile), and Python 3.11 raises
    _DeadlockError when one thread runs `reference/__init__` while another imports
    `reference.notation` (it locks the submodule before importing its parent)."""
    from grader.sandbox.allowlist import KIT_PACKAGES   # grader/ holds the suites and rubric
    digest = hashlib.sha256()
    for package in KIT_PACKAGES:
        root = package_folder(package)
        for path in source_files(root):
            digest.update(f"{package}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def package_folder(package: str) -> Path:
    """The folder of the top-level `package`, found on the import path without importing it."""
    from grader.sandbox.allowlist import package_folders
    folders = package_folders(package)
    if not folders:
        raise ModuleNotFoundError(f"the kit's package {package!r} is not installed here",
                                  name=package)
    return Path(folders[0])


def mnist_state() -> str:
    """Where MNIST is read from and the size of each of its files there (-1: missing)."""
    from studentkit.mnist import FILES, find_mnist_dir
    folder = find_mnist_dir()
    sizes = []
    for name in sorted(name for pair in FILES.values() for name in pair):
        found = [path for path in (folder / name, folder / name.removesuffix(".gz")) if path.is_file()]
        sizes.append(f"{name}={found[0].stat().st_size if found else -1}")
    return f"{folder.resolve()}:{','.join(sizes)}"


def previous_result(folder: Path, key: str) -> SubmissionResult | None:
    """The result recorded in folder/report.json if it was graded with fingerprint `key`."""
    try:
        data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        if data.get("fingerprint") != key:
            return None
        return SubmissionResult.from_json_dict(data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None                                      # absent, unreadable or not ours: regrade


# --- grading processes -------------------------------------------------------------------------

def grade_in_processes(batch: list[tuple[int, tuple[Submission, str]]], jobs: int
                       ) -> Iterator[tuple[int, SubmissionResult]]:
    """(index, result) as each finishes; batch holds (index, (submission, fingerprint)). If a grading process dies, the submissions it took down
    with it are retried one by one in fresh processes; one that kills its process again gets a
    report saying so."""
    if not batch:
        return
    if len(batch) == 1:
        # One submission (Gradescope's run_autograder, a student's own check): grading it right
        # here saves starting a pool. Student code still runs only in its sandbox worker.
        [(index, (submission, key))] = batch
        yield index, grade_safely(submission, key)
        return
    orphans = yield from _run_pool(batch, jobs)
    for index, work in orphans:
        again = yield from _run_pool([(index, work)], 1)
        for _, (submission, _key) in again:
            yield index, crash_result(submission, "its grading process died")


def _run_pool(batch: list[tuple[int, tuple[Submission, str]]], jobs: int):
    from grader.sandbox.process import probes
    orphans = []
    # A process that will get another submission starts its worker while grading this one
    # (grader.sandbox.spare), and measures test accuracy in two threads, on a core the batch
    # leaves idle: with a process per core they would only compete with them (measured: 200
    # submissions, --jobs 2 on 2 cores) and hold one more worker's memory.
    spare_core = jobs < _cores()
    with ProcessPoolExecutor(max_workers=min(jobs, len(batch)), mp_context=_context(),
                             initializer=start_grading_process,
                             initargs=(os.getpid(), probes(), spare_core)) as pool:
        # Only the last `jobs` submissions are surely the last.
        futures = {pool.submit(grade_safely, *work,
                               spare_core and position < len(batch) - jobs): (index, work)
                   for position, (index, work) in enumerate(batch)}
        for future in as_completed(futures):
            index, work = futures[future]
            try:
                yield index, future.result()
            except BrokenProcessPool:
                orphans.append((index, work))
    return orphans


#: How often a grading process checks that its batch still runs, and its exit status if not.
WATCH_SECONDS = 0.2
EXIT_ORPHANED = 70

#: What every grading process needs: imported once by the fork server, inherited by each worker.
PRELOAD = ["grader.batch.mnist_reading",     # first: MNIST is read while the others import
           "grader.checks.scoring", "grader.checks.expect", "grader.checks.diagnose",
           "grader.checks.gradient_check", "reference", "studentkit.mnist",
           # NumPy imports numpy.ma on the first np.median, which the hints call (80 ms), and
           # numpy.random on the first use of np.random, which the suites' inputs need
           "numpy.ma", "numpy.random",
           "grader.batch.mnist_preload"]


#: Grading processes use one BLAS thread each: a submission's matrices are too small to gain from
#: more (grading 24 submissions with --jobs 1 took the same 21.5 s with 1 thread as with 2, but
#: kept 1.4 cores busy instead of 1.0), and --jobs already runs one process per core.
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _context() -> multiprocessing.context.BaseContext:
    """forkserver where there is one: workers fork from a server that imported the grading code
    once, so a batch pays for numpy, pytest and the suites' helpers once, not once per worker.
    The server starts with ONE_BLAS_THREAD in its environment (unless the user set them), which
    is read when it imports numpy."""
    for name, value in ONE_BLAS_THREAD.items():
        os.environ.setdefault(name, value)
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def start_server(expected: int) -> None:
    """Start the fork server now, when about `expected` submissions are to be graded in
    processes: its preload (NumPy, pytest, the suites' helpers, MNIST: 1–2 s of one core) then
    runs beside what the `grade` process does before it grades (the isolation probe, reading the
    submissions, their fingerprints) instead of after it. Speed only: a pool started later uses
    this server, and one that is never needed (every report reused) costs only that core time.
    A single submission is graded in this process (grade_in_processes), with no server to
    start, so Gradescope's one core is never shared with one."""
    if expected < 2:
        return
    context = _context()
    if context.get_start_method() == "forkserver":
        import multiprocessing.forkserver
        multiprocessing.forkserver.ensure_running()


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                  # macOS
        return os.cpu_count() or 1


def start_grading_process(batch_pid: int, sandbox_probes: tuple, spare_core: bool = False
                          ) -> None:
    """Runs first in each grading process, before its first submission arrives: follow the
    batch (follow_batch); take what the `grade` process found out about the sandbox moments ago
    (sandbox.process.adopt_probes) instead of probing again; start the first submission's
    worker, and collect the hidden suites while it starts up (grader.checks.collected), unless
    the fork server collected them already (mnist_preload). Without this, the first submission
    of each grading process waited for all three in turn (0.26 s, 0.13 s and 0.25 s here).
    spare_core: the batch leaves this process a core to spare (plugin.use_spare_core)."""
    follow_batch(batch_pid)
    from grader.checks import plugin, scoring
    if spare_core:
        plugin.use_spare_core()
    from grader.sandbox.process import adopt_probes
    adopt_probes(sandbox_probes)
    scoring.start_worker_ahead()
    scoring.collect_suites()


def follow_batch(batch_pid: int) -> None:
    """Runs first in each grading process: exit as soon as the `grade` process that started the
    batch is gone. A grade killed with SIGKILL cannot stop its pool, and pool processes never see
    an end of input (each holds its queue's both ends), so without this they would go on grading
    for nobody; their student workers follow them (bubblewrap --die-with-parent, PDEATHSIG).

    Temporary files (the students' scratch folders) go into one folder per grading process,
    removed when it exits either way, so a killed batch leaves nothing of the students' in /tmp."""
    own_temp = tempfile.mkdtemp(prefix="nnkit-grading-")
    tempfile.tempdir = own_temp
    multiprocessing.util.Finalize(None, shutil.rmtree, args=(own_temp,),
                                  kwargs={"ignore_errors": True}, exitpriority=0)

    def watch() -> None:
        while _is_running(batch_pid):
            time.sleep(WATCH_SECONDS)
        time.sleep(WATCH_SECONDS)           # let the student worker die with us first
        shutil.rmtree(own_temp, ignore_errors=True)
        os._exit(EXIT_ORPHANED)
    threading.Thread(target=watch, name="follow-batch", daemon=True).start()


def _is_running(pid: int) -> bool:
    """False once `pid` has exited, zombie included (its parent may not have reaped it yet)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except FileNotFoundError:
        return False
    except OSError:                         # no /proc (macOS): ask the kernel instead
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True


def grade_safely(submission: Submission, key: str = "", start_next: bool = False
                 ) -> SubmissionResult:
    """Runs in a grading process: grade, and turn a bug of the grader into a report too (one
    without the fingerprint `key`: a rerun tries again). start_next: another submission will
    probably follow in this process (scoring.grade)."""
    from grader.checks import scoring
    try:
        return replace(scoring.grade(submission, start_next=start_next), fingerprint=key)
    except Exception as error:  # a bug in nnkit: the instructor sees the traceback, the student a note
        traceback.print_exc(file=sys.stderr)
        return crash_result(submission, f"the grader failed ({type(error).__name__})")


def crash_result(submission: Submission, what: str) -> SubmissionResult:
    from grader.checks import scoring
    reason = (f"{what} while grading this submission; this is a problem of the grader, not of "
              "your work: tell your instructor")
    return scoring.ungraded(submission, [reason], status="error")
