"""Renderers: one SubmissionResult shown several ways. They read the result; they never score.

    terminal.print_report(result, console)   rich, for the instructor running `grade`
    markdown.render(result) -> str            report.md, for the student
    html.render(result) -> str                report.html, self-contained, for the student
    jsonreport.render(result) -> str          report.json, for tools (and the record of a grade)
    gradescope.render(result) -> str          results.json, Gradescope's autograder format
    gradebook.render(results) -> str          grades.csv, one row per submission

`write_reports(result, out_dir)` writes the per-submission files into `out_dir/<submission>/`,
each atomically (a temporary file in the same folder, then os.replace), so a reader never sees
half a file and an interrupted run never leaves one. report.json is written last: a readable
report.json means every other file of that folder is complete (a rerun of `grade` takes it as
"this submission is done").
"""

from __future__ import annotations

import re
from pathlib import Path

from grader.render.atomic import write_atomically
from grader.results import CheckResult, SubmissionResult

#: Feedback fields a report shows for a failed check, in order, with their labels.
FEEDBACK_FIELDS = (("expected", "Expected"), ("got", "Got"), ("input", "Input"),
                   ("hint", "Hint"), ("traceback", "Traceback (your code)"))


def points(score: float, max_score: float) -> str:
    """`4.5 / 6`: whole numbers without decimals, others with at most two."""
    return f"{_number(score)} / {_number(max_score)}"


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def feedback_items(feedback: dict | None) -> list[tuple[str, str]]:
    """(label, text) for the non-empty feedback fields worth showing beside the summary."""
    feedback = feedback or {}
    return [(label, str(feedback[key])) for key, label in FEEDBACK_FIELDS if feedback.get(key)]


def failing_groups(checks: list[CheckResult]) -> list[list[CheckResult]]:
    """The checks that lost points (not those that were not graded); consecutive ones that failed
    the same way (status, message and details) are grouped, so a missing function or a stub says
    so once, not once per check."""
    groups: list[list[CheckResult]] = []
    for check in checks:
        if check.passed or not check.graded:
            continue
        previous = groups[-1][-1] if groups else None
        if previous is not None and (check.status, check.message, check.feedback) == (
                previous.status, previous.message, previous.feedback):
            groups[-1].append(check)
        else:
            groups.append([check])
    return groups


#: What a report shows in place of the points of an exercise that was not graded.
def also_failed(cases: list, limit: int) -> str:
    """"Also did not pass on: a batch of 5; a batch of 10 …": the other failing cases of a check,
    named by their input (grader/checks/suites/case_labels.py; stacked labels joined with ", ")."""
    names = "; ".join(case.id.replace("-", ", ") if case.id else "another input"
                      for case in cases[:limit])
    return f"Also did not pass on: {names}{' …' if len(cases) > limit else ''}"


NOT_GRADED_LABEL = "not graded"


def not_graded(result: SubmissionResult) -> list[tuple[str, str]]:
    """(exercise, why) for each exercise left out of the grade; `why` is its first check's
    message, written by grader.checks.scoring for the student."""
    return [(exercise.name, exercise.checks[0].message) for exercise in result.exercises
            if not exercise.graded]


def group_title(group: list[CheckResult]) -> str:
    """`large logits` or `returns float, values, mean over batch`."""
    return ", ".join(check.check.replace("_", " ") for check in group)


def group_points(group: list[CheckResult]) -> str:
    return points(sum(check.score for check in group), sum(check.max_score for check in group))


def write_reports(result: SubmissionResult, out_dir: Path) -> Path:
    """Write report.md, report.html, results.json (Gradescope) and, last, report.json for
    `result`; returns their folder.

    The order is a contract: whoever finds a parseable report.json may take the folder as
    complete (grader.batch reuses it instead of grading again), so a new report.json appears only
    after every other file has been replaced by its new version. A rewrite cut short leaves the
    previous report.json whole; grader.batch regrades such a folder unless the previous grade was
    of the very same submission and kit (its fingerprint), when the files agree anyway.
    """
    from grader.render import gradescope, html, jsonreport, markdown

    folder = Path(out_dir) / result.submission
    folder.mkdir(parents=True, exist_ok=True)
    for name, render in [("report.md", markdown.render), ("report.html", html.render),
                         ("results.json", gradescope.render), ("report.json", jsonreport.render)]:
        text = render(result)
        # JSON escapes control characters itself; Markdown and HTML would keep them raw, and
        # `cat report.md` would then run a student's terminal escape sequences.
        write_atomically(folder / name, text if name.endswith(".json") else printable(text))
    return folder


#: C0 and C1 control characters but tab and newline: harmless nowhere, hostile in a terminal.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with every control character but tab and newline shown as U+FFFD (line ends
    normalised first, so Windows output keeps its lines)."""
    return CONTROL_CHARACTERS.sub("\ufffd", text.replace("\r\n", "\n"))
