"""A corpus of realistic student submissions, graded by the real `grade` command: each must lose
points exactly where its mistakes are, with a hint that names each mistake by its fix.

`tests/corpus/*.py` are notebooks as `# %%` cells, written the way students write them: helpers
and classes, globals set in data cells, labels rebuilt inside their functions, loops, tuples,
pasted tutorials and pasted notebooks. `tests/corpus/expected.toml` says, for each, which
exercises lose points, with exactly which diagnoses (so that no hint names a mistake that is not
there), and what the hints must say. Correct work, in any style, keeps every point.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from grader.checks.diagnose import DIAGNOSES

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
EXPECTED = tomllib.loads((CORPUS / "expected.toml").read_text(encoding="utf-8"))
NAMES = sorted(EXPECTED)
pytestmark = pytest.mark.mnist


@pytest.fixture(scope="module")
def reports(tmp_path_factory, mnist_dir) -> dict[str, dict]:
    """Grade the whole corpus, one `grade` batch per assignment; name → its report.json."""
    out = tmp_path_factory.mktemp("corpus-feedback")
    for assignment in sorted({entry["assignment"] for entry in EXPECTED.values()}):
        files = [str(CORPUS / f"{name}.py") for name in NAMES
                 if EXPECTED[name]["assignment"] == assignment]
        run = subprocess.run([sys.executable, "-m", "grader", *files, "--assignment", assignment,
                              "--out", str(out / assignment), "--jobs", "2"],
                             capture_output=True, text=True, cwd=ROOT, timeout=900)
        assert run.returncode == 0, run.stderr[-3000:]
    return {name: json.loads((out / EXPECTED[name]["assignment"] / name / "report.json")
                             .read_text(encoding="utf-8")) for name in NAMES}


def failing_cases(report: dict, exercise: str) -> list[dict]:
    """The feedback of every case of `exercise` that did not pass."""
    return [case.get("feedback") or {} for test in report["tests"] if test["exercise"] == exercise
            for case in test["cases"] if case["status"] != "passed"]


def lost(report: dict) -> set[str]:
    return {test["exercise"] for test in report["tests"] if test["score"] < test["max_score"]}


def test_every_submission_in_the_folder_has_its_expectations():
    assert sorted(path.stem for path in CORPUS.glob("*.py")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_points_are_lost_exactly_where_the_mistakes_are(reports, name):
    report, loses = reports[name], EXPECTED[name].get("loses", {})
    assert lost(report) == set(loses), f"{name} lost points in {sorted(lost(report))}"
    if not loses:
        assert report["score"] == report["max_score"]


@pytest.mark.parametrize("name", [name for name in NAMES if EXPECTED[name].get("loses")])
def test_each_mistake_is_named_and_nothing_else(reports, name):
    for exercise, wanted in EXPECTED[name]["loses"].items():
        found = {case.get("diagnosis", "") for case in failing_cases(reports[name], exercise)}
        assert found - {""} == set(wanted), (exercise, sorted(found))


@pytest.mark.parametrize("name", [name for name in NAMES if EXPECTED[name].get("loses")])
def test_the_hints_say_how_to_fix_it(reports, name):
    for exercise, phrases in EXPECTED[name].get("hints", {}).items():
        hints = " ".join(case.get("hint", "") for case in failing_cases(reports[name], exercise))
        missing = [phrase for phrase in phrases if phrase not in hints]
        assert not missing, (exercise, missing, hints[:2000])
    for exercise, phrases in EXPECTED[name].get("not_hints", {}).items():
        hints = " ".join(case.get("hint", "") for case in failing_cases(reports[name], exercise))
        assert not [phrase for phrase in phrases if phrase in hints], exercise


def test_every_failed_case_has_a_hint_and_every_diagnosis_is_catalogued(reports):
    for name, report in reports.items():
        for test in report["tests"]:
            for case in test["cases"]:
                if case["status"] == "passed":
                    continue
                feedback = case.get("feedback") or {}
                assert feedback.get("hint"), (name, test["name"], case["id"])
                diagnosis = feedback.get("diagnosis", "")
                assert diagnosis == "" or diagnosis in DIAGNOSES, (name, diagnosis)
                assert diagnosis == "" or diagnosis.startswith(test["exercise"] + "."), \
                    (name, test["exercise"], diagnosis)
