"""What a Gradescope results.json must be, checked explicitly (shared by test_exports and
test_bundle).

Written from Gradescope's "Autograder Specifications" (gradescope-autograders.readthedocs.io,
/specs/): every key is optional there, but a file that Gradescope would show wrongly is still a
bug here, so these checks also demand what the kit promises: a score, one test per rubric check
with its points, and outputs a student can read.
"""

from __future__ import annotations

import json
import math

from grader.checks.rubric import Rubric

TOP_LEVEL_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format",
                  "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
                  "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output",
             "output_format", "tags", "visibility", "extra_data"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
STATUSES = {"passed", "failed"}


def parse(text: str) -> dict:
    """The JSON object in `text`; NaN and Infinity, which JSON does not allow, are refused."""
    def refuse(constant: str):
        raise AssertionError(f"results.json holds {constant}, which is not JSON")
    data = json.loads(text, parse_constant=refuse)
    assert isinstance(data, dict), "results.json must hold a JSON object"
    return data


def check_format(data: dict) -> None:
    """Raise AssertionError saying what is wrong if `data` breaks Gradescope's format."""
    assert set(data) <= TOP_LEVEL_KEYS, f"unknown keys: {set(data) - TOP_LEVEL_KEYS}"
    assert _is_number(data.get("score")), f"score must be a number, got {data.get('score')!r}"
    assert isinstance(data.get("output"), str) and data["output"].strip(), "output must be text"
    assert isinstance(data.get("tests"), list), "tests must be a list"
    if "execution_time" in data:
        assert isinstance(data["execution_time"], int) and data["execution_time"] >= 0
    for key in ("visibility", "stdout_visibility"):
        assert data.get(key, "visible") in VISIBILITIES, f"{key} = {data.get(key)!r}"
    for key in ("output_format", "test_output_format", "test_name_format"):
        assert data.get(key, "text") in FORMATS, f"{key} = {data.get(key)!r}"
    for test in data["tests"]:
        check_test(test)
    total = sum(test["score"] for test in data["tests"])
    if data["tests"]:
        assert math.isclose(total, data["score"], abs_tol=1e-6), (
            f"the tests' scores add up to {total}, the score says {data['score']}")


def check_test(test: dict) -> None:
    name = test.get("name")
    assert isinstance(name, str) and name, f"a test needs a name: {test!r}"
    assert set(test) <= TEST_KEYS, f"{name}: unknown keys {set(test) - TEST_KEYS}"
    assert _is_number(test.get("score")) and _is_number(test.get("max_score")), name
    assert 0 <= test["score"] <= test["max_score"], f"{name}: {test['score']} / {test['max_score']}"
    assert test.get("status") in STATUSES, f"{name}: status {test.get('status')!r}"
    assert (test["status"] == "passed") == (test["score"] == test["max_score"]), (
        f"{name}: status {test['status']} with {test['score']} / {test['max_score']}")
    assert isinstance(test.get("output"), str), f"{name}: output must be text"
    if test["status"] == "failed":
        assert test["output"].strip(), f"{name}: a failed test must say why"
    assert test.get("visibility", "visible") in VISIBILITIES, name
    assert test.get("output_format", "text") in FORMATS, name


def check_against_rubric(data: dict, rubric: Rubric) -> None:
    """One test per rubric check, in rubric order, each worth its rubric points, or, for a check
    that was not graded (`grade --skip-mnist`), worth 0 of 0 and saying so; the score is out of
    the rubric's total."""
    expected = [(exercise, check) for exercise in rubric.exercises()
                for check in rubric.checks(exercise)]
    found = [(test["extra_data"]["exercise"], test["extra_data"]["check"]) for test in data["tests"]]
    assert found == expected, "the tests are not the rubric's checks in rubric order"
    for test, (exercise, check) in zip(data["tests"], expected):
        if test["extra_data"].get("status") == "skipped":
            assert (test["score"], test["max_score"], test["status"]) == (0, 0, "passed"), test
            assert test["name"].endswith("(not graded)") and "Not graded" in test["output"], test
            continue
        assert test["max_score"] == rubric.points(exercise, check), (
            f"{test['name']}: max_score {test['max_score']}, rubric {rubric.points(exercise, check)}")
    assert 0 <= data["score"] <= rubric.max_score()


def check_results_json(text: str, rubric: Rubric) -> dict:
    """Parse and check a results.json the kit rendered from a grade; returns its data."""
    data = parse(text)
    check_format(data)
    check_against_rubric(data, rubric)
    return data


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
