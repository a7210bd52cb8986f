"""class.json: the class report for tools. The schema (every list sorted as in the page):

    {"folder", "kit_version", "submission_count",
     "submissions": [{"submission", "assignment", "score", "max_score", "percent", "isolation",
                      "seconds", "problems", "report"}],
     "score_histogram": [{"low", "high", "label", "count"}],          percent bands [low, high)
     "exercises": [{"exercise", "full_marks", "submissions", "mean", "max_score",
                    "checks": [{"check", "name", "passed", "total"}]}],
     "misconceptions": [{"id", "exercise", "text", "count", "submissions"}],
     "failing_checks": [{"exercise", "check", "name", "passed", "total"}],
     "problems": [submission names], "isolation": [{"mode", "count", "submissions"}],
     "slowest": [{"submission", "seconds"}],
     "similar_pairs": [{"a", "b", "kind", "score", "evidence"}],       kind: "code" or "outputs"
     "code_compared": [names], "code_missing": [names], "unreadable": [names]}

A code pair's evidence: shared_weight, distinctive_a, distinctive_b, shared_fingerprints and
a_code / b_code, each a list of {"function", "lines", "marked"} (marked: indexes into lines). An
outputs pair's: exercises and matches, each {"exercise", "check", "case", "got", "expected",
"holders"}.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from grader.classreport.model import ClassReport


def render(report: ClassReport) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"


def to_dict(report: ClassReport) -> dict:
    return {
        "folder": report.folder,
        "kit_version": report.kit_version,
        "submission_count": len(report.submissions),
        "submissions": [asdict(row) for row in report.submissions],
        "score_histogram": [asdict(band) for band in report.score_histogram],
        "exercises": [{"exercise": stats.exercise, "full_marks": stats.full_marks,
                       "submissions": stats.submissions, "mean": stats.mean,
                       "max_score": stats.max_score,
                       "checks": [{"check": check.check, "name": check.name,
                                   "passed": check.passed, "total": check.total}
                                  for check in stats.checks]}
                      for stats in report.exercises],
        "misconceptions": [asdict(item) for item in report.misconceptions],
        "failing_checks": [asdict(check) for check in report.failing_checks],
        "problems": [row.submission for row in report.problems],
        "isolation": [asdict(group) for group in report.isolation],
        "slowest": [{"submission": row.submission, "seconds": row.seconds}
                    for row in report.slowest],
        "similar_pairs": [asdict(pair) for pair in report.similar_pairs],
        "code_compared": report.code_compared,
        "code_missing": report.code_missing,
        "unreadable": report.unreadable,
    }
