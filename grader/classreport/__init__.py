"""The class report: what a class got wrong and whether work was shared, for the instructor.

    write_class_report(out, notebooks=None) -> ClassReport   DIR/class.html, class.md, class.json
    nnkit class-report DIR [PATH...]                         the same, from the reports in DIR

A pipeline of its own, after grading, that reads only what grading wrote:

    DIR/*/report.json ─────────────────────────────────── collect ┐
    each submission's notebook → owncode → fingerprints ─ collect ┴→ model.build → html,
                                                                      markdown, jsonfile

The notebook of a submission is the one `notebooks` maps its name to, else the one an earlier run
recorded for it in DIR/.notebooks.json (sources.py); a submission with neither is graded as usual
but left out of the code comparison, and the report says so. Nothing here is shown to students,
and nothing here writes into a student's folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from grader.render.atomic import write_atomically
from grader.classreport import html, jsonfile, markdown
from grader.classreport.collect import compare, own_codes, read_reports
from grader.classreport.model import ClassReport, build, diagnosis_labels
from grader.classreport.owncode import starter_code
from grader.classreport.sources import remember
from grader.classreport.terminal import top_misconceptions

__all__ = ["ClassReport", "write_class_report", "top_misconceptions", "read_reports", "prepare",
           "compare_ahead"]

#: What write_class_report writes into DIR, each atomically; class.html last, so the page a
#: browser may already show is replaced only once the data it summarises is on disk.
FILES = (("class.json", jsonfile.render), ("class.md", markdown.render),
         ("class.html", html.render))


def write_class_report(out: Path, notebooks: Mapping[str, Path] | None = None) -> ClassReport:
    """Build the class report from every DIR/*/report.json and write class.json, class.md and
    class.html into `out`. `notebooks`: submission name → the notebook (or .py) that was graded,
    for submissions whose report does not record it."""
    out = Path(out)
    results, sources, unreadable = read_reports(out)
    paths = {**sources, **remember(out, notebooks)}
    compared = own_codes([(result.submission, paths.get(result.submission), result.assignment)
                          for result in results])
    report = build(results, compared, folder=str(out), unreadable=unreadable)
    for name, render in FILES:
        write_atomically(out / name, render(report))
    return report


def compare_ahead(notebook: Path, assignment_id: str | None) -> None:
    """Extract and fingerprint one graded notebook now, for the class report written later
    (collect.compare remembers it): `grade` calls it for each submission as it is graded."""
    compare(notebook, assignment_id)


def prepare(assignment_ids) -> None:
    """Do now what the first class report of a process would do first: read the starter code of
    each assignment (its release notebook) and load the catalogue of mistakes. `grade` calls it
    while the submissions are graded in other processes, so that the report it writes once the
    last one is done does not pay for them then (0.17 s here)."""
    diagnosis_labels()
    for assignment_id in assignment_ids:
        starter_code(assignment_id)
