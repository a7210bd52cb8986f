"""The hidden suites collected once per grading process, then run for each submission.

    CollectedSuites(args) → pytest configured and grader/checks/suites collected (once)
    .run(session) → register the submission's GradingSession, run the items of every exercise it
                    does not leave out, unregister it

`pytest.main` for every submission configured pytest, imported the suites and collected their
105 cases again each time: about a tenth of a submission's grading (measured: 122 of 938 ms a
submission outside the cases themselves, 51 of them collecting). The cases run exactly as
`pytest.main` runs them: `pytest_runtest_protocol` for each item, in collection order, with the
next item so that module and session fixtures are torn down where pytest would tear them down.
After the last item every fixture is torn down, so the next submission starts from nothing: its
own session fixture (its student), its own outcomes.

This uses pytest's own entry points below `pytest.main` (`_prepareconfig`, `_do_configure`), which
are not public: where they are missing or fail, `run_collected` says so (False) and the caller
falls back to `pytest.main`. A run interrupted by anything else than the suites' own outcomes (an internal
error, Ctrl-C) leaves fixtures half set up, so the collection is thrown away and built anew.
"""

from __future__ import annotations

import sys
import traceback

import pytest

from grader.checks.plugin import PLUGIN_NAME, GradingSession, exercise_of, hide_tracebacks


class CollectedSuites:
    """pytest configured with `args` (its command line) and the suites collected, once."""

    def __init__(self, args: list[str]):
        from _pytest.config import _prepareconfig   # what pytest.main does first
        self.config = _prepareconfig(args, plugins=[])
        self.config._do_configure()
        self.session = pytest.Session.from_config(self.config)
        self.config.hook.pytest_sessionstart(session=self.session)
        self.items = self.session.perform_collect()
        hide_tracebacks(self.items)
        self.usable = True

    def run(self, grading: GradingSession) -> None:
        """Every item of an exercise `grading` does not leave out, for its student."""
        left_out = grading.not_run | grading.not_graded
        items = [item for item in self.items if exercise_of(item) not in left_out]
        manager = self.config.pluginmanager
        manager.register(grading, PLUGIN_NAME)
        try:
            for index, item in enumerate(items):
                following = items[index + 1] if index + 1 < len(items) else None
                self.config.hook.pytest_runtest_protocol(item=item, nextitem=following)
        except BaseException:
            self.usable = False          # fixtures half set up: never run these items again
            raise
        finally:
            manager.unregister(grading)


_COLLECTED: dict[tuple, CollectedSuites] = {}


def collect(args: list[str]) -> CollectedSuites | None:
    """This process's collection for `args`, made now if it has none that is usable; None when
    pytest cannot be driven this way here."""
    key = tuple(args)
    collected = _COLLECTED.get(key)
    if collected is None or not collected.usable:
        try:
            collected = _COLLECTED[key] = CollectedSuites(args)
        except Exception:
            _COLLECTED.pop(key, None)
            return None
    return collected


def run_collected(args: list[str], grading: GradingSession) -> bool:
    """Run the suites for `grading` on this process's collection for `args` (made on first use,
    or ahead of it by `collect`); False, having run nothing, when pytest cannot be driven this
    way here (the caller then uses pytest.main). An internal error of pytest or the suites ends
    the run as pytest.main would end it: the cases not yet run have no outcome (scoring makes
    each an error)."""
    collected = collect(args)
    if collected is None:
        return False
    try:
        collected.run(grading)
    except Exception:   # a bug of the grader's: its cases not yet run become errors
        traceback.print_exc(file=sys.__stderr__)     # for the instructor, never in a report
    return True
