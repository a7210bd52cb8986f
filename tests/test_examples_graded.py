"""The bundled example submissions, graded by the real `grade` command, get the scores they should.

Each example carries one classic mistake (assignments/examples/<id>/expected.json names the
exercises it must cost). A mistake must lose points in its own exercise and in no other graded
function's exercise; the MNIST training check may also fail, when the mistake breaks training, and
then its feedback must name the exercise to fix.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "assignments" / "examples"
ASSIGNMENT_IDS = ("mnist_mlp", "mnist_mlp_columns")


def expected_examples() -> list[tuple[str, str, list[str]]]:
    cases = []
    for assignment_id in ASSIGNMENT_IDS:
        table = json.loads((EXAMPLES / assignment_id / "expected.json").read_text())
        for name, entry in table["examples"].items():
            cases.append((assignment_id, name, entry["loses_points_in"]))
    return cases


@pytest.fixture(scope="module")
def graded(tmp_path_factory, mnist_dir) -> Path:
    """Grade every example of both assignments in one batch; returns the reports' folder."""
    out = tmp_path_factory.mktemp("feedback")
    folders = [str(EXAMPLES / a / name) for a, name, _ in expected_examples()]
    run = subprocess.run([sys.executable, "-m", "grader", *folders, "--out", str(out), "--jobs", "2"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    return out


def load_report(out: Path, assignment_id: str, name: str) -> dict:
    # Same-named submissions of two assignments are told apart by their parent folder.
    candidates = [out / f"{assignment_id}-{name}", out / name]
    for folder in candidates:
        path = folder / "report.json"
        if path.exists():
            report = json.loads(path.read_text())
            if report["assignment"] == assignment_id:
                return report
    raise AssertionError(f"no report for {assignment_id}/{name} in {sorted(p.name for p in out.iterdir())}")


@pytest.mark.mnist
@pytest.mark.parametrize("assignment_id,name,loses", expected_examples(),
                         ids=[f"{a}-{n}" for a, n, _ in expected_examples()])
def test_each_example_loses_points_exactly_where_its_mistake_is(graded, assignment_id, name, loses):
    report = load_report(graded, assignment_id, name)
    lost = {t["exercise"] for t in report["tests"] if t["score"] < t["max_score"]}
    if not loses:
        assert report["score"] == report["max_score"], f"{name} lost points in {sorted(lost)}"
        return
    assert set(loses) <= lost, f"{name}: the mistake in {loses} was not caught (lost: {sorted(lost)})"
    assert lost <= set(loses) | {"mnist_accuracy"}, \
        f"{name}: points lost in exercises without a mistake: {sorted(lost - set(loses))}"
    for test in report["tests"]:
        if test["exercise"] == "mnist_accuracy" and test["score"] < test["max_score"]:
            # The hint names the exercises to fix; when training stopped on an exception, the
            # student's own traceback names the function that raised.
            said = " ".join(str(v) for v in (test.get("feedback") or {}).values())
            assert any(exercise in said for exercise in loses), \
                f"{name}: the training check failed without naming {loses}: {said!r}"
