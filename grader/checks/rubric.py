"""The points of every check, read from `grader/checks/rubric.toml`.

    [softmax]
    values = 4          # matches the reference on random logits

One table per exercise (one suite file, `suites/test_<exercise>.py`), one key per check (one test
function, `test_<check>`). A check's points are shared evenly by its parametrized cases; that
split is the scorer's business, not the rubric's.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("rubric.toml")


class RubricError(ValueError):
    """The rubric file is malformed; the message says where."""


@dataclass(frozen=True)
class Rubric:
    table: dict[str, dict[str, float]]   # exercise → check → points, in file order

    def exercises(self) -> list[str]:
        return list(self.table)

    def checks(self, exercise: str) -> list[str]:
        return list(self._exercise(exercise))

    def points(self, exercise: str, check: str) -> float:
        checks = self._exercise(exercise)
        if check not in checks:
            raise KeyError(f"the rubric has no check {check!r} in [{exercise}]; "
                           f"its checks are {', '.join(checks)}")
        return checks[check]

    def exercise_points(self, exercise: str) -> float:
        return sum(self._exercise(exercise).values())

    def max_score(self) -> float:
        return sum(self.exercise_points(exercise) for exercise in self.table)

    def _exercise(self, exercise: str) -> dict[str, float]:
        try:
            return self.table[exercise]
        except KeyError:
            raise KeyError(f"the rubric has no exercise [{exercise}]; "
                           f"its exercises are {', '.join(self.table)}") from None


def load(path: Path | str = DEFAULT_PATH) -> Rubric:
    """Read and validate a rubric: every table holds checks with positive numbers of points."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise RubricError(f"{path}: not valid TOML: {error}") from None
    table: dict[str, dict[str, float]] = {}
    for exercise, checks in raw.items():
        if not isinstance(checks, dict) or not checks:
            raise RubricError(f"{path}: [{exercise}] must be a table of `check = points` lines")
        for check, points in checks.items():
            if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
                raise RubricError(f"{path}: [{exercise}] {check} = {points!r}: points must be a "
                                  "positive number")
        table[exercise] = {check: float(points) for check, points in checks.items()}
    return Rubric(table)
