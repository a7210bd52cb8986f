"""A batch at a glance, for the instructor's terminal: how the class did and what to look at.

    line(result, reused) -> Text        one line per submission as it finishes
    render(results, reused=0) -> Group  score distribution, per-exercise pass rates, the slowest
                                        submissions, and those that could not be graded fully
"""

from __future__ import annotations

import statistics

from rich.console import Group
from rich.table import Table
from rich.text import Text

from grader.render import NOT_GRADED_LABEL, points
from grader.results import SubmissionResult

#: Score bands of the distribution, in percent: [low, high).
BANDS = [(low, low + 10) for low in range(0, 100, 10)] + [(100, 101)]
SLOWEST_SHOWN = 5
PROBLEMS_SHOWN = 10
BAR_WIDTH = 40


def line(result: SubmissionResult, reused: bool) -> Text:
    """`  92.75 / 100  alice  1.3 s` (or `reused`), coloured by how it went."""
    style = "green" if result.percent == 100 else "yellow" if result.percent >= 50 else "red"
    when = "reused" if reused else f"{result.seconds:.1f} s"
    text = Text("  ")
    text.append(f"{points(result.score, result.max_score):>13}", style=style)
    text.append(f"  {result.submission}  ")
    text.append(when, style="dim")
    if result.problems:
        text.append(f"  {result.problems[-1][:80]}", style="dim")
    return text


def render(results: list[SubmissionResult], reused: int = 0) -> Group:
    parts = [_headline(results, reused), distribution(results), exercise_rates(results),
             slowest(results)]
    troubled = troubled_submissions(results)
    if troubled is not None:
        parts.append(troubled)
    return Group(*parts)


def _headline(results: list[SubmissionResult], reused: int) -> Text:
    percents = [result.percent for result in results]
    text = Text(f"\n{len(results)} submission(s)", style="bold")
    if reused:
        text.append(f" ({len(results) - reused} graded now, {reused} reused: unchanged since "
                    "their last grading; --force regrades)", style="dim")
    if percents:
        text.append(f"  mean {statistics.mean(percents):.1f} %  median "
                    f"{statistics.median(percents):.1f} %  min {min(percents):.1f} %  "
                    f"max {max(percents):.1f} %")
    return text


def distribution(results: list[SubmissionResult]) -> Table:
    counts = [sum(low <= result.percent < high for result in results) for low, high in BANDS]
    table = Table(title="Score distribution", title_justify="left", box=None, show_header=False)
    table.add_column(justify="right")
    table.add_column(justify="right")
    table.add_column()
    largest = max(counts, default=0) or 1
    for (low, high), count in zip(BANDS, counts):
        band = "100 %" if low == 100 else f"{low}–{high - 1} %"
        table.add_row(band, str(count), Text("█" * round(BAR_WIDTH * count / largest), style="cyan"))
    return table


def exercise_rates(results: list[SubmissionResult]) -> Table:
    """Per exercise: how many got full marks, and the mean points, among the submissions whose
    grade includes it (`not graded` when none does)."""
    table = Table(title="Exercises", title_justify="left", header_style="bold")
    for column in ("Exercise", "Full marks", "Mean points"):
        table.add_column(column, justify="left" if column == "Exercise" else "right")
    names = [exercise.name for exercise in results[0].exercises] if results else []
    for name in names:
        found = [exercise for result in results for exercise in result.exercises
                 if exercise.name == name and exercise.graded]
        if not found:
            table.add_row(name, NOT_GRADED_LABEL, NOT_GRADED_LABEL, style="dim")
            continue
        full = sum(exercise.score == exercise.max_score for exercise in found)
        mean = statistics.mean(exercise.score for exercise in found)
        table.add_row(name, f"{full} / {len(found)} ({100 * full / len(found):.0f} %)",
                      points(round(mean, 2), found[0].max_score))
    return table


def slowest(results: list[SubmissionResult]) -> Table:
    table = Table(title="Slowest", title_justify="left", header_style="bold")
    table.add_column("Submission")
    table.add_column("Seconds", justify="right")
    for result in sorted(results, key=lambda result: -result.seconds)[:SLOWEST_SHOWN]:
        table.add_row(Text(result.submission), f"{result.seconds:.1f}")
    return table


def troubled_submissions(results: list[SubmissionResult]) -> Table | None:
    """Submissions with a problem (not graded, or partly, or graded as another assignment than
    theirs): worth a look before grades go out. Every problem of each is shown, one per line: a
    warning (e.g. the assignment) may come before the problem that stopped grading."""
    troubled = [result for result in results if result.problems]
    if not troubled:
        return None
    table = Table(title=f"Problems ({len(troubled)})", title_justify="left", header_style="bold")
    table.add_column("Submission")
    table.add_column("Problem")
    for result in troubled[:PROBLEMS_SHOWN]:
        table.add_row(Text(result.submission), Text("\n".join(result.problems)))
    if len(troubled) > PROBLEMS_SHOWN:
        table.add_row("…", f"{len(troubled) - PROBLEMS_SHOWN} more: see their report.md")
    return table
