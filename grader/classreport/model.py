"""The class report's model: what a class of SubmissionResults adds up to, for the instructor.

    build(results, compared, folder) -> ClassReport

Only counting and averaging happen here, over the scores grader.checks.scoring already gave; no check is
re-scored, and the renderers (html, markdown, jsonfile, terminal) only read what this builds.
Misconceptions are counted by the stable diagnosis id a check's or a case's feedback carries
(`feedback["diagnosis"]`, "" for none), once per submission and exercise, and labelled from
grader.checks.diagnose's catalogue `DIAGNOSES` (the id itself when the catalogue has no entry).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote

from grader.classreport import similarity
from grader.classreport.collect import Compared
from grader.classreport.similarity import Pair
from grader.results import SubmissionResult

#: Score bands of the histogram, in percent, [low, high): as in the terminal summary.
BANDS = [(low, low + 10) for low in range(0, 100, 10)] + [(100, 101)]
SLOWEST_SHOWN = 10
FAILING_SHOWN = 10
#: The status of a check the instructor left out (e.g. `grade --skip-mnist`): worth 0 of 0, it
#: neither passed nor failed, so it counts in no rate.
NOT_GRADED = "skipped"


@dataclass(frozen=True)
class Row:
    """One submission: its figures and the link to its own report (relative to the class folder)."""

    submission: str
    assignment: str | None
    score: float
    max_score: float
    percent: float
    isolation: str
    seconds: float
    problems: list[str]
    report: str


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    label: str
    count: int


@dataclass(frozen=True)
class CheckRate:
    exercise: str
    check: str
    name: str
    passed: int
    total: int

    @property
    def failed(self) -> int:
        return self.total - self.passed

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


@dataclass(frozen=True)
class ExerciseStats:
    exercise: str
    full_marks: int      # submissions with every point of the exercise
    submissions: int
    mean: float          # mean points
    max_score: float
    checks: list[CheckRate]

    @property
    def rate(self) -> float:
        return self.full_marks / self.submissions if self.submissions else 0.0


@dataclass(frozen=True)
class Misconception:
    id: str
    exercise: str
    text: str
    count: int
    submissions: list[str]


@dataclass(frozen=True)
class IsolationGroup:
    mode: str
    count: int
    submissions: list[str]


@dataclass(frozen=True)
class ClassReport:
    folder: str
    submissions: list[Row]
    score_histogram: list[Band]
    exercises: list[ExerciseStats]
    misconceptions: list[Misconception]
    failing_checks: list[CheckRate]
    problems: list[Row]
    isolation: list[IsolationGroup]
    slowest: list[Row]
    similar_pairs: list[Pair]
    #: what similarity could see: submissions whose code was compared, and those it was not.
    code_compared: list[str] = field(default_factory=list)
    code_missing: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)   # DIR/<name>/report.json not readable
    kit_version: str = ""

    @property
    def percents(self) -> list[float]:
        return [row.percent for row in self.submissions]

    @property
    def flagged(self) -> list[tuple[str, str]]:
        """The pairs flagged, each once, whether by code, by outputs or both."""
        return sorted({(pair.a, pair.b) for pair in self.similar_pairs})


def build(results: list[SubmissionResult], compared: dict[str, Compared | None],
          folder: str = "", unreadable: list[str] | None = None) -> ClassReport:
    """The class report of `results` (any order); `compared` maps a submission to its own code
    and fingerprints, or to None when its notebook could not be found or read."""
    results = sorted(results, key=lambda result: result.submission)
    rows = [_row(result) for result in results]
    exercises = exercise_stats(results)
    available = {name: item for name, item in compared.items() if item is not None}
    pairs = (similarity.code_pairs({name: item.code for name, item in available.items()},
                                   {name: item.prints for name, item in available.items()})
             + similarity.output_pairs(results))
    return ClassReport(
        folder=folder, submissions=rows, score_histogram=histogram(rows), exercises=exercises,
        misconceptions=misconceptions(results),
        failing_checks=sorted((check for exercise in exercises for check in exercise.checks
                               if check.failed), key=lambda check: -check.failed)[:FAILING_SHOWN],
        problems=[row for row in rows if row.problems], isolation=isolation_groups(rows),
        slowest=sorted(rows, key=lambda row: -row.seconds)[:SLOWEST_SHOWN],
        similar_pairs=pairs, code_compared=sorted(available),
        code_missing=sorted(row.submission for row in rows if row.submission not in available),
        unreadable=sorted(unreadable or []),
        kit_version=next((result.kit_version for result in results if result.kit_version), ""))


def _row(result: SubmissionResult) -> Row:
    problems = list(result.problems) + [
        f"cell {error.cell_index + 1} raised an error while loading: {error.message}"
        for error in result.load_errors]
    return Row(result.submission, result.assignment, result.score, result.max_score,
               round(result.percent, 2), result.isolation, result.seconds, problems,
               report_link(result.submission))


def report_link(name: str) -> str:
    """The student's own report, relative to the class folder (class.* sit beside the folders)."""
    return f"{quote(name, safe='')}/report.html"


def histogram(rows: list[Row]) -> list[Band]:
    return [Band(low, high, "100" if low == 100 else f"{low}–{high - 1}",
                 sum(low <= row.percent < high for row in rows)) for low, high in BANDS]


def exercise_stats(results: list[SubmissionResult]) -> list[ExerciseStats]:
    """Per exercise, in rubric order (the order results list them in): full marks, mean points,
    and each check's pass count."""
    found: dict[str, list] = defaultdict(list)
    checks: dict[tuple[str, str], list[bool]] = defaultdict(list)
    names: dict[tuple[str, str], str] = {}
    for result in results:
        for exercise in result.exercises:
            graded = [check for check in exercise.checks if check.status != NOT_GRADED]
            if graded:
                found[exercise.name].append(exercise)
            for check in graded:
                checks[(exercise.name, check.check)].append(check.passed)
                names[(exercise.name, check.check)] = check.name
    stats = []
    for name, exercises in found.items():
        rates = [CheckRate(name, check, names[(name, check)], sum(passed), len(passed))
                 for (exercise, check), passed in checks.items() if exercise == name]
        stats.append(ExerciseStats(
            name, sum(exercise.score == exercise.max_score for exercise in exercises),
            len(exercises), round(statistics.mean(exercise.score for exercise in exercises), 2),
            max(exercise.max_score for exercise in exercises), rates))
    return stats


def misconceptions(results: list[SubmissionResult]) -> list[Misconception]:
    """Each (diagnosis id, exercise) with the submissions whose feedback named it, most
    frequent first."""
    labels = diagnosis_labels()
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for result in results:
        for check in result.checks:
            for feedback in [check.feedback] + [case.feedback for case in check.cases]:
                diagnosis = str((feedback or {}).get("diagnosis") or "")
                if diagnosis:
                    holders[(_qualified(diagnosis, check.exercise), check.exercise)].add(
                        result.submission)
    found = [Misconception(diagnosis, exercise, labels.get(diagnosis, diagnosis), len(names),
                           sorted(names)) for (diagnosis, exercise), names in holders.items()]
    return sorted(found, key=lambda item: (-item.count, item.exercise, item.id))


def _qualified(diagnosis: str, exercise: str) -> str:
    """`exercise.name` for a bare name of a mistake any exercise can make (the catalogue's ids
    are qualified; a report written before they were may carry the bare name)."""
    return diagnosis if "." in diagnosis else f"{exercise}.{diagnosis}"


def diagnosis_labels() -> dict[str, str]:
    """grader.checks.diagnose's catalogue of diagnosis ids, or nothing when this kit has none."""
    try:
        from grader.checks import diagnose
    except ImportError:
        return {}
    catalogue = getattr(diagnose, "DIAGNOSES", None)
    return dict(catalogue) if isinstance(catalogue, dict) else {}


def isolation_groups(rows: list[Row]) -> list[IsolationGroup]:
    modes = Counter(row.isolation or "unknown" for row in rows)
    return [IsolationGroup(mode, count, [row.submission for row in rows
                                         if (row.isolation or "unknown") == mode])
            for mode, count in modes.most_common()]
