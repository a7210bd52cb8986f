"""The hidden suites collected once per grading process (grader.checks.collected): a submission
graded after others gets exactly what it gets alone, and where the collection cannot be used,
pytest.main grades the same."""

from __future__ import annotations

import pytest

from fake_student import FakeMnist, FakeStudent
from grader.assignments import ASSIGNMENTS
from grader.checks import collected, scoring
from grader.checks.plugin import GradingSession
from mistakes import SOLUTIONS

CORRECT = SOLUTIONS["rows"]
WRONG_RELU = CORRECT.replace("return np.maximum(Z, 0)", "return np.maximum(Z, 0.1)")


def grade(source: str, not_run: set[str] = frozenset()) -> GradingSession:
    session = GradingSession(FakeStudent.from_source(source), ASSIGNMENTS["mnist_mlp"],
                             FakeMnist(error="not needed here"),
                             not_run={"mnist_accuracy", *not_run})
    scoring.run_suites(session)
    return session


def seen(session: GradingSession) -> list[tuple]:
    return [(o.exercise, o.check, o.case, o.status, o.message, o.feedback)
            for o in session.outcomes]


@pytest.fixture
def fresh(monkeypatch):
    """A process with nothing collected yet; what the test collects is dropped after it."""
    monkeypatch.setattr(collected, "_COLLECTED", {})
    built = []
    original = collected.CollectedSuites.__init__

    def counting(self, args):
        built.append(self)
        original(self, args)
    monkeypatch.setattr(collected.CollectedSuites, "__init__", counting)
    return built


def test_a_submission_graded_after_others_gets_what_it_gets_alone(fresh, monkeypatch):
    alone = seen(grade(CORRECT))
    monkeypatch.setattr(collected, "_COLLECTED", {})
    wrong = grade(WRONG_RELU)
    partial = grade(CORRECT, not_run={"softmax", "backprop"})
    after = grade(CORRECT)
    assert len(fresh) == 2                       # once per process: the suites were not re-read
    assert seen(after) == alone
    assert "relu" in wrong.failed_exercises and after.failed_exercises == set()
    assert {o.exercise for o in partial.outcomes}.isdisjoint({"softmax", "backprop"})
    assert {"softmax", "backprop"} <= {o.exercise for o in after.outcomes}
    assert all(o.status == "passed" for o in after.outcomes)


def test_where_pytest_cannot_be_driven_so_pytest_main_grades_the_same(fresh, monkeypatch):
    collected_outcomes = seen(grade(WRONG_RELU))

    def unavailable(self, args):
        raise ImportError("no _pytest.config._prepareconfig in this pytest")
    monkeypatch.setattr(collected, "_COLLECTED", {})
    monkeypatch.setattr(collected.CollectedSuites, "__init__", unavailable)
    assert seen(grade(WRONG_RELU)) == collected_outcomes
    assert collected._COLLECTED == {}


def test_a_run_broken_by_an_internal_error_is_collected_anew(fresh, monkeypatch, capfd):
    """Its cases not yet run have no outcome (scoring makes each an error, as after pytest.main's
    internal error); its fixtures may be half set up, so the next submission collects again."""
    whole = seen(grade(CORRECT))
    [first] = fresh

    def broken(**kwargs):
        raise RuntimeError("a bug in a pytest hook")
    monkeypatch.setattr(first.config.hook, "pytest_runtest_protocol", broken)
    cut_short = grade(CORRECT)
    assert cut_short.outcomes == [] and not first.usable
    assert "a bug in a pytest hook" in capfd.readouterr().err    # the instructor's terminal
    again = grade(CORRECT)
    assert len(fresh) == 2 and seen(again) == whole
