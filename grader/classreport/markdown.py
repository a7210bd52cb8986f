"""class.md: the class report as Markdown, for a terminal, a repository or an e-mail. The same
sections as class.html; charts become rows of block characters, and a flagged pair's two codes
follow one another, shared lines marked with `>>`."""

from __future__ import annotations

import statistics

from grader.classreport.model import ClassReport, Row
from grader.classreport.similarity import Pair, rare_limit
from grader.render import points

BAR_WIDTH = 30
PAIRS_SHOWN = 50
NAMES_SHOWN = 30


def render(report: ClassReport) -> str:
    parts = [_header(report), _scores(report), _exercises(report), _misconceptions(report),
             _failing(report), _shared(report), _problems(report), _isolation(report),
             _slowest(report), _index(report),
             "_For the instructor only: this page names students and compares their work._"]
    return "\n\n".join(part for part in parts if part) + "\n"


def _header(report: ClassReport) -> str:
    percents = report.percents
    figures = (f"mean {statistics.mean(percents):.1f} %, median {statistics.median(percents):.1f} %"
               if percents else "no reports yet")
    assignments = ", ".join(sorted({row.assignment or "unknown" for row in report.submissions}))
    return (f"# Class report\n\n{len(report.submissions)} submission(s) of {assignments or '—'}; "
            f"{figures}.")


def _bar(rate: float) -> str:
    return "█" * round(BAR_WIDTH * rate)


def _scores(report: ClassReport) -> str:
    largest = max((band.count for band in report.score_histogram), default=0) or 1
    rows = [f"| {band.label} | {band.count} | {_bar(band.count / largest)} |"
            for band in report.score_histogram]
    return ("## Score distribution\n\n| score (%) | submissions | |\n|---|--:|---|\n"
            + "\n".join(rows))


def _exercises(report: ClassReport) -> str:
    rows = [f"| {stats.exercise} | {stats.full_marks} / {stats.submissions} "
            f"({100 * stats.rate:.0f} %) | {points(stats.mean, stats.max_score)} | "
            f"{_bar(stats.rate)} |" for stats in report.exercises]
    checks = [f"| {check.name} | {check.passed} / {check.total} | {_bar(check.rate)} |"
              for stats in report.exercises for check in stats.checks]
    return ("## Exercises\n\n| exercise | full marks | mean points | |\n|---|--:|--:|---|\n"
            + "\n".join(rows) + "\n\n## Checks\n\n| check | passed | |\n|---|--:|---|\n"
            + "\n".join(checks))


def _misconceptions(report: ClassReport) -> str:
    if not report.misconceptions:
        return "## Misconceptions\n\nNo feedback named a known misconception."
    rows = [f"| {_cell(item.text)} (`{item.id}`) | {item.exercise} | {item.count} | "
            f"{_cell(_names(item.submissions))} |" for item in report.misconceptions]
    return ("## Misconceptions\n\n| misconception | exercise | students | who |\n"
            "|---|---|--:|---|\n" + "\n".join(rows))


def _failing(report: ClassReport) -> str:
    if not report.failing_checks:
        return "## Checks that fail most\n\nEvery check passed for every submission."
    rows = [f"| {check.name} | {check.failed} / {check.total} |" for check in report.failing_checks]
    return "## Checks that fail most\n\n| check | failed |\n|---|--:|\n" + "\n".join(rows)


def _shared(report: ClassReport) -> str:
    compared = len(report.code_compared)
    text = (f"## Shared work ({len(report.flagged)} pair(s) flagged)\n\nOwn code compared "
            f"for {compared} of {len(report.submissions)} submission(s); code more than "
            f"{rare_limit(compared)} of them share counts as common, not as evidence.")
    if report.code_missing:
        text += (" Code not compared (no notebook on record, or none readable): "
                 f"{_names(report.code_missing)}.")
    pairs = [_pair(pair) for pair in report.similar_pairs[:PAIRS_SHOWN]]
    more = len(report.similar_pairs) - PAIRS_SHOWN
    tail = [f"{more} more pair(s) in class.json."] if more > 0 else []
    return "\n\n".join([text, *pairs, *tail])


def _pair(pair: Pair) -> str:
    title = f"### {_cell(pair.a)} and {_cell(pair.b)} — {pair.kind}"
    evidence = pair.evidence
    if pair.kind == "code":
        summary = (f"{100 * pair.score:.0f} % of the smaller one's distinctive code is shared "
                   f"({evidence['shared_fingerprints']} fingerprints, weight "
                   f"{evidence['shared_weight']:g} of {evidence['distinctive_a']:g} and "
                   f"{evidence['distinctive_b']:g}); `>>` marks the shared lines.")
        return "\n\n".join([title, summary, _code(pair.a, evidence["a_code"]),
                            _code(pair.b, evidence["b_code"])])
    matches = [f"- {match['check']}, case `{match['case'] or '—'}` ({match['holders']} "
               f"submission(s)): both returned\n\n  ```\n  {_indent(match['got'])}\n  ```"
               for match in evidence["matches"]]
    where = ", ".join(evidence["exercises"])
    return "\n\n".join([title, f"Identical rare wrong values in {where}:", "\n".join(matches)])


def _code(name: str, functions: list[dict]) -> str:
    lines = []
    for function in functions:
        marked = set(function["marked"])
        lines += [(">> " if number in marked else "   ") + line
                  for number, line in enumerate(function["lines"])] + [""]
    return f"{_cell(name)}:\n\n```\n" + "\n".join(lines).replace("```", "`\u200b``") + "```"


def _problems(report: ClassReport) -> str:
    items = [f"- {_cell(row.submission)}: {_cell(problem)}"
             for row in report.problems for problem in row.problems]
    items += [f"- {_cell(name)}: its report.json could not be read" for name in report.unreadable]
    return f"## Problems ({len(report.problems)})\n\n" + ("\n".join(items) or
                                                          "Every submission was graded in full.")


def _isolation(report: ClassReport) -> str:
    rows = [f"| {_cell(group.mode)} | {group.count} | {_cell(_names(group.submissions))} |"
            for group in report.isolation]
    return "## Isolation\n\n| isolation | submissions | which |\n|---|--:|---|\n" + "\n".join(rows)


def _slowest(report: ClassReport) -> str:
    rows = [f"| {_cell(row.submission)} | {row.seconds:.1f} |" for row in report.slowest]
    return "## Slowest\n\n| submission | seconds |\n|---|--:|\n" + "\n".join(rows)


def _index(report: ClassReport) -> str:
    rows = [_index_row(row) for row in report.submissions]
    return ("## All submissions\n\n| submission | assignment | points | % |\n|---|---|--:|--:|\n"
            + "\n".join(rows))


def _index_row(row: Row) -> str:
    return (f"| [{_cell(row.submission)}]({row.report}) | {row.assignment or '—'} | "
            f"{points(row.score, row.max_score)} | {row.percent:.1f} |")


def _names(names: list[str]) -> str:
    more = len(names) - NAMES_SHOWN
    return ", ".join(names[:NAMES_SHOWN]) + (f" and {more} more" if more > 0 else "")


def _cell(text: str) -> str:
    """Text in a table cell or a heading: one line, pipes and markup characters escaped."""
    text = " ".join(str(text).split())
    for character in "\\|*_`[]<>#":
        text = text.replace(character, "\\" + character)
    return text


def _indent(text: str) -> str:
    return text.replace("```", "`\u200b``").replace("\n", "\n  ")
