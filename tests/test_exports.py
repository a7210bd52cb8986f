"""The exports: grades.csv for a batch, Gradescope's results.json for one submission, and the
order in which write_reports writes a submission's files."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from unittest import mock

import pytest

from gradescope_schema import check_format, check_results_json, parse
from grader import render
from grader.render import gradebook, gradescope, jsonreport
from grader.results import CaseResult, CheckResult, ExerciseResult, LoadError, Skipped, \
    SubmissionResult
from grader.checks.rubric import load as load_rubric

RUBRIC = load_rubric()
EXAMPLES = Path(__file__).resolve().parents[1] / "assignments" / "examples" / "mnist_mlp"
HOSTILE = "<script>alert('x')</script> [link](http://x) ``` | *"


def result_from_rubric(name: str, earned, status_of=lambda exercise, check: "failed",
                       feedback: dict | None = None) -> SubmissionResult:
    """A result with every rubric check; `earned(exercise, check, points)` gives its score, and a
    check short of its points gets `status_of(exercise, check)` and `feedback`."""
    exercises = []
    for exercise in RUBRIC.exercises():
        checks = []
        for check in RUBRIC.checks(exercise):
            points = RUBRIC.points(exercise, check)
            score = earned(exercise, check, points)
            passed = score == points
            status = "passed" if passed else status_of(exercise, check)
            message = "" if passed else (feedback or {}).get("summary", f"{check} is wrong")
            checks.append(CheckResult(
                f"{exercise}: {check.replace('_', ' ')}", exercise, check, status, score, points,
                message, None if passed else feedback,
                [CaseResult("", status, message, None if passed else feedback)]))
        exercises.append(ExerciseResult(exercise, checks))
    total = round(sum(exercise.score for exercise in exercises), 4)
    return SubmissionResult(name, "mnist_mlp", total, RUBRIC.max_score(), exercises,
                            isolation="bubblewrap", seconds=1.6, kit_version="0.1.0")


def full_marks(name: str = "alice") -> SubmissionResult:
    return result_from_rubric(name, lambda exercise, check, points: points)


def softmax_wrong(name: str = "bob") -> SubmissionResult:
    """Loses every softmax check and a third of each backprop check; the rest is right."""
    feedback = {"summary": f"softmax(Z) returned nan {HOSTILE}", "expected": "[[0.5, 0.5]]",
                "got": "[[nan, nan]] ```", "input": "Z = [[1000.0, 1000.0]]",
                "hint": f"Subtract each sample's maximum logit. {HOSTILE}"}

    def earned(exercise, check, points):
        return {"softmax": 0.0, "backprop": round(points * 2 / 3, 4)}.get(exercise, points)
    return result_from_rubric(name, earned, feedback=feedback,
                              status_of=lambda exercise, check: "timeout" if exercise == "backprop"
                              else "failed")


def mnist_not_graded(result: SubmissionResult) -> SubmissionResult:
    """`result` as `grade --skip-mnist` makes it: mnist_accuracy's checks not graded, 0 of 0,
    and the score and maximum without them."""
    why = "not run for this submission, so it counts neither in your score nor in the maximum"
    exercises = [exercise if exercise.name != "mnist_accuracy" else ExerciseResult(
        exercise.name, [replace(check, status="skipped", score=0.0, max_score=0.0, message=why,
                                feedback=None, cases=[CaseResult("", "skipped", why)])
                        for check in exercise.checks]) for exercise in result.exercises]
    return replace(result, exercises=exercises,
                   score=round(sum(exercise.score for exercise in exercises), 4),
                   max_score=round(sum(exercise.max_score for exercise in exercises), 4))


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- grades.csv -----------------------------------------------------------------------------------

def test_gradebook_has_one_column_per_exercise_in_rubric_order():
    text = gradebook.render([full_marks()])
    header = next(csv.reader(io.StringIO(text)))
    assert header == ["submission", "score", "max_score", *RUBRIC.exercises()]
    assert header[3] == "relu" and header[-1] == "mnist_accuracy"


def test_gradebook_rows_are_sorted_by_name_whatever_the_grading_order():
    results = [softmax_wrong("zoe"), full_marks("alice"), softmax_wrong("bob")]
    text = gradebook.render(results)
    assert [row["submission"] for row in rows(text)] == ["alice", "bob", "zoe"]
    assert gradebook.render(results[::-1]) == text


def test_gradebook_numbers_are_points_without_float_noise():
    by_name = {row["submission"]: row for row in rows(gradebook.render(
        [full_marks("alice"), softmax_wrong("bob")]))}
    alice, bob = by_name["alice"], by_name["bob"]
    assert (alice["score"], alice["max_score"]) == ("100", "100")
    assert all(alice[exercise] == f"{RUBRIC.exercise_points(exercise):g}"
               for exercise in RUBRIC.exercises())
    assert bob["softmax"] == "0" and bob["relu"] == alice["relu"]
    backprop = sum(round(RUBRIC.points("backprop", check) * 2 / 3, 4)
                   for check in RUBRIC.checks("backprop"))
    assert float(bob["backprop"]) == pytest.approx(backprop, abs=1e-4)
    assert len(bob["backprop"].split(".")[-1]) <= 4
    # Exercise columns add up to the score, as every gradebook import expects.
    assert sum(float(bob[exercise]) for exercise in RUBRIC.exercises()) == pytest.approx(
        float(bob["score"]), abs=1e-3)


def test_gradebook_says_not_graded_and_counts_only_what_was_graded():
    results = [mnist_not_graded(full_marks("alice")), mnist_not_graded(softmax_wrong("bob")),
               full_marks("carol")]
    text = gradebook.render(results)
    alice, bob, carol = rows(text)
    assert (alice["score"], alice["max_score"], alice["mnist_accuracy"]) == ("82", "82", "not graded")
    assert bob["mnist_accuracy"] == "not graded" and bob["max_score"] == "82"
    assert (carol["max_score"], carol["mnist_accuracy"]) == ("100", "18")
    # Still one cell per column, and the graded columns still add up to the score.
    assert all(len(row) == 3 + len(RUBRIC.exercises()) for row in csv.reader(io.StringIO(text)))
    assert sum(float(bob[name]) for name in RUBRIC.exercises() if name != "mnist_accuracy") == \
        pytest.approx(float(bob["score"]), abs=1e-3)


@pytest.mark.parametrize("value, text", [(92.75, "92.75"), (100.0, "100"), (0.0, "0"),
                                         (2 / 3, "0.6667"), (0.1 + 0.2, "0.3"), (-0.0, "0")])
def test_gradebook_number(value, text):
    assert gradebook.number(value) == text


def test_gradebook_names_cannot_become_spreadsheet_formulas():
    names = {row["submission"] for row in rows(gradebook.render(
        [full_marks("=HYPERLINK(\"http://x\")"), full_marks("@sum"), full_marks("o'neil, j")]))}
    assert names == {"'=HYPERLINK(\"http://x\")", "'@sum", "o'neil, j"}


def test_gradebook_of_nothing_is_a_header():
    assert gradebook.render([]) == "submission,score,max_score\n"


# --- results.json ---------------------------------------------------------------------------------

def test_results_json_for_full_marks():
    data = check_results_json(gradescope.render(full_marks()), RUBRIC)
    assert data["score"] == RUBRIC.max_score() == 100
    assert {test["status"] for test in data["tests"]} == {"passed"}
    assert "Every check passed" in data["output"]
    assert data["visibility"] == "visible" and data["stdout_visibility"] == "hidden"
    assert data["output_format"] == "md"
    assert {test["output_format"] for test in data["tests"]} == {"md"}


def test_results_json_for_a_failing_submission_carries_the_feedback():
    result = softmax_wrong()
    data = check_results_json(gradescope.render(result), RUBRIC)
    assert data["score"] == result.score < RUBRIC.max_score()
    softmax = [test for test in data["tests"] if test["extra_data"]["exercise"] == "softmax"]
    assert softmax and all(test["status"] == "failed" and test["score"] == 0 for test in softmax)
    output = softmax[0]["output"]
    for shown in ["**Expected:**", "[[0.5, 0.5]]", "**Got:**", "[[nan, nan]]", "**Input:**",
                  "Z = [[1000.0, 1000.0]]", "**Hint:** Subtract each sample's maximum logit."]:
        assert shown in output
    assert "softmax (0 / " in data["output"] and "backprop (" in data["output"]


def test_results_json_escapes_hostile_text():
    data = parse(gradescope.render(softmax_wrong()))
    output = next(test["output"] for test in data["tests"] if test["status"] == "failed")
    assert "<script>" not in output and "&lt;script>" in output
    assert re.search(r"(?<!\\)\[link\]", output) is None and "\\[link](http" in output
    # The `got` value holds a backtick fence: the block around it must be longer.
    assert "````text" in output


def test_timeouts_and_errors_are_failures_that_say_which():
    data = parse(gradescope.render(softmax_wrong()))
    backprop = [test for test in data["tests"] if test["extra_data"]["exercise"] == "backprop"]
    assert backprop and all(test["status"] == "failed" for test in backprop)
    assert all(test["extra_data"]["status"] == "timeout" for test in backprop)
    assert all(test["output"].startswith("**Timed out.**") for test in backprop)


def test_results_json_lists_problems_load_errors_and_skipped_statements():
    result = replace(softmax_wrong(), problems=[f"code cell 5 has a syntax error {HOSTILE}"],
                     load_errors=[LoadError(2, "NameError: name 'tf' is not defined")],
                     skipped=[Skipped(11, 3, "`for epoch in range(10): ...` (a loop)")] * 3)
    data = check_results_json(gradescope.render(result), RUBRIC)
    assert "- code cell 5 has a syntax error &lt;script>" in data["output"]
    assert "- code cell 3 raised an error while loading: NameError" in data["output"]
    assert "3 top-level statements were not run" in data["output"]


def test_results_json_shows_a_check_not_graded_as_such():
    result = mnist_not_graded(full_marks())
    data = check_results_json(gradescope.render(result), RUBRIC)
    assert data["score"] == 82
    mnist = [test for test in data["tests"] if test["extra_data"]["exercise"] == "mnist_accuracy"]
    assert [test["name"] for test in mnist] == ["mnist_accuracy: learns (not graded)",
                                                "mnist_accuracy: accuracy (not graded)"]
    for test in mnist:
        assert (test["score"], test["max_score"], test["extra_data"]["status"]) == (0, 0, "skipped")
        assert test["output"] == ("**Not graded:** not run for this submission, so it counts "
                                  "neither in your score nor in the maximum")
    assert "Every check passed." in data["output"]
    assert ("Not graded: mnist_accuracy (not run for this submission, so it counts neither in "
            "your score nor in the maximum).") in data["output"]
    assert "MNIST_DIR" not in json.dumps(data) and "internet" not in json.dumps(data)


def test_the_schema_check_refuses_a_not_graded_check_worth_points():
    good = parse(gradescope.render(mnist_not_graded(full_marks())))
    index = next(index for index, test in enumerate(good["tests"])
                 if test["extra_data"]["status"] == "skipped")
    for change in ({"max_score": 6.0, "status": "failed"}, {"name": "mnist_accuracy: learns"}):
        tests = [*good["tests"][:index], {**good["tests"][index], **change},
                 *good["tests"][index + 1:]]
        with pytest.raises(AssertionError):
            check_results_json(json.dumps({**good, "tests": tests}), RUBRIC)


def test_results_json_numbers_checks_by_exercise():
    data = parse(gradescope.render(full_marks()))
    assert data["tests"][0]["number"] == "1.1"
    assert data["tests"][-1]["number"].startswith(f"{len(RUBRIC.exercises())}.")


def test_schema_check_rejects_what_gradescope_would_show_wrongly():
    """The shared schema check is what the bundle's test relies on: it must be able to fail."""
    good = parse(gradescope.render(softmax_wrong()))
    broken = [
        {**good, "score": good["score"] + 1},                                 # tests don't add up
        {**good, "tests": [{**good["tests"][0], "status": "error"}]},          # not a Gradescope status
        {**good, "visibility": "students"},
        {key: value for key, value in good.items() if key != "output"},
    ]
    for data in broken:
        with pytest.raises(AssertionError):
            check_format(data)
    wrong_points = {**good, "tests": [{**good["tests"][0], "max_score": 99}, *good["tests"][1:]]}
    with pytest.raises(AssertionError):
        check_results_json(json.dumps(wrong_points), RUBRIC)
    with pytest.raises(AssertionError):
        parse('{"score": NaN, "output": "x", "tests": []}')


# --- write_reports --------------------------------------------------------------------------------

def test_write_reports_writes_report_json_last(tmp_path):
    written = []
    real = render.write_atomically

    def record(path, text):
        written.append(path.name)
        real(path, text)
    with mock.patch("grader.render.write_atomically", record):
        folder = render.write_reports(softmax_wrong(), tmp_path)
    assert folder == tmp_path / "bob"
    assert written[-1] == "report.json"
    assert sorted(written) == ["report.html", "report.json", "report.md", "results.json"]
    check_results_json((folder / "results.json").read_text(), RUBRIC)
    assert jsonreport.parse((folder / "report.json").read_text()) == softmax_wrong()


def test_report_json_appears_only_once_the_other_files_are_complete(tmp_path):
    """A first write cut short (here at results.json) leaves no report.json: the folder does not
    look done, so a rerun grades it again."""
    real = render.write_atomically

    def fail_on_results_json(path, text):
        if path.name == "results.json":
            raise OSError("disk full")
        real(path, text)
    with mock.patch("grader.render.write_atomically", fail_on_results_json), \
            pytest.raises(OSError):
        render.write_reports(softmax_wrong("bob"), tmp_path)
    assert (tmp_path / "bob" / "report.md").exists()
    assert not (tmp_path / "bob" / "report.json").exists()


def test_grade_writes_a_valid_results_json_for_a_real_example(tmp_path):
    """The real command on a bundled example (update steps uphill): results.json agrees with
    report.json. MNIST is not needed: --skip-mnist leaves the accuracy check out, not graded."""
    run = subprocess.run([sys.executable, "-m", "grader", str(EXAMPLES / "update_wrong_sign"),
                          "--out", str(tmp_path), "--jobs", "1", "--skip-mnist"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    folder = tmp_path / "update_wrong_sign"
    data = check_results_json((folder / "results.json").read_text(), RUBRIC)
    report = json.loads((folder / "report.json").read_text())
    assert data["score"] == report["score"]
    statuses = {test["extra_data"]["exercise"]: test["status"] for test in data["tests"]
                if test["status"] == "failed"}
    assert "update" in statuses and "relu" not in statuses and "softmax" not in statuses
