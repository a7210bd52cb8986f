"""Quick public self-checks for the notebook's eight functions.

    from studentkit import check, use_notation
    use_notation("columns")     # once, in the setup cell: "rows" (the default) or "columns"
    check("softmax", softmax)   # prints a tick, or what is wrong and a hint

The checks themselves are in `studentkit.checks`: shapes, tiny values worked out by hand
(softmax of [0, ln 3] is [1/4, 3/4]) and, for the derivatives, finite differences. Passing them
means a function is probably right; the grader's hidden tests decide the points. This module
runs them (`run_checks`, a `Report`) and prints the report (`check`), with rich when installed.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Callable

from studentkit.checks import CHECKS, NOTATIONS, RELIES_ON
from studentkit.expect import Notation, Problem

#: The notation `check` assumes unless told otherwise; the notebook's setup cell sets it once.
_setting = {"notation": "rows"}


def use_notation(name: str) -> None:
    """Set the notation every later `check` assumes: "rows" (X is (m, 784)) or "columns" ((784, m))."""
    if name not in NOTATIONS:
        raise ValueError(f"unknown notation {name!r}: use 'rows' or 'columns'")
    _setting["notation"] = name


@dataclass
class Outcome:
    description: str
    passed: bool
    message: str = ""
    hint: str = ""


@dataclass
class Report:
    """What the public checks of one exercise found."""

    name: str
    outcomes: list[Outcome] = field(default_factory=list)
    not_written: str = ""      # "NotImplementedError: <the stub's message>" while a stub is left
    not_written_in: str = ""   # the function that raised it: `name` or one it calls
    blocked_by: list[str] = field(default_factory=list)  # functions it relies on that fail

    @property
    def passed(self) -> bool:
        return (not self.not_written and not self.blocked_by
                and all(outcome.passed for outcome in self.outcomes))


def run_checks(name: str, fn: Callable, notation: str | None = None) -> Report:
    """Run the public checks of exercise `name` on the student's function `fn`."""
    if name not in CHECKS:
        raise ValueError(f"no self-check called {name!r}; choose one of {', '.join(CHECKS)}")
    nt = Notation(notation or _setting["notation"])
    report = Report(name)
    if not callable(fn):
        report.outcomes.append(Outcome("is a function", False, f"{name} is a {type(fn).__name__}",
                                       f"pass the function itself: check({name!r}, {name})"))
        return report
    for description, public_check in CHECKS[name]:
        try:
            public_check(fn, nt)
        except Problem as problem:
            report.outcomes.append(Outcome(description, False, problem.what, problem.hint))
        except NotImplementedError as error:
            report.not_written = f"NotImplementedError: {error}"
            report.not_written_in = _raised_in(error) or name
            return report
        except Exception as error:  # the student's code crashed: say what and where, briefly
            where = _raised_in(error)
            place = f" (in {where})" if where and where != name else ""
            report.outcomes.append(Outcome(description, False, f"{type(error).__name__}{place}: {error}",
                                           "read the error; if a name is not defined, run the cells "
                                           "above this one first"))
        else:
            report.outcomes.append(Outcome(description, True))
    report.blocked_by = _failing_helpers(name, fn, nt)
    return report


def _failing_helpers(name: str, fn: Callable, nt: Notation) -> list[str]:
    """The functions `name` relies on that are defined beside `fn` but fail their own checks."""
    defined = getattr(fn, "__globals__", {})
    return [helper for helper in RELIES_ON.get(name, ())
            if callable(defined.get(helper)) and not run_checks(helper, defined[helper], nt.name).passed]


def _raised_in(error: BaseException) -> str:
    """The innermost of the eight exercise functions the error came through ("" if none)."""
    frames = traceback.extract_tb(error.__traceback__)
    names = [frame.name for frame in frames if frame.name in CHECKS]
    return names[-1] if names else ""


def check(name: str, fn: Callable, notation: str | None = None) -> None:
    """Run the public checks of `name` on `fn` and print a tick, or what is wrong and a hint."""
    report = run_checks(name, fn, notation)
    try:
        from rich.console import Console
        from rich.padding import Padding
        from rich.text import Text
    except ImportError:
        print(plain_text(report))
    else:
        styles = {"good": "green", "bad": "bold red", "hint": "yellow"}
        console = Console(highlight=False)
        for style, text in _lines(report):
            # Each line keeps its indent when the console wraps it: a long message stays under
            # the check it belongs to.
            for line in text.split("\n"):
                indent = len(line) - len(line.lstrip())
                console.print(Padding(Text(line.lstrip(), style=styles[style]), (0, 0, 0, indent),
                                      expand=False))


def plain_text(report: Report) -> str:
    return "\n".join(text for _, text in _lines(report))


def _lines(report: Report) -> list[tuple[str, str]]:
    """(style, text) lines, style one of good / bad / hint; `check` only chooses how to show them."""
    if report.not_written:
        where = report.not_written_in
        first = (f"✗ {where} is not written yet" if where == report.name else
                 f"✗ checking {report.name} needs {where}, which is not written yet")
        return [("bad", f"{first}: {report.not_written}"),
                ("hint", f"  Write your code in place of the `raise NotImplementedError(...)` line "
                         f"in {where}, run that cell, then run this check again.")]
    if report.blocked_by:
        helpers = " and ".join(report.blocked_by)
        if len(report.blocked_by) == 1:
            fails, cells = "does not pass its", "its check cell says"
        else:
            fails, cells = "do not pass their", "their check cells say"
        return [("bad", f"✗ {report.name} relies on {helpers}, which {fails} own checks yet."),
                ("hint", f"  Fix {helpers} first ({cells} what is wrong), then run this check again.")]
    failed = [outcome for outcome in report.outcomes if not outcome.passed]
    if not failed:
        return [("good", f"✓ {report.name}: all {len(report.outcomes)} public checks passed.")]
    lines = [("bad", f"✗ {report.name}: {len(failed)} of {len(report.outcomes)} public checks failed.")]
    for outcome in report.outcomes:
        if outcome.passed:
            lines.append(("good", f"  ✓ {outcome.description}"))
            continue
        lines.append(("bad", _indented(f"  ✗ {outcome.description}: {outcome.message}", 4)))
        if outcome.hint:
            lines.append(("hint", _indented(f"      hint: {outcome.hint}", 12)))
    return lines


def _indented(text: str, indent: int) -> str:
    """`text` with every line after the first indented by `indent` spaces, so that a message of
    several lines stays under the check it belongs to."""
    first, *rest = text.split("\n")
    return "\n".join([first, *(" " * indent + line.lstrip() for line in rest)])
