"""`nnkit class-report DIR [PATH...]` (also `python -m grader.classreport`): rebuild
DIR/class.html, class.md and class.json from the reports already in DIR, without grading anything."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from grader.classreport import top_misconceptions, write_class_report

DESCRIPTION = """\
Rebuild the class report of a folder of reports written by `grade --out DIR`: DIR/class.html
(self-contained: open it in any browser), DIR/class.md and DIR/class.json. It shows the score
distribution, pass rates per exercise and per check, the misconceptions the feedback named and who
made them, the checks that fail most, submissions with problems, the isolation each ran under,
the slowest ones, and pairs flagged for shared work (similar own code, or identical rare wrong
answers), side by side.

To compare code, the graded notebooks must be found: give the same PATHs you gave `grade` (a
class folder, nbgrader course, LMS zip, notebooks) when the reports do not record them."""


EPILOG = """\
examples:
  nnkit class-report feedback                      from the reports in feedback/
  nnkit class-report feedback submissions/         also find notebooks graded by older runs

exit status: 0 written; 2 DIR is not a folder, or a PATH does not exist"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nnkit class-report", description=DESCRIPTION,
                                     epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", metavar="DIR", type=Path, help="the folder `grade --out` wrote")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="what was graded, as given to `grade`, to find each notebook")
    parser.add_argument("--assignment", metavar="ID", help="as given to `grade`, if it was")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.out.is_dir():
        print(f"nnkit class-report: {args.out} is not a folder; give the --out DIR "
              "of a `grade` run", file=sys.stderr)
        return 2
    from grader.intake.submission import UsageError
    try:
        notebooks = _notebooks(args.paths, args.assignment, args.out)
    except (UsageError, ValueError) as error:   # a missing PATH, an unknown assignment
        print(f"nnkit class-report: {error}", file=sys.stderr)
        return 2
    report = write_class_report(args.out, notebooks)
    console = Console()
    table = top_misconceptions(report)
    if table is not None:
        console.print(table)
    console.print(f"{len(report.submissions)} report(s); wrote {args.out / 'class.html'}, "
                  "class.md and class.json", markup=False, highlight=False)
    return 0


def _notebooks(paths: list[str], assignment: str | None, out: Path) -> dict[str, Path]:
    """Submission name → notebook, as `grade` named them (same layouts, same unpack folder)."""
    from grader.intake.submission import find_submissions
    if not paths:
        return {}
    return {submission.name: submission.notebook_path
            for submission in find_submissions(paths, assignment, out / ".unpacked")
            if submission.notebook_path is not None}


if __name__ == "__main__":
    sys.exit(main())
