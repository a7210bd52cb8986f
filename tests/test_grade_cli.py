"""`grade` end to end, as an instructor runs it: exit statuses, report files, and real grading of a
correct and a broken submission (each in its own grading process, student code in the sandbox)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.assignments import ASSIGNMENTS
from grader.cli import main
from grader.instructor.selftest import reference_source

SUBMISSIONS = Path(__file__).with_name("submissions")
BROKEN = SUBMISSIONS / "broken"
EXAMPLES = Path(__file__).parents[1] / "assignments" / "examples"
CORRECT = EXAMPLES / "mnist_mlp" / "correct"


def grade(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """Run `python -m grader` in a fresh process, exactly as the console script would, with
    `env` added to its environment."""
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, **env})


def report(out: Path, name: str) -> dict:
    return json.loads((out / name / "report.json").read_text())


@pytest.fixture(scope="module")
def correct_py(tmp_path_factory) -> Path:
    """The reference, as a student .py submission of the rows assignment."""
    path = tmp_path_factory.mktemp("correct") / "mnist_mlp.py"
    path.write_text(reference_source(ASSIGNMENTS["mnist_mlp"]))
    return path


@pytest.fixture(scope="module")
def batch(tmp_path_factory, correct_py):
    """One run over a correct .py, a broken notebook and a folder with no notebook, two at a time,
    failing under 90 %."""
    root = tmp_path_factory.mktemp("batch")
    (root / "empty_folder").mkdir()
    out = root / "feedback"
    run = grade(str(correct_py), str(BROKEN), str(root / "empty_folder"), "--out", str(out),
                "--jobs", "2", "--fail-under", "90", cwd=root)
    return run, out


@pytest.mark.mnist
def test_a_correct_submission_gets_full_marks(batch, mnist_dir):
    # mnist_dir (tests/conftest.py) skips, or fails in CI, when MNIST cannot be had: the MNIST
    # check is then an error, and full marks impossible.
    run, out = batch
    data = report(out, "mnist_mlp")
    failing = [(test["name"], test["message"]) for test in data["tests"] if test["status"] != "passed"]
    assert failing == []
    assert data["score"] == data["max_score"] == 100
    assert data["assignment"] == "mnist_mlp" and data["isolation"]


def test_a_broken_submission_gets_a_report_that_says_what_is_wrong(batch):
    run, out = batch
    data = report(out, "broken")
    by_name = {test["name"]: test for test in data["tests"]}
    assert 0 < data["score"] < data["max_score"]
    assert by_name["relu: values"]["status"] == "passed"
    assert by_name["relu_derivative: zero at zero"]["status"] == "failed"
    assert by_name["softmax: large logits"]["status"] == "failed"
    assert "code cell 5 has a syntax error" in by_name["cross_entropy: values"]["message"]
    assert by_name["backprop: values"]["message"] == (
        "backprop is not defined (did you delete or rename its cell?)")
    assert by_name["update: no mutation"]["status"] == "failed"
    assert {test["status"] for test in data["tests"]} <= {"passed", "failed", "error", "timeout"}
    assert "cell 9, line 2" in {item_where(item) for item in data["skipped"]}   # code cell 9
    # Student output is data, escaped in the HTML report.
    page = (out / "broken" / "report.html").read_text()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def item_where(item: dict) -> str:
    return f"cell {item['cell_index'] + 1}, line {item['line']}"


def test_a_folder_without_notebook_still_gets_a_report(batch):
    run, out = batch
    data = report(out, "empty_folder")
    assert data["score"] == 0 and data["max_score"] == 100
    assert data["problems"][0].startswith("no notebook (.ipynb) in empty_folder/")


def test_fail_under_exits_1_and_names_who_is_below(batch):
    run, out = batch
    assert run.returncode == 1, run.stderr
    assert "2 of 3 submission(s) scored below 90 %: broken" in run.stderr
    assert "Traceback" not in run.stderr


def test_every_report_file_is_written_and_no_temporary_file_is_left(batch):
    run, out = batch
    for name in ["mnist_mlp", "broken", "empty_folder"]:
        assert sorted(path.name for path in (out / name).iterdir()) == [
            "report.html", "report.json", "report.md", "results.json"]
    assert sorted(path.name for path in out.iterdir() if path.is_file()) == [
        ".notebooks.json", "class.html", "class.json", "class.md", "grades.csv"]


def test_a_batch_shows_a_line_per_submission_and_a_summary(batch):
    run, out = batch
    for name in ["mnist_mlp", "broken", "empty_folder"]:
        assert f"/ 100  {name}" in run.stdout
    for title in ["Score distribution", "Exercises", "Slowest", "Problems (", "gradebook:"]:
        assert title in run.stdout


def test_one_submission_shows_its_whole_report(tmp_path):
    run = grade(str(BROKEN), "--out", str(tmp_path / "fb"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "softmax" in run.stdout and "reports:" in run.stdout
    assert "Score distribution" not in run.stdout


def test_graded_submissions_exit_0_whatever_their_score(tmp_path):
    (tmp_path / "nobody").mkdir()
    run = grade(str(tmp_path / "nobody"), "--out", str(tmp_path / "fb"), "--allow-empty",
                cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    data = report(tmp_path / "fb", "nobody")
    assert data["score"] == 0 and "no notebook submitted" in data["problems"][-1]


@pytest.mark.parametrize("args, message", [
    (["does/not/exist"], "grade: no such file or folder: does/not/exist; give a submission folder"),
    ([".", "--assignment", "nope"], "grade: unknown assignment 'nope'; known assignments: mnist_mlp"),
    ([], "grade: the following arguments are required: PATH (see `grade --help`)"),
    ([".", "--jobs", "0"], "grade: --jobs must be at least 1"),
    ([".", "--fail-under", "120"], "grade: --fail-under is a percentage between 0 and 100"),
    ([".", "--jobs", "many"], "grade: argument --jobs: invalid int value: 'many'"),
    ([".", "--out", __file__], f"grade: --out {__file__} is a file; give a folder"),
])
def test_usage_errors_exit_2_with_one_line(tmp_path, capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1 and "Traceback" not in err


def test_help_reads_like_a_manual(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for expected in ["--out DIR", "--assignment ID", "--jobs N", "--fail-under PCT", "exit status:",
                     "--skip-mnist", "--allow-empty", "MNIST missing without --skip-mnist",
                     "a lone PATH holding no"]:
        assert expected in text


# --- the scoring rules, on hand-made outcomes ------------------------------------------------------

def test_a_checks_points_are_shared_by_its_cases_and_its_worst_status_wins():
    from grader.results import CaseResult
    from grader.checks.scoring import score_check

    cases = [CaseResult("m=1", "passed"), CaseResult("m=2", "failed", "wrong values", {"hint": "h"}),
             CaseResult("m=3", "timeout", "too slow"), CaseResult("m=4", "error", "raised")]
    check = score_check("softmax", "values", 4.0, cases)
    assert (check.score, check.max_score, check.status) == (1.0, 4.0, "timeout")
    assert (check.message, check.feedback) == ("wrong values", {"hint": "h"})   # the first failure
    assert check.name == "softmax: values"
    assert score_check("relu", "values", 2.0, [CaseResult("", "passed")]).status == "passed"


def test_outcomes_name_only_student_facing_text():
    from grader.checks.feedback import Feedback
    from grader.checks.plugin import classify
    from grader.sandbox import MissingFunction, StudentRaised, StudentTimeout

    secret = "/work/main/grader/checks/suites/test_softmax.py: assert got == EXPECTED_SECRET"
    assert classify(None) == ("passed", "", None)
    assert classify(Feedback("bad shape", hint="transpose"))[:2] == ("failed", "bad shape")
    assert classify(StudentTimeout("softmax did not finish"))[:2] == ("timeout", "softmax did not finish")
    assert classify(MissingFunction("softmax"))[0] == "failed"
    raised = classify(StudentRaised("ValueError", "shapes", "File \"<cell 3>\", line 2"))
    assert raised[0] == "error" and raised[2]["traceback"] == "File \"<cell 3>\", line 2"
    assert classify(AssertionError(secret)) == (
        "failed", "the check could not complete: AssertionError", None)
    assert classify(KeyError(secret)) == ("error", "the check could not complete: KeyError", None)


def test_after_a_timeout_the_exercise_stops_calling_that_function():
    """One endless loop costs its own exercise, not the submission's whole time budget."""
    import reference
    from fake_student import FakeMnist, FakeStudent
    from grader.checks.plugin import GradingSession
    from grader.sandbox import StudentTimeout
    from grader.checks.scoring import run_suites

    calls = []

    def relu(Z):
        calls.append(Z.shape)
        raise StudentTimeout("`relu` did not return within 10 s")

    functions = {name: getattr(reference, name) for name in
                 ("relu_derivative", "softmax", "cross_entropy", "init_params", "forward",
                  "backprop", "update")}
    session = GradingSession(FakeStudent.from_functions({**functions, "relu": relu}),
                             ASSIGNMENTS["mnist_mlp"], FakeMnist(error="not needed here"),
                             not_run={"mnist_accuracy"})
    run_suites(session)
    relu_cases = [outcome for outcome in session.outcomes if outcome.exercise == "relu"]
    assert len(calls) == 1 and len(relu_cases) > 1
    assert {outcome.status for outcome in relu_cases} == {"timeout"}
    assert relu_cases[1].message == ("not run: an earlier check of relu timed out "
                                     "(`relu` did not return within 10 s)")
    others = [outcome for outcome in session.outcomes if outcome.exercise != "relu"]
    assert others and {outcome.status for outcome in others} == {"passed"}


def test_a_bug_in_the_grader_still_gives_a_report(monkeypatch, capsys):
    from grader import batch
    from grader.checks import scoring
    from grader.intake.submission import read_submission

    def broken_grade(submission, **options):
        raise KeyError("/work/main/grader/checks/suites/secret.py")
    monkeypatch.setattr(scoring, "grade", broken_grade)
    result = batch.grade_safely(read_submission(BROKEN / "mnist_mlp.ipynb"))
    assert result.score == 0 and result.max_score == 100
    assert result.problems == ["the grader failed (KeyError) while grading this submission; this "
                               "is a problem of the grader, not of your work: tell your instructor"]
    assert {check.status for check in result.checks} == {"error"}
    assert "Traceback" in capsys.readouterr().err   # for the instructor, not in the report


# --- without MNIST: nothing graded, or --skip-mnist -----------------------------------------------

def test_without_mnist_nothing_is_graded_and_the_instructor_is_told_how_to_get_it(tmp_path):
    empty = tmp_path / "no_mnist_here"
    empty.mkdir()
    out = tmp_path / "feedback"
    started = time.monotonic()
    run = grade(str(CORRECT), str(BROKEN), "--out", str(out), cwd=tmp_path, MNIST_DIR=str(empty))
    assert run.returncode == 2, run.stderr
    assert time.monotonic() - started < 60              # MNIST_DIR set: no download is tried
    assert not out.exists()                             # no reports, no grades.csv, no folder
    assert run.stdout == "" and "Traceback" not in run.stderr
    err = run.stderr
    assert err.startswith("grade: nothing was graded: the mnist_accuracy exercise (18 of the "
                          "rubric's 100 points) trains on MNIST, which cannot be found.")
    assert f"MNIST_DIR is set to {empty}, and none of the four files is there." in err
    for way in ["set MNIST_DIR to a folder holding the four official files",
                "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
                "run where the network reaches the official mirrors",
                "pass --skip-mnist to grade everything else"]:
        assert way in err


def test_an_existing_reports_folder_is_left_as_it_was_without_mnist(tmp_path):
    out = tmp_path / "feedback"
    (out / "alice").mkdir(parents=True)
    (out / "alice" / "report.json").write_text("{}")
    run = grade(str(CORRECT), "--out", str(out), cwd=tmp_path, MNIST_DIR=str(tmp_path))
    assert run.returncode == 2
    assert sorted(str(path.relative_to(out)) for path in out.rglob("*")) == [
        "alice", "alice/report.json"]


def test_the_probe_names_the_missing_files_and_downloads_only_without_mnist_dir(
        tmp_path, monkeypatch, mnist_dir):
    from grader.batch import mnist_probe

    partial = tmp_path / "partial"
    partial.mkdir()
    for name in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz"]:
        (partial / name).symlink_to(mnist_dir / name)
    (partial / "t10k-labels-idx1-ubyte").write_bytes(b"")    # un-gzipped counts as there
    monkeypatch.setenv("MNIST_DIR", str(partial))
    assert mnist_probe.unavailable() is None
    (partial / "t10k-labels-idx1-ubyte").unlink()
    assert mnist_probe.unavailable() == (f"MNIST_DIR is set to {partial}, and "
                                         "t10k-labels-idx1-ubyte.gz is not there.")

    # MNIST_DIR unset: the loader's default folder, and one quick download attempt per mirror.
    tried = []

    def offline(url, timeout):
        tried.append((url, timeout))
        raise OSError("network unreachable")
    monkeypatch.delenv("MNIST_DIR")
    monkeypatch.setattr("studentkit.mnist.find_mnist_dir", lambda data_dir=None: Path(
        data_dir) if data_dir else tmp_path / "default")
    monkeypatch.setattr(mnist_probe, "_impatient_urlopen", offline)
    where = mnist_probe.unavailable()
    assert where.startswith(f"MNIST_DIR is not set, so nnkit looked in its default folder "
                            f"{tmp_path / 'default'}: none of the four files is there, and "
                            "downloading failed (https://")
    assert "network unreachable" in where and len(tried) == 3
    assert list((tmp_path / "default").iterdir()) == []      # no partial download left


@pytest.mark.parametrize("mnist_dir_set", [True, False])
def test_the_fork_server_starts_before_the_probe_only_where_the_probe_cannot_download(
        tmp_path, monkeypatch, mnist_dir_set):
    """The server reads MNIST as it starts: had it started while the probe downloads MNIST into
    the default folder, it could find the files missing and every report would lose the MNIST
    check. So it starts first only with MNIST_DIR set (never written to) or --skip-mnist."""
    import grader.cli as cli

    calls = []
    monkeypatch.setattr(cli, "start_server", lambda expected: calls.append("server"))
    monkeypatch.setattr(cli.mnist_probe, "unavailable",
                        lambda: calls.append("probe") or "no MNIST here (a test)")
    if mnist_dir_set:
        monkeypatch.setenv("MNIST_DIR", str(tmp_path))
    else:
        monkeypatch.delenv("MNIST_DIR", raising=False)
    assert cli.main([str(CORRECT), str(BROKEN), "--out", str(tmp_path / "feedback")]) == 2
    assert calls == (["server", "probe"] if mnist_dir_set else ["probe"])


@pytest.fixture(scope="module")
def without_mnist(tmp_path_factory):
    """The correct example graded with --skip-mnist where there is no MNIST at all."""
    root = tmp_path_factory.mktemp("skip_mnist")
    (root / "no_mnist").mkdir()
    out = root / "feedback"
    run = grade(str(CORRECT), "--out", str(out), "--skip-mnist", "--fail-under", "100", cwd=root,
                MNIST_DIR=str(root / "no_mnist"))
    return run, out


def test_skip_mnist_grades_the_rest_out_of_82(without_mnist):
    run, out = without_mnist
    assert run.returncode == 0, run.stderr      # 100 % of what was graded: --fail-under 100 met
    assert "--skip-mnist: mnist_accuracy is not graded; scores are out of 82" in run.stdout
    data = report(out, "correct")
    assert (data["score"], data["max_score"], data["percent"]) == (82, 82, 100)
    statuses = {(test["exercise"], test["status"]) for test in data["tests"]}
    assert {status for exercise, status in statuses if exercise == "mnist_accuracy"} == {"skipped"}
    assert {status for exercise, status in statuses if exercise != "mnist_accuracy"} == {"passed"}
    for test in data["tests"]:
        if test["exercise"] == "mnist_accuracy":
            assert (test["score"], test["max_score"]) == (0, 0)
            assert test["message"] == ("not run for this submission, so it counts neither in "
                                       "your score nor in the maximum")


def test_skip_mnist_reads_not_graded_in_every_report(without_mnist):
    run, out = without_mnist
    folder = out / "correct"
    text = (folder / "report.md").read_text()
    assert "**Score: 82 / 82 (100 %)**" in text
    assert "| ➖ | mnist_accuracy | not graded | not run |" in text and "## Not graded" in text
    page = (folder / "report.html").read_text()
    assert '<td class="num skipped">not graded</td>' in page and "<h2>Not graded</h2>" in page
    with open(out / "grades.csv", newline="") as stream:
        [row] = list(csv.DictReader(stream))
    assert (row["score"], row["max_score"], row["mnist_accuracy"]) == ("82", "82", "not graded")
    results = json.loads((folder / "results.json").read_text())
    assert results["score"] == 82
    mnist = [test for test in results["tests"]
             if test["extra_data"]["exercise"] == "mnist_accuracy"]
    assert [test["name"] for test in mnist] == ["mnist_accuracy: learns (not graded)",
                                                "mnist_accuracy: accuracy (not graded)"]
    for name in ["report.md", "report.html", "results.json", "report.json"]:
        shown = (folder / name).read_text()
        assert "no_mnist" not in shown and "MNIST_DIR" not in shown and "internet" not in shown


@pytest.mark.mnist
def test_a_grade_without_mnist_is_not_reused_once_mnist_is_graded(without_mnist, mnist_dir,
                                                                  tmp_path):
    _, graded_without = without_mnist
    out = tmp_path / "feedback"
    shutil.copytree(graded_without, out)
    full = grade(str(CORRECT), "--out", str(out), cwd=tmp_path, MNIST_DIR=str(mnist_dir))
    assert full.returncode == 0, full.stderr
    data = report(out, "correct")
    assert (data["score"], data["max_score"]) == (100, 100)
    assert {test["status"] for test in data["tests"]} == {"passed"}
    # ... and the other way round: a full grade is not what --skip-mnist asked for either.
    again = grade(str(CORRECT), "--out", str(out), "--skip-mnist", cwd=tmp_path,
                  MNIST_DIR=str(mnist_dir))
    assert again.returncode == 0, again.stderr
    assert report(out, "correct")["max_score"] == 82


def test_the_selftest_names_missing_mnist_as_the_cause(tmp_path):
    run = subprocess.run([sys.executable, "-m", "grader.instructor.selftest", "--jobs", "2"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "MNIST_DIR": str(tmp_path)})
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stdout.count("✔") == 4 and "82 / 82" in run.stdout      # the rest is checked
    assert "mnist_accuracy was not checked: the MNIST files cannot be found" in run.stdout
    assert f"MNIST_DIR is set to {tmp_path}, and none of the four files is there." in run.stdout
    assert "need fixing" not in run.stdout


# --- what grade is given --------------------------------------------------------------------------

def test_a_lone_path_without_a_notebook_is_a_usage_error_and_writes_nothing(tmp_path):
    (tmp_path / "wrong_folder" / "data").mkdir(parents=True)
    (tmp_path / "wrong_folder" / "README.txt").write_text("not a submission")
    run = grade(str(tmp_path / "wrong_folder"), "--out", str(tmp_path / "fb"), cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.startswith(f"grade: {tmp_path / 'wrong_folder'} holds no notebook (.ipynb); "
                                 "give a submission folder, a class folder")
    assert run.stderr.count("\n") == 1 and not (tmp_path / "fb").exists()


@pytest.mark.parametrize("name", ["notes.txt", "report.pdf", "mnist_mlp"])
def test_a_file_of_another_kind_is_a_usage_error_even_among_others(tmp_path, capsys, name):
    (tmp_path / name).write_text("hello")
    assert main([str(tmp_path / name), str(BROKEN), "--out", str(tmp_path / "fb")]) == 2
    err = capsys.readouterr().err
    assert err == (f"grade: {tmp_path / name} is neither a notebook (.ipynb), a Python file (.py) "
                   "nor an LMS download (.zip); give one of those, or the folder that holds the "
                   "submissions\n")
    assert not (tmp_path / "fb").exists()


@pytest.mark.parametrize("layout", ["class folder", "explicit folders"])
def test_a_student_folder_without_a_notebook_gets_a_zero_row(tmp_path, layout):
    shutil.copytree(CORRECT, tmp_path / "class" / "alice")
    (tmp_path / "class" / "bob").mkdir()
    paths = ([str(tmp_path / "class")] if layout == "class folder"
             else [str(tmp_path / "class" / "alice"), str(tmp_path / "class" / "bob")])
    out = tmp_path / "fb"
    run = grade(*paths, "--out", str(out), "--skip-mnist", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    with open(out / "grades.csv", newline="") as stream:
        rows = {row["submission"]: row for row in csv.DictReader(stream)}
    assert (rows["alice"]["score"], rows["bob"]["score"], rows["bob"]["max_score"]) == (
        "82", "0", "82")
    assert report(out, "bob")["problems"] == [
        "no notebook (.ipynb) in bob/: no notebook submitted, so there was nothing to grade; the "
        "folder should hold the assignment's notebook"]


def test_a_notebook_of_another_assignment_is_graded_as_asked_with_a_warning(tmp_path):
    columns = EXAMPLES / "mnist_mlp_columns" / "correct"
    out = tmp_path / "fb"
    run = grade(str(columns), str(CORRECT), "--assignment", "mnist_mlp", "--skip-mnist",
                "--out", str(out), cwd=tmp_path, COLUMNS="400")
    assert run.returncode == 0, run.stderr
    names = {path.parent.name for path in out.glob("*/report.json")}
    columns_name = next(name for name in names if "columns" in name)
    warning = ("mnist_mlp_columns.ipynb says it is for assignment 'mnist_mlp_columns' (its "
               "metadata) but it was graded as 'mnist_mlp', as the instructor asked (--assignment "
               "mnist_mlp); checks written for mnist_mlp may fail only because of that")
    data = report(out, columns_name)
    assert data["assignment"] == "mnist_mlp" and data["problems"] == [warning]
    assert data["score"] < data["max_score"]
    assert report(out, next(name for name in names if name != columns_name))["problems"] == []
    problems = run.stdout[run.stdout.index("Problems (1)"):]
    assert columns_name in problems and warning in problems
    assert f"- {warning}" in (out / columns_name / "report.md").read_text()


# --- isolation ---------------------------------------------------------------------------------

LIMITS_ONLY = ("limits only (bubblewrap (bwrap) is not installed; Landlock unavailable: this "
               "kernel has no Landlock): student code can read and write whatever the grader's "
               "user can, the hidden suites included")


def test_require_isolation_refuses_to_grade_where_student_code_cannot_be_contained(
        tmp_path, monkeypatch, capsys):
    """Where neither bubblewrap nor Landlock can run (macOS, an old kernel), --require-isolation
    grades nothing, writes nothing and exits 3; the message says why and what to install."""
    from grader import cli
    monkeypatch.setattr(cli, "available_isolation", lambda: LIMITS_ONLY)
    out = tmp_path / "feedback"
    status = main([str(CORRECT), "--out", str(out), "--require-isolation", "--skip-mnist"])
    assert status == 3
    assert not out.exists()
    error = capsys.readouterr().err
    assert "student code cannot be contained here" in error and "bubblewrap" in error
    assert "Landlock" in error and error.count("\n") == 1


def test_without_isolation_the_batch_says_so_at_its_top(tmp_path, monkeypatch, capsys):
    """Graded anyway (no --require-isolation): the warning comes before the first submission's
    line and again above the summary."""
    from grader import cli
    monkeypatch.setattr(cli, "available_isolation", lambda: LIMITS_ONLY)
    monkeypatch.setattr(cli, "grade_batch", lambda *args, **kwargs: iter(()))
    assert main([str(CORRECT), str(BROKEN), "--out", str(tmp_path / "out"), "--skip-mnist"]) == 0
    shown = capsys.readouterr().out
    assert shown.lstrip().startswith("WARNING: student code is not contained here")
    assert "could read the hidden suites" in " ".join(shown.split())


def test_the_isolation_in_force_is_one_line_at_the_top(tmp_path, capsys):
    assert main([str(CORRECT), "--out", str(tmp_path / "out"), "--skip-mnist"]) == 0
    first = capsys.readouterr().out.lstrip().splitlines()[0]
    assert first.startswith(("isolation: bubblewrap + Landlock",
                             "isolation: Landlock, without bubblewrap"))


# --- starting up -------------------------------------------------------------------------------

def test_the_fork_server_starts_before_the_isolation_probe_for_a_class_only(tmp_path, monkeypatch):
    """A class: the server's preload (1-2 s) runs beside the probe and the reading of the
    submissions. One submission is graded in the grade process itself: no server (start_server
    starts none below 2), but its worker starts up beside the probe."""
    from grader import cli

    class Probed(Exception):
        """Stops the command at the probe: what came before it is what this test is about."""
    calls = []

    def probe():
        calls.append("probe")
        raise Probed
    from grader.checks import scoring
    monkeypatch.setattr(cli, "start_server", lambda expected: calls.append(expected))
    monkeypatch.setattr(scoring, "start_worker_ahead", lambda: calls.append("worker"))
    monkeypatch.setattr(cli, "available_isolation", probe)
    examples = len([folder for folder in (EXAMPLES / "mnist_mlp").iterdir() if folder.is_dir()])
    for paths, expected in [([EXAMPLES / "mnist_mlp"], examples),
                            ([EXAMPLES / "mnist_mlp", "--shard", f"1/{examples}"], 1),
                            ([CORRECT, BROKEN], 2), ([CORRECT], 1)]:
        calls.clear()
        with pytest.raises(Probed):
            main([*map(str, paths), "--out", str(tmp_path / "out"), "--skip-mnist"])
        assert calls == [expected, *(["worker"] if expected == 1 else []), "probe"], paths
    assert examples >= 2


@pytest.mark.parametrize("expected, started", [(1, False), (2, True)])
def test_start_server_starts_one_for_two_submissions_or_more(expected, started):
    probe = ("import multiprocessing.forkserver as server; from grader.batch import start_server; "
             f"start_server({expected}); print(server._forkserver._forkserver_pid is not None)")
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           check=True, timeout=120).stdout.strip()
    assert shown == str(started)
