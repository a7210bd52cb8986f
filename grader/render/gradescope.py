"""results.json for Gradescope's autograder: the score, a short summary, one test per rubric check.

The format is Gradescope's "Autograder Specifications" (gradescope-autograders.readthedocs.io,
/specs/):

    {"score", "execution_time", "output", "output_format", "visibility", "stdout_visibility",
     "tests": [{"name", "number", "score", "max_score", "status", "output", "output_format",
                "visibility", "extra_data"}]}

- `score` is the result's score, which is the sum of the tests' scores; each test's `max_score` is
  its check's points in the rubric, so Gradescope shows the same numbers as report.md.
- `status` is `passed` or `failed`, the only two Gradescope knows; an `error` or a `timeout` is a
  failure whose output says which, and `extra_data.status` keeps the kit's own status.
- A check that was not graded (`grade --skip-mnist`) is a test named "… (not graded)" worth 0 of
  0, `passed` (it lost nothing: Gradescope shows a failure in red), whose output says it was not
  run; `extra_data.status` is `skipped`. The score is then out of fewer points than Gradescope's
  assignment total, which Gradescope alone fixes.
- Outputs are Markdown (`output_format: "md"`), built with the same escaping as report.md (the
  student's values and messages are hostile text) and carrying the same feedback: the message,
  expected, got, input, hint.
- Everything is `visible`: feedback is the point of the kit, and it holds no hidden test source
  (Feedback is the only text a check ever shows). `stdout_visibility` is `hidden`: run_autograder's
  stdout is for the instructor (a bug of the grader prints its traceback there).
"""

from __future__ import annotations

import json

from grader.render import NOT_GRADED_LABEL, also_failed, feedback_items, not_graded, points
from grader.render.markdown import code_block, prose, text
from grader.results import CheckResult, SubmissionResult

#: Gradescope's statuses; a check's `error` and `timeout` are failures there.
PASSED, FAILED = "passed", "failed"
#: Shown before the message of a check that did not merely fail.
STATUS_LABELS = {"error": "Error", "timeout": "Timed out"}
#: Other failing cases listed after a check's details, as report.md does.
MORE_CASES_SHOWN = 8


def render(result: SubmissionResult) -> str:
    return json.dumps(as_dict(result), indent=2, ensure_ascii=False) + "\n"


def as_dict(result: SubmissionResult) -> dict:
    return {
        "score": result.score,
        "execution_time": round(result.seconds),
        "output": summary(result),
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [test(check, f"{exercise_number}.{check_number}")
                  for exercise_number, exercise in enumerate(result.exercises, start=1)
                  for check_number, check in enumerate(exercise.checks, start=1)],
    }


def test(check: CheckResult, number: str) -> dict:
    """One Gradescope test for one rubric check; `number` ("3.2") groups checks by exercise."""
    return {
        "name": check.name if check.graded else f"{check.name} ({NOT_GRADED_LABEL})",
        "number": number,
        "score": check.score,
        "max_score": check.max_score,
        "status": PASSED if check.passed or not check.graded else FAILED,
        "output": "" if check.passed else "\n".join(check_details(check)),
        "output_format": "md",
        "visibility": "visible",
        "extra_data": {"exercise": check.exercise, "check": check.check, "status": check.status},
    }


def check_details(check: CheckResult) -> list[str]:
    """Markdown lines: what went wrong, then expected / got / input / hint, then other cases;
    for a check not graded, only that it was not run."""
    if not check.graded:
        return [f"**{NOT_GRADED_LABEL.capitalize()}:** {prose(check.message)}"]
    label = STATUS_LABELS.get(check.status)
    lines = [f"**{label}.**", ""] if label else []
    lines += [prose(check.message), ""]
    for name, value in feedback_items(check.feedback):
        if name == "Hint":
            lines += [f"**{name}:** {prose(value)}", ""]
        else:
            lines += [f"**{name}:**", "", *code_block(value), ""]
    others = [case for case in check.cases if case.status != PASSED][1:]
    if others:
        lines += [text(also_failed(others, MORE_CASES_SHOWN)), ""]
    return lines[:-1] if lines and lines[-1] == "" else lines


def summary(result: SubmissionResult) -> str:
    """The submission-wide output: score, why grading stopped short, where points were lost."""
    lines = [f"**Score: {points(result.score, result.max_score)} ({result.percent:.0f} %)** · "
             f"assignment {text(result.assignment or 'unknown')}", ""]
    problems = [text(problem) for problem in result.problems]
    problems += [f"code cell {error.cell_index + 1} raised an error while loading: {text(error.message)}"
                 for error in result.load_errors]
    if problems:
        lines += ["**Problems:**", "", *(f"- {problem}" for problem in problems), ""]
    lost = [f"{text(exercise.name)} ({points(exercise.score, exercise.max_score)})"
            for exercise in result.exercises if not exercise.passed]
    lines += [f"Points lost in: {', '.join(lost)}. Each failed test below says what went "
              "wrong." if lost else "Every check passed.", ""]
    left_out = not_graded(result)
    if left_out:
        lines += [f"{NOT_GRADED_LABEL.capitalize()}: "
                  f"{', '.join(text(name) for name, _ in left_out)} ({prose(left_out[0][1])}).", ""]
    if result.skipped:
        count = len(result.skipped)
        lines += [f"{count} top-level statement{'s were' if count != 1 else ' was'} not run: "
                  "grading runs only your imports, definitions and constants, so training loops, "
                  "plots and self-checks are left out.", ""]
    lines.append(f"*Graded by nnkit {text(result.kit_version)} · isolation: "
                 f"{text(result.isolation)} · {result.seconds:.1f} s*")
    return "\n".join(lines)
