"""grades.csv: one row per submission, for a spreadsheet or an LMS gradebook import.

    submission,score,max_score,relu,relu_derivative,…,mnist_accuracy
    alice,92.75,100,6,4,…,10

One column per exercise (points earned), in rubric order; rows sorted by submission name, so the
file is the same whatever order grading finished in. Numbers carry the result model's precision
(at most four decimals) and no float noise: 92.75, 100, 0.6667. An exercise that was not graded
(`grade --skip-mnist`) reads `not graded`, not 0, and `max_score` is then what was graded (82).

A submission's name is a folder or file name a student chose. A spreadsheet would run a cell that
starts with `=`, `+`, `-` or `@` as a formula, so such a name is written with a leading `'`
(OWASP's advice for CSV injection); every other name is written as is.
"""

from __future__ import annotations

import csv
import io

from grader.render import NOT_GRADED_LABEL
from grader.results import ExerciseResult, SubmissionResult

FIXED_COLUMNS = ("submission", "score", "max_score")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def render(results: list[SubmissionResult]) -> str:
    """The CSV text of grades.csv for `results` (any order); empty cells where a result has no
    such exercise (a hand-made or foreign result; graded results all carry every exercise)."""
    exercises = exercise_columns(results)
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow([*FIXED_COLUMNS, *exercises])
    for result in sorted(results, key=lambda result: result.submission):
        earned = {exercise.name: exercise_cell(exercise) for exercise in result.exercises}
        writer.writerow([safe_cell(result.submission), number(result.score),
                         number(result.max_score), *(earned.get(name, "") for name in exercises)])
    return stream.getvalue()


def exercise_cell(exercise: ExerciseResult) -> str:
    """The points earned, or `not graded`: a 0 there would read as a failed exercise."""
    return number(exercise.score) if exercise.graded else NOT_GRADED_LABEL


def exercise_columns(results: list[SubmissionResult]) -> list[str]:
    """Exercise names in rubric order: the order results list them in, first seen first."""
    names: dict[str, None] = {}
    for result in results:
        for exercise in result.exercises:
            names.setdefault(exercise.name)
    return list(names)


def number(value: float) -> str:
    """`92.75`, `100`, `0`, `0.6667`: at most four decimals, trailing zeros dropped."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def safe_cell(text: str) -> str:
    """`text`, with a leading `'` when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
