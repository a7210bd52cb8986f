"""The Gradescope bundle installed as Gradescope installs it, and attacked.

The zip is unzipped into a fake /autograder (a root-owned folder outside every temporary folder,
as Gradescope's is), and its own setup.sh runs there as root: apt, a venv with Debian's Python,
`pip install` of the bundled kit (a regular install: the kit lands in the very site-packages
NumPy comes from), the check of MNIST (put in place beforehand: these machines reach no MNIST
mirror) and the file modes that close the kit to other users. Then run_autograder grades, as
Gradescope runs it, the submissions of the hostile corpus that go for the kit, with bubblewrap
and without it (NNKIT_SANDBOX=plain, as in a container that forbids namespaces): each gets
nothing for what it attacked and keeps every other point, and the correct notebook gets 100.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from grader.instructor import bundle
from grader.sandbox.process import bubblewrap_problem
from hostile.corpus import (CORRECT_NOTEBOOK, NOTEBOOK_NAME, TRAINED_WITH, Targets, load_attacks,
                            write_submission)

#: The attacks that go for the kit: import it, find it on disk, read, print or change it.
KIT_ATTACKS = ("import_reference", "import_grader", "find_kit_on_disk", "print_hidden_suites",
               "tamper_kit", "snoop_proc", "scratch_trap")
MODES = ("bubblewrap", "plain")
FAKE_ROOT_PARENT = Path("/srv")


def _require(condition: bool, reason: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"CI must test the bundle as Gradescope installs it: {reason}",
                        pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def autograder(tmp_path_factory, mnist_dir) -> Path:
    """A fake /autograder with the bundle unzipped and setup.sh run in it, as root."""
    _require(os.geteuid() == 0, "setup.sh runs as root, as on Gradescope")
    _require(shutil.which("apt-get") is not None, "setup.sh needs apt-get")
    zip_path = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    assert bundle.main(["--assignment", "mnist_mlp", "--out", str(zip_path)]) == 0
    root = FAKE_ROOT_PARENT / f"nnkit-fake-autograder-{secrets.token_hex(4)}"
    root.mkdir(parents=True, mode=0o755)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    (root / "mnist").mkdir()
    for path in mnist_dir.iterdir():
        shutil.copy(path, root / "mnist")
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")],
                           env={**_clean_env(), "NNKIT_AUTOGRADER_ROOT": str(root)},
                           capture_output=True, text=True, timeout=1500)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _clean_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items()
            if key not in ("VIRTUAL_ENV", "PYTHONPATH", "NNKIT_SANDBOX", "MNIST_DIR")}


def installed_kit(root: Path) -> Path:
    """The site-packages the kit was installed into by setup.sh."""
    [site] = (root / "venv" / "lib").glob("python3.*/site-packages")
    return site


def run_autograder(root: Path, notebook: Path, mode: str) -> dict:
    """Gradescope's run for one submission; its results.json."""
    submission, results = root / "submission", root / "results"
    shutil.rmtree(submission, ignore_errors=True)
    shutil.rmtree(results, ignore_errors=True)
    submission.mkdir()
    shutil.copy(notebook, submission / NOTEBOOK_NAME)
    env = {**_clean_env(), "NNKIT_AUTOGRADER_ROOT": str(root)}
    if mode == "plain":
        env["NNKIT_SANDBOX"] = "plain"
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], cwd="/",
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads((results / "results.json").read_text())


def points(results: dict) -> dict[str, tuple[float, float]]:
    """exercise → (score, max_score) summed over its tests."""
    totals: dict[str, list[float]] = {}
    for test in results["tests"]:
        exercise = test["name"].split(":")[0]
        total = totals.setdefault(exercise, [0.0, 0.0])
        total[0] += test["score"]
        total[1] += test["max_score"]
    return {exercise: (score, most) for exercise, (score, most) in totals.items()}


def test_setup_closes_the_installed_kit_to_other_users(autograder):
    site = installed_kit(autograder)
    for folder in (site / "grader", site / "reference", autograder / "source"):
        assert folder.stat().st_mode & 0o077 == 0, folder
    assert (site / "numpy").stat().st_mode & 0o005 == 0o005      # NumPy stays readable


@pytest.mark.mnist
@pytest.mark.parametrize("mode", MODES)
def test_the_correct_notebook_gets_full_marks(autograder, mode):
    if mode == "bubblewrap":
        _require(bubblewrap_problem() is None, f"bubblewrap: {bubblewrap_problem()}")
    results = run_autograder(autograder, CORRECT_NOTEBOOK, mode)
    assert results["score"] == 100, [test["output"] for test in results["tests"]
                                     if test["score"] < test["max_score"]][:3]


@pytest.mark.mnist
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", KIT_ATTACKS)
def test_an_attack_on_the_kit_gets_nothing_for_what_it_attacked(autograder, tmp_path, mode, name):
    if mode == "bubblewrap":
        _require(bubblewrap_problem() is None, f"bubblewrap: {bubblewrap_problem()}")
    attack = next(attack for attack in load_attacks() if attack.name == name)
    targets = Targets(token=f"nnkit-bundle-{secrets.token_hex(4)}", home=Path.home(),
                      tmp=tmp_path, kit=installed_kit(autograder), out=tmp_path / "out",
                      victim=tmp_path / "victim", port=9)
    notebook = write_submission(tmp_path / "submission",
                                [targets.render(cell) for cell in attack.cells], attack.exercise)
    results = run_autograder(autograder, notebook, mode)
    for exercise, (score, most) in points(results).items():
        if exercise == attack.exercise:
            assert score == 0 or attack.passes, (exercise, score)
        elif exercise == "mnist_accuracy" and attack.exercise in TRAINED_WITH:
            continue
        else:
            assert score == most, (exercise, score, most)
    site = installed_kit(autograder)
    assert not any(targets.token in path.read_text(errors="replace")
                   for path in [*site.glob("grader/**/*.py"), *site.glob("reference/*.py")])
