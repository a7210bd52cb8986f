"""Results: the one model every renderer reads — submission → exercises → checks → cases.

Scoring fills it, renderers only read it: no score is computed and no sentence is composed outside
`grader.checks.scoring`. `SubmissionResult.to_json_dict()` is the report.json schema and
`from_json_dict()` reads it back (the round trip is exact).

    {"submission", "assignment", "score", "max_score", "percent",
     "tests": [{"name", "exercise", "check", "status", "score", "max_score", "message",
                "feedback", "cases"}],
     "skipped", "problems", "load_errors", "isolation", "output", "seconds", "kit_version", "fingerprint"}

A test's `status` is one of STATUSES. `score` is the sum of the tests' scores and `max_score` the
sum of theirs, so a check with status `skipped` (not graded: `grade --skip-mnist`), whose score and
max_score are both 0, counts in neither: a correct submission graded without the MNIST check has
82 of 82, 100 %. `percent` is 100 × score / max_score. `skipped` at the top level is something
else: the notebook's statements the extract step did not run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

#: A graded check's statuses, from best to worst; a check takes the worst status among its cases.
GRADED_STATUSES = ("passed", "failed", "error", "timeout")
#: The status of a check that was not graded at all (the instructor left it out), worth 0 of 0.
NOT_GRADED = "skipped"
STATUSES = (*GRADED_STATUSES, NOT_GRADED)


@dataclass(frozen=True)
class Skipped:
    """A top-level statement the extract step did not run. cell_index: 0-based position in the
    notebook's cells (the `# %%` cell for a .py file); line: 1-based line in that cell (in the
    file for a .py). Defined here, with the rest of the model, so that reading a report never
    needs the extract step's imports (IPython, nbformat)."""

    cell_index: int
    line: int
    summary: str  # "`for epoch in range(10): ...` (a loop)"

    @property
    def where(self) -> str:
        return f"code cell {self.cell_index + 1}, line {self.line}"

    def __str__(self) -> str:
        return f"{self.where}: {self.summary}"


@dataclass(frozen=True)
class CaseResult:
    """One parametrized case of a check ("" when the check has no parameters)."""

    id: str
    status: str
    message: str = ""
    feedback: dict | None = None   # grader.checks.feedback.Feedback.as_dict(): summary, expected, got, input, hint
    seconds: float = 0.0           # setup and run of the case, student calls included


@dataclass(frozen=True)
class CheckResult:
    """One check (one test function): its points are shared evenly by its cases."""

    name: str                 # readable: "softmax: sums to one"
    exercise: str             # the graded function's name, or "mnist_accuracy"
    check: str                # the test function's name without `test_`: "sums_to_one"
    status: str               # one of STATUSES
    score: float
    max_score: float
    message: str              # the first failing case's summary; "" when passed
    feedback: dict | None = None
    cases: list[CaseResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def graded(self) -> bool:
        """False for a check the instructor left out: it neither passed nor lost points."""
        return self.status != NOT_GRADED


@dataclass(frozen=True)
class ExerciseResult:
    name: str
    checks: list[CheckResult]

    @property
    def score(self) -> float:
        return round(sum(check.score for check in self.checks), 4)

    @property
    def max_score(self) -> float:
        return round(sum(check.max_score for check in self.checks), 4)

    @property
    def passed(self) -> bool:
        """No point lost: every graded check passed (vacuously true when none was graded)."""
        return all(check.passed for check in self.checks if check.graded)

    @property
    def graded(self) -> bool:
        """False when every check was left out (not graded), so the exercise counts for nothing."""
        return any(check.graded for check in self.checks)


@dataclass(frozen=True)
class LoadError:
    """A kept cell that raised while the worker loaded it. cell_index as in extract.Skipped."""

    cell_index: int
    message: str


@dataclass(frozen=True)
class SubmissionResult:
    submission: str
    assignment: str | None
    score: float
    max_score: float
    exercises: list[ExerciseResult] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # why (part of) it was not graded; warnings
    load_errors: list[LoadError] = field(default_factory=list)
    isolation: str = ""         # "bubblewrap" or "limits only: <why>"
    output: str = ""            # what the student's code printed, truncated
    seconds: float = 0.0        # wall time of grading
    kit_version: str = ""
    fingerprint: str = ""       # what was graded (grader.batch.fingerprint): reuse while it matches

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    @property
    def checks(self) -> list[CheckResult]:
        return [check for exercise in self.exercises for check in exercise.checks]

    def to_json_dict(self) -> dict:
        return {
            "submission": self.submission,
            "assignment": self.assignment,
            "score": self.score,
            "max_score": self.max_score,
            "percent": round(self.percent, 2),
            "tests": [asdict(check) for check in self.checks],
            "skipped": [asdict(item) for item in self.skipped],
            "problems": list(self.problems),
            "load_errors": [asdict(item) for item in self.load_errors],
            "isolation": self.isolation,
            "output": self.output,
            "seconds": self.seconds,
            "kit_version": self.kit_version,
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_json_dict(cls, data: dict) -> SubmissionResult:
        """The inverse of to_json_dict (`percent` is derived, so it is not read)."""
        exercises: dict[str, list[CheckResult]] = {}
        for test in data["tests"]:
            cases = [CaseResult(**case) for case in test.get("cases", [])]
            exercises.setdefault(test["exercise"], []).append(CheckResult(**{**test, "cases": cases}))
        return cls(
            submission=data["submission"], assignment=data["assignment"],
            score=data["score"], max_score=data["max_score"],
            exercises=[ExerciseResult(name, checks) for name, checks in exercises.items()],
            skipped=[Skipped(**item) for item in data.get("skipped", [])],
            problems=list(data.get("problems", [])),
            load_errors=[LoadError(**item) for item in data.get("load_errors", [])],
            isolation=data.get("isolation", ""), output=data.get("output", ""),
            seconds=data.get("seconds", 0.0), kit_version=data.get("kit_version", ""),
            fingerprint=data.get("fingerprint", ""),
        )
