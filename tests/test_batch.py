"""Whole classes: the layouts `grade` expands (class folder, nbgrader course, LMS zip), and batches
that resume — a rerun reuses what is graded and up to date, and a batch killed with SIGKILL,
run again, ends with every submission graded exactly once."""

from __future__ import annotations

import csv
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from grader.intake.layouts import lms_student
from grader.sandbox.confine import PR_GET_DUMPABLE, prctl
from grader.intake.submission import find_submissions

EXAMPLES = Path(__file__).parents[1] / "assignments" / "examples" / "mnist_mlp"


def notebook(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    return path


def found(*paths: Path, assignment: str | None = None, unpack: Path | None = None,
          root: Path | None = None) -> list[tuple[str, str]]:
    """(name, notebook path relative to root, by default the first path's parent) for each
    submission found."""
    root = root or paths[0].parent
    submissions = find_submissions(list(paths), assignment, unpack or root / "unpacked")
    return [(submission.name,
             str(submission.notebook_path.relative_to(root)) if submission.notebook_path else "")
            for submission in submissions]


# --- layouts -----------------------------------------------------------------------------------

def test_a_folder_of_submission_folders_is_a_class(tmp_path):
    notebook(tmp_path / "class" / "alice" / "mnist_mlp.ipynb")
    notebook(tmp_path / "class" / "bob" / "work" / "mnist_mlp.ipynb")
    (tmp_path / "class" / "carol").mkdir()                       # handed in nothing
    notebook(tmp_path / "class" / ".ipynb_checkpoints" / "x.ipynb")
    assert found(tmp_path / "class") == [
        ("alice", "class/alice/mnist_mlp.ipynb"), ("bob", "class/bob/work/mnist_mlp.ipynb"),
        ("carol", "")]


def test_a_submission_folder_is_still_one_submission(tmp_path):
    notebook(tmp_path / "alice" / "mnist_mlp.ipynb")
    notebook(tmp_path / "alice" / "data" / "scratch.ipynb")
    assert found(tmp_path / "alice") == [("alice", "alice/mnist_mlp.ipynb")]


def test_a_folder_with_a_single_sub_folder_is_one_submission_not_a_class(tmp_path):
    """alice/work/, or Gradescope's submission/ holding the folder a student uploaded."""
    notebook(tmp_path / "alice" / "work" / "mnist_mlp.ipynb")
    (tmp_path / "alice" / ".ipynb_checkpoints").mkdir()          # hidden: not a sub-folder
    assert found(tmp_path / "alice") == [("alice", "alice/work/mnist_mlp.ipynb")]
    notebook(tmp_path / "submission" / "my project" / "deep" / "mnist_mlp.ipynb")
    assert found(tmp_path / "submission") == [
        ("submission", "submission/my project/deep/mnist_mlp.ipynb")]


def test_a_class_is_a_class_however_few_students_handed_in_a_notebook(tmp_path):
    notebook(tmp_path / "class" / "alice" / "mnist_mlp.ipynb")
    for empty in ["bob", "carol"]:
        (tmp_path / "class" / empty).mkdir(parents=True)
    assert found(tmp_path / "class") == [
        ("alice", "class/alice/mnist_mlp.ipynb"), ("bob", ""), ("carol", "")]
    [bob] = [s for s in find_submissions([tmp_path / "class"], None, tmp_path / "u")
             if s.name == "bob"]
    assert bob.problem.startswith("no notebook (.ipynb) in bob/: no notebook submitted")


@pytest.mark.parametrize("given", ["course", "course/submitted"])
def test_an_nbgrader_course_gives_one_submission_per_student(tmp_path, given):
    for student in ["bob", "alice"]:
        notebook(tmp_path / "course" / "submitted" / student / "mnist_mlp" / "mnist_mlp.ipynb")
    notebook(tmp_path / "course" / "source" / "mnist_mlp" / "mnist_mlp.ipynb")
    assert found(tmp_path / given, root=tmp_path) == [
        ("alice", "course/submitted/alice/mnist_mlp/mnist_mlp.ipynb"),
        ("bob", "course/submitted/bob/mnist_mlp/mnist_mlp.ipynb")]


def test_an_nbgrader_course_with_two_assignments_names_both_or_grades_the_one_asked(tmp_path):
    submitted = tmp_path / "submitted"
    notebook(submitted / "alice" / "mnist_mlp" / "mnist_mlp.ipynb")
    notebook(submitted / "alice" / "mnist_mlp_columns" / "mnist_mlp_columns.ipynb")
    notebook(submitted / "bob" / "mnist_mlp_columns" / "mnist_mlp_columns.ipynb")
    assert [name for name, _ in found(submitted)] == [
        "alice-mnist_mlp", "alice-mnist_mlp_columns", "bob-mnist_mlp_columns"]
    assert found(submitted, assignment="mnist_mlp_columns") == [
        ("alice", "submitted/alice/mnist_mlp_columns/mnist_mlp_columns.ipynb"),
        ("bob", "submitted/bob/mnist_mlp_columns/mnist_mlp_columns.ipynb")]


@pytest.mark.parametrize("member, expected", [
    ("doejane_123456_7890123_mnist_mlp.ipynb", ("doejane", "mnist_mlp.ipynb")),          # Canvas
    ("doejane_LATE_123456_7890123_mnist_mlp-1.ipynb", ("doejane", "mnist_mlp-1.ipynb")),
    ("Jane Doe_4242_assignsubmission_file_/mnist_mlp.ipynb", ("Jane Doe", "mnist_mlp.ipynb")),  # Moodle
    ("MNIST MLP_jdoe_attempt_2026-11-22-23-59-59_mnist_mlp.ipynb", ("jdoe", "mnist_mlp.ipynb")),  # Blackboard
    ("mnist_mlp.ipynb", None),
])
def test_lms_file_names_give_the_student(member, expected):
    assert lms_student(member) == expected


def test_an_lms_zip_gives_one_submission_per_student_and_unpacks_only_notebooks(tmp_path):
    archive = tmp_path / "download.zip"
    payload = notebook(tmp_path / "payload.ipynb").read_bytes()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("doejane_123_456_mnist_mlp.ipynb", payload)
        bundle.writestr("Bob Roe_77_assignsubmission_file_/mnist_mlp.ipynb", payload)
        bundle.writestr("carol.ipynb", payload)
        bundle.writestr("../../escape.ipynb", payload)          # crafted names stay inside
        bundle.writestr("/etc/evil.ipynb", payload)
        bundle.writestr("__MACOSX/._carol.ipynb", b"junk")
        bundle.writestr("notes.txt", b"not a notebook")
    unpack = tmp_path / "unpacked"
    assert found(archive, unpack=unpack) == [
        ("Bob_Roe", "unpacked/download/Bob Roe/mnist_mlp.ipynb"),
        ("carol", "unpacked/download/carol/carol.ipynb"),
        ("doejane", "unpacked/download/doejane/mnist_mlp.ipynb"),
        ("etc", "unpacked/download/etc/evil.ipynb")]
    assert not (tmp_path.parent / "escape.ipynb").exists()
    assert sorted(str(path.relative_to(unpack)) for path in unpack.rglob("*") if path.is_file()) \
        == ["download/Bob Roe/mnist_mlp.ipynb", "download/carol/carol.ipynb",
            "download/doejane/mnist_mlp.ipynb", "download/etc/evil.ipynb"]


def test_an_unzipped_lms_download_is_a_class(tmp_path):
    for name in ["doejane_1_2_mnist_mlp.ipynb", "roebob_LATE_3_4_mnist_mlp.ipynb"]:
        notebook(tmp_path / "download" / name)
    assert [name for name, _ in found(tmp_path / "download")] == ["doejane", "roebob"]


def test_a_zip_that_is_not_a_zip_gets_a_report_not_a_crash(tmp_path):
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 truncated")
    [submission] = find_submissions([tmp_path / "bad.zip"], None, tmp_path / "unpacked")
    assert submission.notebook_path is None and "neither a notebook" in submission.problem


# --- resuming ----------------------------------------------------------------------------------

def test_a_grade_without_the_mnist_check_has_its_own_fingerprint(tmp_path):
    """So a report graded with --skip-mnist is never reused by a run that grades MNIST, nor the
    other way round (the real command: tests/test_grade_cli.py)."""
    from grader.batch import fingerprint, grading_environment
    from grader.intake.submission import read_submission

    submission = read_submission(EXAMPLES / "correct")
    with_mnist, without = grading_environment(), grading_environment(skip_mnist=True)
    assert with_mnist != without
    assert fingerprint(submission, with_mnist) != fingerprint(submission, without)
    assert grading_environment(skip_mnist=True) == without          # stable: reuse still works


@pytest.mark.mnist
def test_a_report_graded_under_weaker_isolation_is_graded_again(tmp_path, mnist_dir):
    """Graded in plain mode (Landlock, no bubblewrap), then where bubblewrap runs: the reports
    are graded again, once; a third run reuses them. Needs bubblewrap for the stronger level."""
    from grader.sandbox.process import bubblewrap_problem
    if bubblewrap_problem():
        pytest.skip(f"needs bubblewrap for a stronger isolation: {bubblewrap_problem()}")
    make_class(tmp_path, ["correct", "stubs_left"])
    out = tmp_path / "out"
    plain = {**os.environ, "NNKIT_SANDBOX": "plain"}
    auto = {key: value for key, value in os.environ.items() if key != "NNKIT_SANDBOX"}
    assert grade(out, cwd=tmp_path, env=plain).returncode == 0
    first = report_times(out)
    assert grade(out, cwd=tmp_path, env=auto).returncode == 0
    second = report_times(out)
    assert all(second[name] != first[name] for name in first)
    isolations = {json.loads((out / name / "report.json").read_text())["isolation"]
                  for name in first}
    assert isolations == {"bubblewrap + Landlock"}
    assert grade(out, cwd=tmp_path, env=auto).returncode == 0
    assert report_times(out) == second


def grade(out: Path, *args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", str(cwd / "class"), "--out", str(out),
                           *args], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env=env)


def make_class(root: Path, names: list[str]) -> Path:
    for index, name in enumerate(names):
        target = root / "class" / f"student{index:02d}" / "mnist_mlp.ipynb"
        target.parent.mkdir(parents=True)
        shutil.copy(EXAMPLES / name / "mnist_mlp.ipynb", target)
    return root / "class"


def report_times(out: Path) -> dict[str, int]:
    return {path.parent.name: path.stat().st_mtime_ns for path in out.glob("*/report.json")}


def grades(out: Path) -> list[dict]:
    with open(out / "grades.csv", newline="") as stream:
        return list(csv.DictReader(stream))


def test_a_rerun_reuses_what_is_up_to_date_and_force_regrades(tmp_path):
    make_class(tmp_path, ["correct", "stubs_left", "softmax_unstable"])
    out = tmp_path / "feedback"
    first = grade(out, "--jobs", "2", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = report_times(out)
    assert len(before) == 3

    again = grade(out, "--jobs", "2", cwd=tmp_path)
    assert again.returncode == 0 and "(0 graded now, 3 reused" in again.stdout
    assert report_times(out) == before

    edited = tmp_path / "class" / "student01" / "mnist_mlp.ipynb"
    content = json.loads(edited.read_text())
    content["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "done!"})
    edited.write_text(json.dumps(content))
    third = grade(out, "--jobs", "2", cwd=tmp_path)
    assert "(1 graded now, 2 reused" in third.stdout
    after = report_times(out)
    assert after["student01"] > before["student01"]
    assert {k: v for k, v in after.items() if k != "student01"} == {
        k: v for k, v in before.items() if k != "student01"}

    forced = grade(out, "--jobs", "2", "--force", cwd=tmp_path)
    assert "reused" not in forced.stdout
    assert all(report_times(out)[name] > after[name] for name in after)
    assert [row["submission"] for row in grades(out)] == ["student00", "student01", "student02"]


#: Runs `grade` with every import logged as (thread, module, time), and prints which of the kit's
#: modules the main thread imported while the class report's thread was importing.
IMPORTS_WHILE_PREPARING = """
import importlib.util, json, sys, threading, time
log = []
class Logged:
    def find_spec(self, name, path=None, target=None):
        frame = sys._getframe(1)
        while frame is not None:         # importlib.util.find_spec looks without importing
            if frame.f_code.co_filename in ("<frozen importlib.util>", importlib.util.__file__):
                return None
            frame = frame.f_back
        log.append((threading.current_thread().name, name, time.perf_counter()))
sys.meta_path.insert(0, Logged())
if __name__ == "__main__":
    from grader import cli
    try:
        cli.main(sys.argv[1:])
    finally:
        thread = [when for who, _, when in log if who == "prepare-class-report"]
        kit = ("grader", "reference", "studentkit")
        print(json.dumps({"thread": len(thread), "main": sorted(
            name for who, name, when in log if who == "MainThread" and thread
            and min(thread) <= when <= max(thread) and name.split(".")[0] in kit),
            "others": sorted(f"{who}: {name}" for who, name, _ in log
                             if who not in ("MainThread", "prepare-class-report"))}))
"""


def test_the_main_thread_imports_none_of_the_kit_while_the_class_report_is_imported(tmp_path):
    """The class report's code is imported in a thread while a class is graded. Had the main
    thread imported kit modules meanwhile (kit_digest imported `reference`), the two could
    deadlock: Python 3.11 locks `reference.notation` before importing `reference`, and broke
    the deadlock with a _DeadlockError that stopped a CI batch before its first report."""
    make_class(tmp_path, ["correct", "stubs_left"])
    script = tmp_path / "logged_grade.py"
    script.write_text(IMPORTS_WHILE_PREPARING)
    run = subprocess.run([sys.executable, str(script), str(tmp_path / "class"), "--out",
                          str(tmp_path / "feedback"), "--jobs", "1", "--skip-mnist"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["thread"] > 0, "the class report's thread imported nothing: is it still there?"
    assert found["main"] == []


def test_one_submissions_mnist_thread_imports_nothing_while_the_suites_are_collected(tmp_path):
    """`grade` of one submission reads MNIST in a thread (plugin._loading) while pytest imports
    and collects the hidden suites in the main thread: that thread must import nothing either."""
    make_class(tmp_path, ["correct"])
    script = tmp_path / "logged_grade.py"
    script.write_text(IMPORTS_WHILE_PREPARING)
    run = subprocess.run([sys.executable, str(script), str(tmp_path / "class" / "student00"),
                          "--out", str(tmp_path / "feedback")],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1])["others"] == []


def test_the_fork_servers_mnist_thread_imports_nothing_while_the_server_imports():
    """The batch's fork server reads MNIST in a thread while it imports the grading code
    (grader.batch.mnist_reading). Had that thread imported modules (it imported grader.sandbox
    and numpy), the two could deadlock as above, in the server every grading process comes from."""
    script = IMPORTS_WHILE_PREPARING.split("if __name__")[0] + (
        "import grader.batch.mnist_reading as reading\n"
        "reading.reader.join()\n"
        "print(json.dumps(sorted(name for who, name, _ in log if who == 'mnist-reading')))\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == []


def live_processes_marked(mark: str) -> list[int]:
    """Processes (not zombies) whose environment carries `mark`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if mark.encode() not in (proc / "environ").read_bytes():
                continue
            state = (proc / "stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in (b"Z", b"X"):
            found.append(int(proc.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_a_batch_killed_with_sigkill_resumes_and_grades_each_submission_exactly_once(tmp_path):
    names = ["correct", "stubs_left", "softmax_unstable", "missing_1_over_m", "no_relu_mask",
             "update_wrong_sign"]
    make_class(tmp_path, names)
    out = tmp_path / "feedback"
    mark = f"NNKIT_TEST_MARK_{uuid.uuid4().hex}"
    env = {**os.environ, mark: "1"}
    printed = tmp_path / "printed.txt"
    with open(printed, "wb") as stream:
        batch = subprocess.Popen([sys.executable, "-m", "grader", str(tmp_path / "class"),
                                  "--out", str(out), "--jobs", "1"], cwd=tmp_path, env=env,
                                 stdout=stream, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while len(report_times(out)) < 2 and time.monotonic() < deadline and batch.poll() is None:
        time.sleep(0.05)
    ended_by_itself = batch.poll()
    batch.send_signal(signal.SIGKILL)
    batch.wait()
    graded_before = report_times(out)
    assert 2 <= len(graded_before) < len(names), (
        f"the kill should land mid-batch; the batch had ended by itself with {ended_by_itself} "
        f"after grading {len(graded_before)} and printed:\n{printed.read_text(errors='replace')}")

    deadline = time.monotonic() + 10           # grading processes notice within 0.2 s
    while live_processes_marked(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert live_processes_marked(mark) == [], "grading processes outlived the killed batch"

    rerun = grade(out, "--jobs", "2", cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    left = len(names) - len(graded_before)
    assert f"({left} graded now, {len(graded_before)} reused" in rerun.stdout
    after = report_times(out)
    assert sorted(after) == [f"student{index:02d}" for index in range(len(names))]
    assert {name: after[name] for name in graded_before} == graded_before   # not graded twice
    rows = grades(out)
    assert [row["submission"] for row in rows] == sorted(after)               # once each
    assert [path for path in out.rglob("*") if path.name.endswith(".tmp")] == []
    for name in after:
        json.loads((out / name / "report.json").read_text())                  # complete


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_DUMPABLE is Linux's")
def test_grading_processes_and_their_fork_server_are_undumpable():
    """A worker running as the grader's own user (no bubblewrap, no Landlock) cannot write into
    a grading process, nor into the server the next ones are forked from (hide_own_memory)."""
    from concurrent.futures import ProcessPoolExecutor
    from grader import batch
    with ProcessPoolExecutor(1, mp_context=batch._context()) as pool:
        assert pool.submit(functools.partial(prctl, PR_GET_DUMPABLE)).result() == 0


def test_a_worker_started_ahead_serves_the_next_grade_and_an_unused_one_is_stopped(tmp_path):
    """scoring.start_worker_ahead: the `grade` command's single submission finds its worker
    started (beside the isolation probe); one never used is stopped and its folder removed."""
    from dataclasses import replace
    from grader.checks import scoring
    from grader.intake.submission import read_submission
    scoring.start_worker_ahead()
    spare = scoring._spare
    assert spare is not None and spare.connection.alive
    result = scoring.grade(replace(read_submission(EXAMPLES / "correct"), skip_mnist=True))
    assert result.score == result.max_score and scoring._spare is None
    assert not spare.scratch_dir.exists()
    scoring.start_worker_ahead()
    unused = scoring._spare
    scoring.discard_spare()
    assert not unused.connection.alive and not unused.scratch_dir.exists()


def test_grading_processes_adopt_the_batch_s_sandbox_probes(tmp_path, monkeypatch):
    """A grading process takes what the `grade` process found out about the sandbox (whether
    bubblewrap runs, what the interpreter loads) instead of probing again: here the batch's
    answer is a made-up reason not to use bubblewrap, which a probe of their own would not give,
    and every report says it."""
    from dataclasses import replace
    from grader.batch import grade_batch
    from grader.intake.submission import read_submission
    from grader.sandbox import process
    reason = "bubblewrap was ruled out by this test's pretend probe"
    monkeypatch.setattr(process, "_BUBBLEWRAP_PROBLEM", [reason])
    submissions = [replace(read_submission(EXAMPLES / name), skip_mnist=True)
                   for name in ("correct", "softmax_wrong_axis")]
    graded = list(grade_batch(submissions, tmp_path / "out", jobs=1, skip_mnist=True))
    assert len(graded) == 2
    for item in graded:
        assert reason in item.result.isolation, item.result.isolation


def test_a_grading_process_starts_its_first_worker_and_collects_the_suites_before_its_first_task():
    """start_grading_process: the first submission of a grading process finds its worker
    starting and the hidden suites collected, rather than waiting for each in turn."""
    from concurrent.futures import ProcessPoolExecutor
    from grader import batch
    from grader.sandbox.process import probes
    with ProcessPoolExecutor(1, mp_context=batch._context(), initializer=batch.start_grading_process,
                             initargs=(os.getpid(), probes())) as pool:
        assert pool.submit(_first_task_finds).result() == (True, True)


def test_the_fork_server_collects_the_suites_for_every_grading_process_it_forks():
    """mnist_preload collects the hidden suites in the fork server: a grading process forked
    from it has them before any initializer of its own runs."""
    from concurrent.futures import ProcessPoolExecutor
    from grader import batch
    with ProcessPoolExecutor(1, mp_context=batch._context()) as pool:
        assert pool.submit(_suites_collected).result()


def _suites_collected() -> bool:
    from grader.checks import collected, scoring
    return tuple(scoring.SUITES_ARGS) in collected._COLLECTED


def _first_task_finds() -> tuple[bool, bool]:
    """In a grading process: (its worker started ahead runs, the suites are collected)."""
    from grader.checks import collected, scoring
    return (scoring._spare is not None and scoring._spare.connection.alive,
            tuple(scoring.SUITES_ARGS) in collected._COLLECTED)


def test_the_batch_passes_on_only_what_it_has_found_out_and_asks_nothing_itself(monkeypatch):
    """probes() starts no worker and no interpreter: in plain mode the `grade` process never
    asked whether bubblewrap runs, and its batch must not start a bubblewrap worker to find out."""
    from grader.sandbox import allowlist, process

    def asked():
        raise AssertionError("probes() asked the machine itself")
    monkeypatch.setattr(process, "_BUBBLEWRAP_PROBLEM", [])
    monkeypatch.setattr(allowlist, "_RUNTIME", [])
    monkeypatch.setattr(process, "_probe_bubblewrap", asked)
    monkeypatch.setattr(allowlist, "_ask_runtime", asked)
    assert process.probes() == ([], [])
    process._BUBBLEWRAP_PROBLEM.append("no bwrap here")
    assert process.probes() == (["no bwrap here"], [])
