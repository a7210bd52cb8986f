"""report.html: the student's feedback as one self-contained page (inline CSS, no scripts, no
external assets), readable offline and safe to open: every piece of text is escaped, because
submission names, printed output and returned values are written by the student."""

from __future__ import annotations

import re
from html import escape

from grader.render import NOT_GRADED_LABEL, failing_groups, feedback_items, group_points, \
    group_title, not_graded, points
from grader.results import CheckResult, ExerciseResult, SubmissionResult

MARK = {"passed": "✔", "failed": "✘", "error": "✘", "timeout": "⏱", "skipped": "–"}

STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.meta { color: #59636e; } .score { font-size: 1.3rem; font-weight: 600; }
.bar { background: #eaeef2; border-radius: 6px; height: 10px; margin: .4rem 0 1.5rem; }
.bar > span { display: block; height: 100%; border-radius: 6px; background: #1a7f37; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #d1d9e0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
/* status colours on marks only: a failed check's text stays readable */
td.passed, span.passed { color: #1a7f37; } td.failed, span.failed, span.error { color: #cf222e; }
span.timeout { color: #9a6700; } td.skipped { color: #59636e; }
section.check { border: 1px solid #d1d9e0; border-left: 4px solid #cf222e; border-radius: 6px;
                padding: .6rem 1rem; margin: .8rem 0; }
section.check.timeout { border-left-color: #9a6700; }
section.check h3 { font-size: 1rem; margin: 0 0 .3rem; }
dl { margin: .4rem 0 0; } dt { font-weight: 600; margin-top: .5rem; } dd { margin: .1rem 0 0; }
pre.output { max-height: 24rem; }
code { background: #f6f8fa; border-radius: 4px; padding: 0 .25rem; font-size: 13px; }
pre { background: #f6f8fa; border-radius: 6px; padding: .5rem .7rem; overflow-x: auto;
      white-space: pre-wrap; word-break: break-word; margin: 0; font-size: 13px; }
.hint { background: #fff8c5; border-radius: 6px; padding: .4rem .7rem; }
ul.problems li { color: #cf222e; } summary { cursor: pointer; color: #59636e; } footer { color: #59636e; font-size: 13px; margin-top: 2rem; }
"""


def render(result: SubmissionResult) -> str:
    width = max(0.0, min(100.0, result.percent))
    body = [
        f"<h1>Feedback for {escape(result.submission)}</h1>",
        f'<p class="meta">Assignment <code>{escape(result.assignment or "unknown")}</code></p>',
        f'<p class="score">{points(result.score, result.max_score)} points '
        f"({result.percent:.0f} %)</p>",
        f'<div class="bar"><span style="width: {width:.1f}%"></span></div>',
        _problems(result), _summary_table(result), _not_graded(result),
        *(_exercise(exercise) for exercise in result.exercises if not exercise.passed),
        _skipped(result), _output(result),
        f"<footer>Graded by nnkit {escape(result.kit_version)} · isolation: "
        f"{escape(result.isolation)} · {result.seconds:.1f} s</footer>",
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>Feedback for {escape(result.submission)}</title>\n"
            f"<style>{STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(part for part in body if part) + "\n</body>\n</html>\n")


def _problems(result: SubmissionResult) -> str:
    items = [escape(problem) for problem in result.problems]
    items += [f"code cell {error.cell_index + 1} raised an error while loading: {escape(error.message)}"
              for error in result.load_errors]
    if not items:
        return ""
    return "<h2>Problems</h2>\n<ul class=\"problems\">" + "".join(
        f"<li>{item}</li>" for item in items) + "</ul>"


def _summary_table(result: SubmissionResult) -> str:
    rows = []
    for exercise in result.exercises:
        if not exercise.graded:
            rows.append(f'<tr><td class="skipped">{MARK["skipped"]}</td>'
                        f"<td>{escape(exercise.name)}</td>"
                        f'<td class="num skipped">{NOT_GRADED_LABEL}</td>'
                        '<td class="num skipped">not run</td></tr>')
            continue
        status = "passed" if exercise.passed else "failed"
        passed = sum(check.passed for check in exercise.checks)
        rows.append(f'<tr><td class="{status}">{MARK[status]}</td>'
                    f"<td>{escape(exercise.name)}</td>"
                    f'<td class="num">{points(exercise.score, exercise.max_score)}</td>'
                    f'<td class="num">{passed} of {len(exercise.checks)}</td></tr>')
    return ("<table>\n<thead><tr><th></th><th>Exercise</th><th>Points</th><th>Checks passed</th>"
            "</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>")


def _not_graded(result: SubmissionResult) -> str:
    items = "".join(f"<li>{escape(name)}: {_lines(why)}.</li>" for name, why in not_graded(result))
    return f"<h2>Not graded</h2>\n<ul>{items}</ul>" if items else ""


def _exercise(exercise: ExerciseResult) -> str:
    checks = "\n".join(_check(group) for group in failing_groups(exercise.checks))
    return (f"<h2>{escape(exercise.name)} — {points(exercise.score, exercise.max_score)}</h2>\n"
            + checks)


def _check(group: list[CheckResult]) -> str:
    check = group[0]
    details = []
    for label, value in feedback_items(check.feedback):
        content = (f'<div class="hint">{_lines(value)}</div>' if label == "Hint"
                   else f"<pre>{escape(value)}</pre>")
        details.append(f"<dt>{escape(label)}</dt><dd>{content}</dd>")
    return (f'<section class="check {check.status}">\n'
            f'<h3><span class="{check.status}">{MARK[check.status]}</span> '
            f"{escape(group_title(group))} — {group_points(group)} "
            f'<span class="{check.status}">({check.status})</span></h3>\n'
            f"<p>{_lines(check.message)}</p>\n"
            + (f"<dl>{''.join(details)}</dl>\n" if details else "") + "</section>")


def _skipped(result: SubmissionResult) -> str:
    if not result.skipped:
        return ""
    items = "".join(f"<li>{escape(item.where)}: {_lines(item.summary)}</li>"
                    for item in result.skipped)
    count = len(result.skipped)
    return ("<h2>Not run when grading</h2>\n<p>Grading runs only your imports, definitions and "
            "constants, so training loops, plots and self-checks are left out.</p>\n"
            f"<details><summary>{count} top-level statement{'s' if count != 1 else ''} "
            f"skipped</summary>\n<ul>{items}</ul>\n</details>")


def _output(result: SubmissionResult) -> str:
    if not result.output:
        return ""
    return (f"<h2>What your code printed (shortened)</h2>\n"
            f'<pre class="output">{escape(result.output)}</pre>')


def _lines(value: str) -> str:
    """Prose, escaped, with its line breaks and its `code` spans shown as code."""
    return "<br>".join(_CODE_SPAN.sub(r"<code>\1</code>", escape(line))
                       for line in str(value).splitlines())


#: A `code` span in prose; matched after escaping, so it can only wrap already-escaped text.
_CODE_SPAN = re.compile(r"`([^`]+)`")
