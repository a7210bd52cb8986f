"""Hand-built reports for the class report's tests: results shaped like grading's, with just the
checks, cases and feedback a test needs."""

from __future__ import annotations

import json
from pathlib import Path

from grader.results import CaseResult, CheckResult, ExerciseResult, SubmissionResult

CORPUS = Path(__file__).resolve().parent / "class_corpus"

ARRAY = "[[ 0.356,  0.969,  0.922, ..., -0.514, -0.181,  0.15 ]]  (shape (1, 10), float64)"
OTHER_ARRAY = "[[ 0.012,  0.345,  0.678, ..., -0.901, -0.234,  0.567 ]]  (shape (1, 10), float64)"


def failing(exercise: str, got: str, diagnosis: str = "", check: str = "values",
            case: str = "m3") -> CheckResult:
    feedback = {"summary": f"{exercise} returned wrong values", "expected": "[[0.1, 0.2]]",
                "got": got, "input": "", "hint": "something", "diagnosis": diagnosis}
    return CheckResult(f"{exercise}: {check.replace('_', ' ')}", exercise, check, "failed", 0.0,
                       2.0, feedback["summary"], feedback,
                       [CaseResult(case, "failed", feedback["summary"], feedback)])


def result(name: str, *checks: CheckResult, isolation: str = "bubblewrap",
           problems: list[str] | None = None) -> SubmissionResult:
    exercises = {}
    for check in checks:
        exercises.setdefault(check.exercise, []).append(check)
    graded = [ExerciseResult(exercise, items) for exercise, items in exercises.items()]
    return SubmissionResult(name, "mnist_mlp", 10.0 - 2 * len(checks), 10.0, graded,
                            problems=problems or [], isolation=isolation, seconds=1.0,
                            kit_version="0.1.0")


def passing(name: str) -> SubmissionResult:
    check = CheckResult("relu: values", "relu", "values", "passed", 2.0, 2.0, "", None,
                        [CaseResult("m3", "passed")])
    return SubmissionResult(name, "mnist_mlp", 2.0, 2.0, [ExerciseResult("relu", [check])],
                            isolation="bubblewrap", seconds=1.0)


def write_reports(folder: Path, results: list[SubmissionResult]) -> None:
    for item in results:
        (folder / item.submission).mkdir(parents=True)
        (folder / item.submission / "report.json").write_text(json.dumps(item.to_json_dict()))
