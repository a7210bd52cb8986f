"""The same submission graded many times gives the same scores and the same reports, timings aside:
twenty copies of one example with a classic mistake (so the feedback has values, hints and a
failed training run in it) are graded by the real `grade` command one at a time (--jobs 1) and
two at a time (--jobs 2), each into a fresh --out.

Compared: every file of every report folder (report.json, report.md, report.html, results.json)
and the rows of grades.csv, once the submission's name, the wall-clock times ("seconds",
"execution_time" and the "· 1.4 s" of the footers) and the kit's fingerprint (a hash of the kit's
files, which may change between two runs on a shared machine) are masked.

Also: ten gradings of an init_params that draws from NumPy's global generator without a seed give
one report; ten gradings of the correct example while two other processes keep both cores busy
all get full marks and one report.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hostile.corpus import CORRECT_NOTEBOOK, NOTEBOOK_NAME, ROOT, write_submission
from hostile.harness import run_grade

EXAMPLE = ROOT / "assignments" / "examples" / "mnist_mlp" / "no_relu_mask" / NOTEBOOK_NAME
COPIES = [f"copy-{number:02d}" for number in range(1, 21)]
JOBS = (1, 2)
UNSTABLE_KEYS = {"seconds", "execution_time", "fingerprint", "submission"}
WALL_CLOCK = re.compile(r"\b\d+(?:\.\d+)? s\b")


@pytest.fixture(scope="module")
def graded(tmp_path_factory, mnist_dir) -> dict[int, tuple]:
    """jobs → (the run, its --out folder), each run over the same 20 copies."""
    root = tmp_path_factory.mktemp("determinism")
    folders = []
    for name in COPIES:
        (root / "submissions" / name).mkdir(parents=True)
        shutil.copy(EXAMPLE, root / "submissions" / name / NOTEBOOK_NAME)
        folders.append(root / "submissions" / name)
    runs = {}
    for jobs in JOBS:
        out = root / f"out-jobs-{jobs}"
        runs[jobs] = run_grade(folders, out, jobs=jobs, workdir=root / f"work-jobs-{jobs}"), out
    return runs


def masked(text: str, name: str) -> str:
    return WALL_CLOCK.sub("<time> s", text.replace(name, "<name>"))


def without_unstable_keys(value):
    if isinstance(value, dict):
        return {key: without_unstable_keys(item) for key, item in value.items()
                if key not in UNSTABLE_KEYS}
    if isinstance(value, list):
        return [without_unstable_keys(item) for item in value]
    return value


def report_folder(out: Path, name: str) -> dict[str, str]:
    """file name → its masked text, for every file of out/name."""
    files = {}
    for path in sorted((out / name).iterdir()):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            text = json.dumps(without_unstable_keys(json.loads(text)), indent=1, sort_keys=True)
        files[path.name] = masked(text, name)
    return files


def test_every_run_exits_0(graded):
    for jobs, (run, out) in graded.items():
        assert run.returncode == 0, (jobs, run.stderr[-2000:])


@pytest.mark.mnist
def test_the_graded_example_has_feedback_worth_comparing(graded):
    report = json.loads((graded[1][1] / COPIES[0] / "report.json").read_text())
    failed = [test for test in report["tests"] if test["status"] != "passed"]
    assert 0 < report["score"] < 100 and failed
    assert all(test["feedback"] for test in failed if test["exercise"] == "backprop")


@pytest.mark.mnist
def test_twenty_gradings_give_the_same_reports_in_one_job_and_in_two(graded):
    _, first_out = graded[JOBS[0]]
    expected = report_folder(first_out, COPIES[0])
    assert {"report.json", "report.md", "report.html"} <= set(expected)
    differing = [(jobs, name, file_name)
                 for jobs, (_, out) in graded.items() for name in COPIES
                 for file_name, text in report_folder(out, name).items()
                 if text != expected.get(file_name)]
    assert differing == []


@pytest.mark.mnist
def test_the_grades_table_has_the_same_row_for_every_copy(graded):
    rows = set()
    for _, out in graded.values():
        table = (out / "grades.csv").read_text(encoding="utf-8").splitlines()
        rows |= {row.split(",", 1)[1] for row in table[1:]}
    assert len(rows) == 1, rows


# ---- unseeded student code, and a busy machine ---------------------------------------------------

#: The most-copied MNIST tutorial's init_params: NumPy's global generator, no seed, uniform draws.
UNSEEDED_INIT = '''def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    return {"W1": np.random.rand(n_input, n_hidden) - 0.5, "b1": np.random.rand(1, n_hidden) - 0.5,
            "W2": np.random.rand(n_hidden, n_output) - 0.5, "b2": np.random.rand(1, n_output) - 0.5}
'''
TEN = [f"copy-{number:02d}" for number in range(1, 11)]


def graded_copies(root: Path, notebook: Path, jobs: int, busy: int = 0) -> Path:
    """Ten copies of `notebook` graded in one batch with `jobs`, while `busy` other processes
    keep cores busy; the --out folder."""
    folders = []
    for name in TEN:
        (root / "submissions" / name).mkdir(parents=True)
        shutil.copy(notebook, root / "submissions" / name / NOTEBOOK_NAME)
        folders.append(root / "submissions" / name)
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
    try:
        run = run_grade(folders, root / "out", jobs=jobs, workdir=root / "work")
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert run.returncode == 0, run.stderr[-2000:]
    return root / "out"


def distinct_reports(out: Path) -> list[dict[str, str]]:
    distinct = []
    for name in TEN:
        folder = report_folder(out, name)
        if folder not in distinct:
            distinct.append(folder)
    return distinct


@pytest.mark.mnist
def test_unseeded_init_params_gets_one_report(tmp_path, mnist_dir):
    """np.random.rand without a seed: the worker seeds NumPy's and Python's global generators
    before every call, so ten gradings give one report (and it says the draws are not seeded)."""
    notebook = write_submission(tmp_path / "unseeded", [UNSEEDED_INIT], "init_params")
    out = graded_copies(tmp_path / "b", notebook, jobs=2)
    [report] = distinct_reports(out)
    data = json.loads((out / TEN[0] / "report.json").read_text())
    init = [test for test in data["tests"] if test["exercise"] == "init_params"]
    assert any(test["score"] < test["max_score"] for test in init)


@pytest.mark.mnist
def test_busy_cores_cost_no_points(tmp_path, mnist_dir):
    """Two processes keep both cores busy: ten gradings of the correct example, two at a time,
    all get full marks and the same report. Limits are CPU time, not the wall clock."""
    out = graded_copies(tmp_path, CORRECT_NOTEBOOK, jobs=2, busy=2)
    scores = {json.loads((out / name / "report.json").read_text())["score"] for name in TEN}
    assert scores == {100}
    assert len(distinct_reports(out)) == 1
