"""The report in the instructor's terminal (rich): a table of exercises with points and a tick or
a cross, a panel per exercise that lost points (expected, got, input, hint), then one line for the
statements that were not run and the isolation mode.

Student text is always passed as `rich.text.Text`, never as markup, so `[bold]` or `[link=...]`
in a submission is printed as typed.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from grader.render import NOT_GRADED_LABEL, failing_groups, feedback_items, group_points, \
    group_title, points
from grader.results import CheckResult, ExerciseResult, SubmissionResult

MARK = {"passed": ("✔", "green"), "failed": ("✘", "red"), "error": ("✘", "red"),
        "timeout": ("⏱", "yellow"), "skipped": ("–", "dim")}
#: Lines of one feedback field shown in the terminal; report.md and report.html show them all.
MAX_FIELD_LINES = 8


def print_report(result: SubmissionResult, console: Console) -> None:
    console.print(header(result))
    if result.problems or result.load_errors:
        console.print(problems(result))
    console.print(summary_table(result))
    for exercise in result.exercises:
        if not exercise.passed:
            console.print(exercise_panel(exercise))
    console.print(footer(result))


def header(result: SubmissionResult) -> Text:
    style = "bold green" if result.score == result.max_score else "bold"
    return Text.assemble(("\n" + result.submission, "bold"), "  ",
                         (result.assignment or "unknown assignment", "dim"), "  ",
                         (f"{points(result.score, result.max_score)} ({result.percent:.0f} %)", style))


def problems(result: SubmissionResult) -> Text:
    lines = [Text.assemble(("problem: ", "bold red"), problem) for problem in result.problems]
    lines += [Text.assemble(("load error: ", "bold red"),
                            f"code cell {error.cell_index + 1}: {error.message}")
              for error in result.load_errors]
    return Text("\n").join(lines)


def summary_table(result: SubmissionResult) -> Table:
    table = Table(show_edge=False, box=None, padding=(0, 2), header_style="bold")
    table.add_column("")
    table.add_column("Exercise")
    table.add_column("Points", justify="right")
    table.add_column("Checks", justify="right")
    for exercise in result.exercises:
        if not exercise.graded:
            mark, style = MARK["skipped"]
            table.add_row(Text(mark, style), Text(exercise.name, style),
                          Text(NOT_GRADED_LABEL, style), Text("not run", style))
            continue
        mark, style = MARK["passed" if exercise.passed else "failed"]
        passed = sum(check.passed for check in exercise.checks)
        table.add_row(Text(mark, style), Text(exercise.name),
                      points(exercise.score, exercise.max_score),
                      f"{passed}/{len(exercise.checks)}")
    return table


def exercise_panel(exercise: ExerciseResult) -> Panel:
    parts = []
    for group in failing_groups(exercise.checks):
        parts += [Text()] if parts else []   # a blank line between checks
        parts.append(check_text(group))
    return Panel(Group(*parts), title=Text(f"{exercise.name}  "
                                           f"{points(exercise.score, exercise.max_score)}",
                                           "bold"),
                 title_align="left", border_style="red", expand=True)


def check_text(group: list[CheckResult]) -> Text:
    """One failing check, or several that failed for the same reason."""
    check = group[0]
    mark, style = MARK[check.status]
    text = Text.assemble((f"{mark} {group_title(group)}", f"bold {style}"),
                         (f"  {group_points(group)}  {check.status}\n", "dim"), check.message)
    for label, value in feedback_items(check.feedback):
        lines = value.splitlines()
        lines = lines[:MAX_FIELD_LINES] + (["…"] if len(lines) > MAX_FIELD_LINES else [])
        text.append(f"\n  {label.lower()}:", style="bold" if label != "Hint" else "bold cyan")
        # A printed array keeps its columns: several lines start below the label.
        text.append(f" {lines[0]}" if len(lines) == 1 else "\n    " + "\n    ".join(lines))
    return text


def footer(result: SubmissionResult) -> Text:
    skipped = len(result.skipped)
    parts = [f"{skipped} top-level statement{'s' if skipped != 1 else ''} not run"]
    if result.skipped:
        parts[0] += f" (first: {result.skipped[0]})"
    parts += [f"isolation: {result.isolation}", f"{result.seconds:.1f} s"]
    return Text(" · ".join(parts), style="dim")
