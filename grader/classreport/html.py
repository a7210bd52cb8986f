"""class.html: the class at a glance, for the instructor — one self-contained page (inline CSS and
SVG, no scripts, nothing fetched), an index whose rows lead to each student's own report.

Every piece of text is escaped: submission names, returned values and code are the students'.
"""

from __future__ import annotations

import statistics
from html import escape

from grader.classreport import charts
from grader.classreport.model import ClassReport, Row, report_link
from grader.classreport.similarity import Pair, rare_limit
from grader.render import points

#: Flagged pairs shown in full; the rest are listed in class.json.
PAIRS_SHOWN = 50
MATCHES_SHOWN = 6
NAMES_SHOWN = 30

STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328;
       max-width: 80rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem;
   border-bottom: 1px solid #d1d9e0; padding-bottom: .2rem; } h3 { font-size: 1.05rem; }
.meta, .note, footer { color: #59636e; } nav a { margin-right: .8rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #d1d9e0;
         vertical-align: top; }
table.compact { width: auto; min-width: 32rem; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
svg.chart { display: block; max-width: 100%; height: auto; margin: .5rem 0; }
section.pair { border: 1px solid #d1d9e0; border-left: 4px solid #9a6700; border-radius: 6px;
               padding: .5rem 1rem 1rem; margin: 1rem 0; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.sides > div { min-width: 0; }
pre { background: #f6f8fa; border-radius: 6px; padding: .5rem .7rem; overflow-x: auto;
      margin: .3rem 0; font-size: 12.5px; line-height: 1.45; }
pre .fn { color: #59636e; }
mark { background: #fff1a8; display: inline-block; width: 100%; }
code { background: #f6f8fa; border-radius: 4px; padding: 0 .25rem; font-size: 13px; }
ul.problems li { color: #cf222e; } footer { font-size: 13px; margin-top: 2.5rem; }
"""


def render(report: ClassReport) -> str:
    sections = [_header(report), _scores(report), _exercises(report), _checks(report),
                _misconceptions(report), _failing(report), _shared(report), _problems(report),
                _isolation(report), _slowest(report), _index(report)]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "<title>Class report</title>\n"
            f"<style>{STYLE}</style>\n</head>\n<body>\n" + "\n".join(sections)
            + f"\n<footer>nnkit {escape(report.kit_version)} · for the instructor only: this "
              "page names students and compares their work; each student's own report "
              "names no one else.</footer>\n</body>\n</html>\n")


def _header(report: ClassReport) -> str:
    percents = report.percents
    figures = (f"mean {statistics.mean(percents):.1f} % · median "
               f"{statistics.median(percents):.1f} %" if percents else "no reports yet")
    assignments = sorted({row.assignment or "unknown" for row in report.submissions})
    return (f"<h1>Class report</h1>\n<p class=\"meta\">{len(report.submissions)} submission(s) "
            f"of {escape(', '.join(assignments) or '—')} · {figures}</p>\n"
            '<nav><a href="#scores">Scores</a><a href="#exercises">Exercises</a>'
            '<a href="#misconceptions">Misconceptions</a><a href="#failing">Failing checks</a>'
            '<a href="#shared">Shared work</a><a href="#problems">Problems</a>'
            '<a href="#isolation">Isolation</a><a href="#slowest">Slowest</a>'
            '<a href="#submissions">All submissions</a></nav>')


def _scores(report: ClassReport) -> str:
    return ('<h2 id="scores">Score distribution</h2>\n' + charts.histogram(report.score_histogram))


def _exercises(report: ClassReport) -> str:
    bars = charts.rate_bars([(stats.exercise, stats.rate,
                              f"{stats.full_marks} / {stats.submissions} full marks")
                             for stats in report.exercises])
    rows = "".join(f"<tr><td>{escape(stats.exercise)}</td>"
                   f'<td class="num">{stats.full_marks} / {stats.submissions} '
                   f"({100 * stats.rate:.0f} %)</td>"
                   f'<td class="num">{points(stats.mean, stats.max_score)}</td></tr>'
                   for stats in report.exercises)
    return ('<h2 id="exercises">Exercises</h2>\n<p class="note">The share of submissions with '
            "full marks in each exercise.</p>\n" + bars
            + '<table class="compact"><thead><tr><th>Exercise</th><th>Full marks</th>'
            f"<th>Mean points</th></tr></thead><tbody>{rows}</tbody></table>")


def _checks(report: ClassReport) -> str:
    rows = [(check.name, check.rate, f"{check.passed} / {check.total} passed")
            for stats in report.exercises for check in stats.checks]
    return ('<h2 id="checks">Checks</h2>\n<p class="note">The share of submissions that passed '
            "each check.</p>\n" + charts.rate_bars(rows))


def _misconceptions(report: ClassReport) -> str:
    title = '<h2 id="misconceptions">Misconceptions</h2>\n'
    if not report.misconceptions:
        return title + ('<p class="note">No feedback named a known misconception (reports carry '
                        "a diagnosis id for each mistake their hints recognise).</p>")
    rows = "".join(f"<tr><td>{escape(item.text)}<br><code>{escape(item.id)}</code></td>"
                   f"<td>{escape(item.exercise)}</td><td class=\"num\">{item.count}</td>"
                   f"<td>{_names(item.submissions)}</td></tr>" for item in report.misconceptions)
    return (title + "<table><thead><tr><th>Misconception</th><th>Exercise</th><th>Students</th>"
            f"<th>Who</th></tr></thead><tbody>{rows}</tbody></table>")


def _failing(report: ClassReport) -> str:
    title = '<h2 id="failing">Checks that fail most</h2>\n'
    if not report.failing_checks:
        return title + '<p class="note">Every check passed for every submission.</p>'
    rows = "".join(f"<tr><td>{escape(check.name)}</td><td class=\"num\">{check.failed} / "
                   f"{check.total}</td></tr>" for check in report.failing_checks)
    return title + ('<table class="compact"><thead><tr><th>Check</th><th>Failed</th></tr>'
                    f"</thead><tbody>{rows}</tbody></table>")


def _shared(report: ClassReport) -> str:
    compared = len(report.code_compared)
    note = (f'<p class="note">Own code (what each wrote in the stubs and helpers, without the '
            f"starter code, comments and docstrings, names normalised) was compared for "
            f"{compared} of {len(report.submissions)} submission(s); code that more than "
            f"{rare_limit(compared)} of them share counts as common, not as evidence. Identical "
            "wrong values count when they are rare, informative and not a known misconception.")
    if report.code_missing:
        note += (" Code not compared (no notebook on record, or none readable): "
                 f"{_names(report.code_missing, link=False)}.")
    note += "</p>"
    title = f'<h2 id="shared">Shared work ({len(report.flagged)} pair(s) flagged)</h2>\n'
    if not report.similar_pairs:
        return title + note
    shown = [_pair(index, pair) for index, pair in enumerate(report.similar_pairs[:PAIRS_SHOWN])]
    more = len(report.similar_pairs) - PAIRS_SHOWN
    tail = f'<p class="note">{more} more pair(s) in class.json.</p>' if more > 0 else ""
    return title + note + "\n" + "\n".join(shown) + tail


def _pair(index: int, pair: Pair) -> str:
    if pair.kind == "code":
        evidence = pair.evidence
        summary = (f"{100 * pair.score:.0f} % of the smaller one's distinctive code is shared: "
                   f"{evidence['shared_fingerprints']} fingerprints (runs of tokens) that few or "
                   f"no other submissions hold, weight {evidence['shared_weight']:g} of "
                   f"{evidence['distinctive_a']:g} ({escape(pair.a)}) and "
                   f"{evidence['distinctive_b']:g} ({escape(pair.b)}). Marked: the lines they "
                   "share.")
        sides = (f'<div class="sides"><div>{_code_side(pair.a, evidence["a_code"])}</div>'
                 f'<div>{_code_side(pair.b, evidence["b_code"])}</div></div>')
    else:
        matches = pair.evidence["matches"]
        summary = (f"{len(matches)} identical wrong value(s), in "
                   f"{escape(', '.join(pair.evidence['exercises']))}, that few or no other "
                   "submissions returned and that match no known misconception"
                   + (f"; the first {MATCHES_SHOWN} here, all in class.json."
                      if len(matches) > MATCHES_SHOWN else "."))
        sides = "".join(_output_match(pair, match) for match in matches[:MATCHES_SHOWN])
    return (f'<section class="pair" id="pair-{index + 1}">\n<h3>{_link(pair.a)} and '
            f"{_link(pair.b)} — {escape(pair.kind)}</h3>\n<p>{summary}</p>\n"
            f"{sides}\n</section>")


def _code_side(name: str, functions: list[dict]) -> str:
    blocks = []
    for function in functions:
        marked = set(function["marked"])
        lines = "\n".join(f"<mark>{escape(line)}</mark>" if number in marked else escape(line)
                          for number, line in enumerate(function["lines"]))
        blocks.append(f"<pre>{lines}</pre>")
    return f"<h4>{_link(name)}</h4>" + "".join(blocks)


def _output_match(pair: Pair, match: dict) -> str:
    """One identical wrong value: where, what was expected, then what each returned."""
    got = escape(match["got"])
    return (f"<p><b>{escape(match['check'])}</b>, case <code>{escape(match['case'] or '—')}</code>"
            f" (returned by {match['holders']} submission(s)); expected:</p>"
            f"<pre>{escape(match['expected'])}</pre>"
            f'<div class="sides"><div><h4>{_link(pair.a)} returned</h4><pre>{got}</pre></div>'
            f"<div><h4>{_link(pair.b)} returned</h4><pre>{got}</pre></div></div>")


def _problems(report: ClassReport) -> str:
    title = f'<h2 id="problems">Problems ({len(report.problems)})</h2>\n'
    items = [f"<li>{_link(row.submission)}: {escape(problem)}</li>"
             for row in report.problems for problem in row.problems]
    items += [f"<li>{escape(name)}: its report.json could not be read</li>"
              for name in report.unreadable]
    if not items:
        return title + '<p class="note">Every submission was graded in full.</p>'
    return title + f'<ul class="problems">{"".join(items)}</ul>'


def _isolation(report: ClassReport) -> str:
    rows = "".join(f"<tr><td>{escape(group.mode)}</td><td class=\"num\">{group.count}</td>"
                   f"<td>{_names(group.submissions)}</td></tr>" for group in report.isolation)
    return ('<h2 id="isolation">Isolation</h2>\n<p class="note">What each submission\'s code ran '
            "under.</p>\n<table><thead><tr><th>Isolation</th><th>Submissions</th><th>Which</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>")


def _slowest(report: ClassReport) -> str:
    rows = "".join(f"<tr><td>{_link(row.submission)}</td><td class=\"num\">{row.seconds:.1f}</td>"
                   "</tr>" for row in report.slowest)
    return ('<h2 id="slowest">Slowest</h2>\n<table class="compact"><thead><tr><th>Submission</th>'
            f"<th>Seconds</th></tr></thead><tbody>{rows}</tbody></table>")


def _index(report: ClassReport) -> str:
    rows = "".join(_index_row(row) for row in report.submissions)
    return ('<h2 id="submissions">All submissions</h2>\n<table><thead><tr><th>Submission</th>'
            "<th>Assignment</th><th>Points</th><th>%</th><th>Seconds</th><th>Problems</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>")


def _index_row(row: Row) -> str:
    return (f"<tr><td>{_link(row.submission)}</td><td>{escape(row.assignment or '—')}</td>"
            f'<td class="num">{points(row.score, row.max_score)}</td>'
            f'<td class="num">{row.percent:.1f}</td><td class="num">{row.seconds:.1f}</td>'
            f"<td>{len(row.problems) or ''}</td></tr>")


def _link(name: str) -> str:
    return f'<a href="{escape(report_link(name))}">{escape(name)}</a>'


def _names(names: list[str], link: bool = True) -> str:
    shown = [(_link(name) if link else escape(name)) for name in names[:NAMES_SHOWN]]
    more = len(names) - NAMES_SHOWN
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")
