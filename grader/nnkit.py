"""`nnkit SUBCOMMAND ...`: one command for the instructor's week, each step a subcommand.

The subcommands are the kit's own tools, each also runnable alone (`grade` is `nnkit grade`); this
module only names them, prints the manual, and hands the rest of the command line to the one
asked for, importing only that one (a grading machine need not have the authoring tools).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass
from importlib import metadata


@dataclass(frozen=True)
class Subcommand:
    module: str                      # its `main(argv) -> int`
    summary: str
    needs: tuple[str, ...] = ()      # packages of the `author` extra it cannot run without


#: In the order of the week.
SUBCOMMANDS = {
    "release": Subcommand("grader.instructor.release", "make the student releases and example submissions",
                          needs=("nbgrader",)),
    "selftest": Subcommand("grader.instructor.selftest", "check that the suites give the solutions full marks"),
    "reference": Subcommand("reference.run", "train the reference on full MNIST: metrics, figures",
                            needs=("matplotlib",)),
    "grade": Subcommand("grader.cli", "grade a submission or a class: reports, gradebook"),
    "class-report": Subcommand("grader.classreport.__main__", "rebuild DIR/class.html from DIR's "
                                                              "reports"),
    "bundle": Subcommand("grader.instructor.bundle", "build autograder.zip for Gradescope"),
}

MANUAL = """\
nnkit: the autograder kit for the "neural networks from scratch" MNIST assignment.

usage: nnkit SUBCOMMAND [OPTIONS]      (nnkit SUBCOMMAND --help: its own manual)

The instructor's week, in order:
{table}

examples:
  nnkit release                            write release/<id>/ from source/<id>/ (nbgrader)
  nnkit selftest                           the suites give the reference full marks
  nnkit reference --epochs 20              train the reference, write runs/<time>/
  nnkit grade submissions/ --out feedback  grade a class; `grade` is the same command
  nnkit class-report feedback              rebuild feedback/class.html
  nnkit bundle --assignment mnist_mlp      autograder.zip for Gradescope

Grading needs only `pip install nnkit-autograder`; release and reference (nbgrader, matplotlib)
need `pip install 'nnkit-autograder[author]'`.

exit status: the subcommand's (its --help lists them): 0 done; 1 a grade or a check fell short;
2 a usage error or missing data, nothing done; 3 grade --require-isolation refused to grade.
2 for an unknown subcommand."""


def manual() -> str:
    width = max(map(len, SUBCOMMANDS))
    table = "\n".join(f"  {name:<{width}}  {command.summary}"
                      for name, command in SUBCOMMANDS.items())
    return MANUAL.format(table=table)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(manual())
        return 0
    if argv[0] == "--version":
        print(f"nnkit {version()}")
        return 0
    name, rest = argv[0], argv[1:]
    command = SUBCOMMANDS.get(name)
    if command is None:
        print(f"nnkit: there is no subcommand {name!r}; the subcommands are "
              f"{', '.join(SUBCOMMANDS)} (see `nnkit --help`)", file=sys.stderr)
        return 2
    missing = [package for package in command.needs if importlib.util.find_spec(package) is None]
    if missing and not {"-h", "--help"} & set(rest):
        print(f"nnkit {name}: needs {' and '.join(missing)}, which the grading install leaves "
              "out: pip install 'nnkit-autograder[author]' (in a checkout: "
              "pip install -e '.[author]')", file=sys.stderr)
        return 2
    return int(importlib.import_module(command.module).main(rest) or 0)


def version() -> str:
    try:
        return metadata.version("nnkit-autograder")
    except metadata.PackageNotFoundError:
        return "(not installed)"


if __name__ == "__main__":
    sys.exit(main())
