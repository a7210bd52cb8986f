"""report.md: the feedback a student reads — score, a table of exercises, then for each check
that lost points what was expected, what came back, on what input, and the hint.

Student output and values are hostile text: prose is escaped (no raw HTML, no Markdown links or
emphasis sneak in) and printed values go in code fences longer than any backtick run they hold.
"""

from __future__ import annotations

import re

from grader.render import NOT_GRADED_LABEL, also_failed, failing_groups, feedback_items, group_points, \
    group_title, not_graded, points
from grader.results import CheckResult, SubmissionResult

MARK = {"passed": "✅", "failed": "❌", "error": "💥", "timeout": "⏱️", "skipped": "➖"}
#: Enough to stop code spans, emphasis, links (`[` suffices) and table cells; `_` inside words
#: is inert.
_SPECIAL = re.compile(r"([\\`*\[|])")


def render(result: SubmissionResult) -> str:
    lines = [f"# Feedback for {text(result.submission)}", "",
             f"Assignment: `{result.assignment or 'unknown'}` · "
             f"**Score: {points(result.score, result.max_score)} ({result.percent:.0f} %)**", ""]
    lines += _problems(result)
    lines += _summary_table(result)
    lines += _not_graded(result)
    for exercise in result.exercises:
        if not exercise.passed:
            lines += [f"## {text(exercise.name)} — {points(exercise.score, exercise.max_score)}", ""]
            for group in failing_groups(exercise.checks):
                lines += _check(group)
    lines += _skipped(result)
    if result.output:
        lines += ["## What your code printed (shortened)", "", *code_block(result.output), ""]
    lines += [f"<sub>Graded by nnkit {text(result.kit_version)} · isolation: "
              f"{text(result.isolation)} · {result.seconds:.1f} s</sub>", ""]
    return "\n".join(lines)


def _problems(result: SubmissionResult) -> list[str]:
    if not (result.problems or result.load_errors):
        return []
    lines = ["## Problems", ""]
    lines += [f"- {text(problem)}" for problem in result.problems]
    lines += [f"- code cell {error.cell_index + 1} raised an error while loading: {text(error.message)}"
              for error in result.load_errors]
    return lines + [""]


def _summary_table(result: SubmissionResult) -> list[str]:
    lines = ["| | Exercise | Points | Checks passed |", "|---|---|---|---|"]
    for exercise in result.exercises:
        if not exercise.graded:
            lines.append(f"| {MARK['skipped']} | {text(exercise.name)} | {NOT_GRADED_LABEL} | "
                         "not run |")
            continue
        passed = sum(check.passed for check in exercise.checks)
        mark = MARK["passed"] if exercise.passed else MARK["failed"]
        lines.append(f"| {mark} | {text(exercise.name)} | "
                     f"{points(exercise.score, exercise.max_score)} | "
                     f"{passed} of {len(exercise.checks)} |")
    return lines + [""]


def _not_graded(result: SubmissionResult) -> list[str]:
    left_out = not_graded(result)
    if not left_out:
        return []
    return ["## Not graded", "", *(f"- {text(name)}: {prose(why)}." for name, why in left_out), ""]


def _check(group: list[CheckResult]) -> list[str]:
    check = group[0]
    lines = [f"### {MARK[check.status]} {text(group_title(group))} — {group_points(group)} "
             f"({check.status})", ""]
    lines += [prose(check.message), ""]
    for label, value in feedback_items(check.feedback):
        if label == "Hint":
            lines += [f"**{label}:** {prose(value)}", ""]
        else:
            lines += [f"**{label}:**", "", *code_block(value), ""]
    others = [case for case in check.cases if case.status != "passed"][1:]
    if others and len(group) == 1:
        lines += [text(also_failed(others, 8)), ""]
    return lines


def _skipped(result: SubmissionResult) -> list[str]:
    if not result.skipped:
        return []
    count = len(result.skipped)
    lines = ["## Not run when grading", "",
             "Grading runs only your imports, definitions and constants, so training loops, "
             "plots and self-checks are left out.", "",
             f"<details><summary>{count} top-level statement{'s' if count != 1 else ''} "
             "skipped</summary>", ""]
    lines += [f"- {item.where}: {prose(item.summary)}" for item in result.skipped]
    return lines + ["", "</details>", ""]


def text(value: str) -> str:
    """One line of prose, safe in Markdown: no HTML tag can open (`<` becomes an entity), no
    quote block can start, Markdown syntax is escaped."""
    value = _SPECIAL.sub(r"\\\1", str(value).replace("<", "&lt;")).replace("\n", " ")
    return "\\" + value if value.startswith(">") else value


def prose(value: str) -> str:
    """Several lines of prose, escaped line by line, kept as hard line breaks; its `code` spans
    stay code spans (nothing inside a code span is interpreted, and it holds no backtick)."""
    return "  \n".join("".join(part if _CODE_SPAN.fullmatch(part) else text(part)
                                for part in _CODE_SPAN.split(line))
                        for line in str(value).splitlines())


_CODE_SPAN = re.compile(r"(`[^`]+`)")


def code_block(value: str) -> list[str]:
    """A fenced block that the value cannot close: the fence outgrows its longest backtick run."""
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", value.rstrip("\n"), fence]
