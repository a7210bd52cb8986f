"""`grade` end to end, as an instructor runs it: exit statuses, report files, and real grading of a
correct and a broken submission (each in its own grading process, student code in the sandbox)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grader.assignments import ASSIGNMENTS
from grader.cli import main
from grader.selftest import reference_source

SUBMISSIONS = Path(__file__).with_name("submissions")
BROKEN = SUBMISSIONS / "broken"


def grade(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run `python -m grader` in a fresh process, exactly as the console script would."""
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


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
    assert "cell 6 has a syntax error" in by_name["cross_entropy: values"]["message"]
    assert by_name["backprop: values"]["message"] == (
        "backprop is not defined (did you delete or rename its cell?)")
    assert by_name["update: no mutation"]["status"] == "failed"
    assert {test["status"] for test in data["tests"]} <= {"passed", "failed", "error", "timeout"}
    assert "cell 11, line 2" in {item_where(item) for item in data["skipped"]}
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
    assert sorted(path.name for path in out.iterdir() if path.is_file()) == ["grades.csv"]


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
    run = grade(str(tmp_path / "nobody"), "--out", str(tmp_path / "fb"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "fb" / "nobody" / "report.json").exists()


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
    for expected in ["--out DIR", "--assignment ID", "--jobs N", "--fail-under PCT", "exit status:"]:
        assert expected in text


# --- the scoring rules, on hand-made outcomes ------------------------------------------------------

def test_a_checks_points_are_shared_by_its_cases_and_its_worst_status_wins():
    from grader.results import CaseResult
    from grader.scoring import score_check

    cases = [CaseResult("m=1", "passed"), CaseResult("m=2", "failed", "wrong values", {"hint": "h"}),
             CaseResult("m=3", "timeout", "too slow"), CaseResult("m=4", "error", "raised")]
    check = score_check("softmax", "values", 4.0, cases)
    assert (check.score, check.max_score, check.status) == (1.0, 4.0, "timeout")
    assert (check.message, check.feedback) == ("wrong values", {"hint": "h"})   # the first failure
    assert check.name == "softmax: values"
    assert score_check("relu", "values", 2.0, [CaseResult("", "passed")]).status == "passed"


def test_outcomes_name_only_student_facing_text():
    from grader.feedback import Feedback
    from grader.plugin import classify
    from grader.sandbox import MissingFunction, StudentRaised, StudentTimeout

    secret = "/work/main/grader/suites/test_softmax.py: assert got == EXPECTED_SECRET"
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
    from grader.plugin import GradingSession
    from grader.sandbox import StudentTimeout
    from grader.scoring import run_suites

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
    from grader import batch, scoring
    from grader.submission import read_submission

    def broken_grade(submission):
        raise KeyError("/work/main/grader/suites/secret.py")
    monkeypatch.setattr(scoring, "grade", broken_grade)
    result = batch.grade_safely(read_submission(BROKEN / "mnist_mlp.ipynb"))
    assert result.score == 0 and result.max_score == 100
    assert result.problems == ["the grader failed (KeyError) while grading this submission; this "
                               "is a problem of the grader, not of your work: tell your instructor"]
    assert {check.status for check in result.checks} == {"error"}
    assert "Traceback" in capsys.readouterr().err   # for the instructor, not in the report
