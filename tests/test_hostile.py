"""The hostile corpus (tests/hostile/attacks/), graded by the real `grade` command: one batch per
deployment, two submissions at a time, as an instructor would run it.

Every deployment of tests/hostile/deployments.py grades the whole corpus: bubblewrap as root,
plain (Landlock and limits) as root, plain as an unprivileged user, each with the kit installed
editable and regularly. For every attack: its report exists and gives it nothing for what it
attacked, full points for its honest parts, and says how it was contained. For the whole batch:
it exits 0; no file appears outside the scratch folders, which are all gone afterwards; the kit
is unchanged; no process outlives grading; nothing reaches the network; no report, results file
or terminal line shows hidden test source, the reference solution or another student's work;
the reports are the grader's own.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.sandbox import Limits, StudentProcess, StudentTimeout
from grader.sandbox.launcher import SANDBOX_USER
from grader.sandbox.process import MAX_CELLS_LEFT_OUT, bubblewrap_problem
from hostile.corpus import (CORRECT_NOTEBOOK, VICTIM, Attack, Targets, load_attacks,
                            victim_secret, write_corpus)
from hostile.deployments import DEPLOYMENTS, USER, Deployment, install_for, require_user
from hostile.harness import (GradeRun, Listener, every_file_below, files_named,
                             hidden_source_lines, lingering_processes, run_grade)

ATTACKS = {attack.name: attack for attack in load_attacks()}
DEPLOYMENT_IDS = [deployment.id for deployment in DEPLOYMENTS]
CASES = [(deployment.id, name) for deployment in DEPLOYMENTS for name in sorted(ATTACKS)]
#: Kit files an attack could want to change, searched for the run's token afterwards.
KIT_FILES = ("grader/**/*.py", "grader/checks/rubric.toml", "reference/*.py")
REPORT_FILES = ("report.json", "report.md", "report.html")
#: markup_injection's Markdown, were it live: tags, a link or an image (a backslash-escaped [
#: starts neither), a table row.
LIVE_MARKDOWN = (r"<script>", r"(?<!\\)\[click\]\(javascript", r"!\[x\]\(http", r"\n\| a \| b \|")


@dataclass(frozen=True)
class Batch:
    deployment: Deployment
    token: str
    root: Path
    targets: Targets
    run: GradeRun
    lingering: list[str]      # processes still alive after grading
    heard: list[str]          # what reached the test's port
    stray: list[Path]         # files an attack managed to write outside its scratch folder
    tampered: list[str]       # kit files that now hold the token

    def report(self, name: str) -> dict:
        return json.loads((self.targets.out / name / "report.json").read_text())


def grade_corpus(root: Path, attacks: list[Attack], deployment: Deployment,
                 mnist_dir: Path) -> Batch:
    """Build the corpus under `root`, grade it in one batch as `deployment`, and look around."""
    token = f"nnkit-hostile-{secrets.token_hex(6)}"
    install = install_for(deployment)
    user = require_user().pw_name if deployment.as_user else None
    work, home = root / "work", (root / "home" if user else Path.home())
    home.mkdir(parents=True, exist_ok=True)
    listener = Listener()
    try:
        targets = Targets(token=token, home=home, tmp=work / "tmp", kit=install.kit,
                          out=root / "out", victim=root / "submissions" / VICTIM,
                          port=listener.port)
        folders = write_corpus(attacks, root / "submissions", targets)
        (work / "tmp").mkdir(parents=True, exist_ok=True)
        mnist = None
        if user:                # a copy it can read, wherever the test run's own copy is
            mnist = root / "mnist"
            shutil.copytree(mnist_dir, mnist)
            shutil.chown(root, user, user)
            for path in [*root.rglob("*")]:
                shutil.chown(path, user, user)
        run = run_grade(folders, targets.out, jobs=2, workdir=work,
                        mode=None if deployment.sandbox == "bubblewrap" else "plain",
                        marker=token, python=install.python, user=user, home=home, mnist=mnist)
        lingering = lingering_processes([token, str(root)])
    finally:
        listener.close()
    kit = install.kit
    outside = [Path.home(), home, Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), kit,
               kit / "grader", kit / "grader" / "checks" / "suites", kit / "reference"]
    stray = files_named(token, outside, recursive=[root])
    for path in stray:          # a failed containment must not leave the kit or home dirty
        path.unlink(missing_ok=True) if not path.is_dir() else None
    return Batch(deployment, token, root, targets, run, lingering, list(listener.heard), stray,
                 untamper_kit(token, kit))


def untamper_kit(token: str, kit: Path) -> list[str]:
    """Kit files holding `token` (an attack wrote to them). What tamper_kit appends is removed
    again, byte for byte, so that a failed containment cannot spoil the next runs."""
    tampered = []
    for pattern in KIT_FILES:
        for path in kit.glob(pattern):
            text = path.read_text(encoding="utf-8")
            if token in text:
                tampered.append(str(path.relative_to(kit)))
                path.write_text(text.replace(tamper_kit_appends(token), ""), encoding="utf-8")
    return tampered


def tamper_kit_appends(token: str) -> str:
    """What tests/hostile/attacks/tamper_kit.py appends to each kit file it can open."""
    return f"\n# {token}\n"


def require_bubblewrap() -> None:
    problem = bubblewrap_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"CI must grade the hostile corpus under bubblewrap: {problem}",
                        pytrace=False)
        pytest.skip(f"bubblewrap cannot run here: {problem}")


_BATCHES: dict[str, Batch] = {}


@pytest.fixture(scope="module")
def batches(mnist_dir):
    """deployment id → its graded Batch, each graded on first use (in a folder every
    deployment's user can reach), all removed at the end of the module."""
    roots = []

    def batch(deployment_id: str) -> Batch:
        if deployment_id not in _BATCHES:
            deployment = next(d for d in DEPLOYMENTS if d.id == deployment_id)
            if deployment.sandbox == "bubblewrap":
                require_bubblewrap()
            root = Path(tempfile.mkdtemp(prefix=f"nnkit-hostile-{deployment_id}-",
                                         dir="/var/tmp"))
            root.chmod(0o755)
            roots.append(root)
            _BATCHES[deployment_id] = grade_corpus(root, list(ATTACKS.values()), deployment,
                                                   mnist_dir)
        return _BATCHES[deployment_id]
    yield batch
    for root in roots:
        shutil.rmtree(root, ignore_errors=True)
    _BATCHES.clear()


def isolation_matches(report: dict, deployment_id: str) -> bool:
    """The report names the containment the deployment has: both layers under bubblewrap;
    Landlock without it."""
    if deployment_id.startswith("bubblewrap"):
        return report["isolation"] == "bubblewrap + Landlock"
    return report["isolation"].startswith("Landlock, without bubblewrap (plain mode was asked")


# ---- each attack ---------------------------------------------------------------------------------

@pytest.mark.mnist
@pytest.mark.parametrize("deployment, name", CASES)
def test_an_attack_wins_nothing_and_its_honest_parts_keep_their_points(batches, deployment, name):
    attack, report = ATTACKS[name], batches(deployment).report(name)
    assert isolation_matches(report, deployment), (report["isolation"], report["problems"])
    for test in report["tests"]:
        full = test["score"] == test["max_score"]
        if test["exercise"] == attack.exercise:
            wanted = test["check"] in attack.passes
            assert full == wanted and (full or test["score"] == 0), \
                f"{attack.summary} → {test['name']}: {test['score']} / {test['max_score']}: " \
                f"{test['message']}"
        elif test["exercise"] not in attack.may_lose():
            assert full, f"{attack.summary} → an honest part lost points: {test['name']}: " \
                         f"{test['message']}"


@pytest.mark.parametrize("deployment, name", [case for case in CASES if ATTACKS[case[1]].says])
def test_the_report_says_how_the_attack_was_contained(batches, deployment, name):
    attack, report = ATTACKS[name], batches(deployment).report(name)
    said = [test["message"] for test in report["tests"] if test["exercise"] == attack.exercise]
    said += [error["message"] for error in report["load_errors"]] + report["problems"]
    assert any(attack.says in text for text in said), said[:3]


# ---- the whole batch -----------------------------------------------------------------------------

@pytest.mark.parametrize("deployment", DEPLOYMENT_IDS)
def test_the_batch_goes_on_and_every_submission_gets_its_reports(batches, deployment):
    batch = batches(deployment)
    assert batch.run.returncode == 0, batch.run.stderr[-3000:]
    for name in (path.name for path in (batch.root / "submissions").iterdir()):
        for report_file in REPORT_FILES:
            assert (batch.targets.out / name / report_file).is_file(), f"{name}/{report_file}"
        assert not any("the grader failed" in problem for problem in batch.report(name)["problems"])
    assert "Traceback" not in batch.run.stderr, batch.run.stderr[-3000:]


@pytest.mark.parametrize("deployment", DEPLOYMENT_IDS)
def test_no_file_appears_outside_the_scratch_folders_and_those_are_gone(batches, deployment):
    batch = batches(deployment)
    assert batch.stray == []
    assert sorted(path.name for path in batch.targets.tmp.iterdir()) == []


@pytest.mark.parametrize("deployment", DEPLOYMENT_IDS)
def test_the_kit_is_unchanged(batches, deployment):
    assert batches(deployment).tampered == []


@pytest.mark.parametrize("deployment", DEPLOYMENT_IDS)
def test_no_process_outlives_grading(batches, deployment):
    assert batches(deployment).lingering == []


@pytest.mark.parametrize("deployment", DEPLOYMENT_IDS)
def test_nothing_reaches_the_network(batches, deployment):
    assert batches(deployment).heard == []


@pytest.mark.parametrize("deployment", DEPLOYMENT_IDS)
def test_no_hidden_source_in_any_report_or_terminal_line(batches, deployment):
    batch = batches(deployment)
    students_text = CORRECT_NOTEBOOK.read_text() + "".join(
        path.read_text() for path in (batch.root / "submissions").rglob("*.ipynb"))
    hidden = hidden_source_lines(exclude=students_text)
    texts = {**every_file_below(batch.targets.out), "stdout": batch.run.stdout,
             "stderr": batch.run.stderr}
    shown = {(str(where), line) for where, text in texts.items()
             for line in hidden if line in text}
    assert shown == set()


@pytest.mark.parametrize("deployment", DEPLOYMENT_IDS)
def test_no_other_students_work_in_any_report_or_terminal_line(batches, deployment):
    batch = batches(deployment)
    secret = victim_secret(batch.token)
    texts = {**every_file_below(batch.targets.out), "stdout": batch.run.stdout,
             "stderr": batch.run.stderr}
    assert [str(where) for where, text in texts.items()
            if secret in text and Path(where).parent.name != VICTIM] == []


@pytest.mark.parametrize("deployment", DEPLOYMENT_IDS)
def test_the_reports_are_the_graders_own(batches, deployment):
    batch = batches(deployment)
    forged = f"forged-by-{batch.token}"
    texts = every_file_below(batch.targets.out)
    assert [str(path) for path, text in texts.items() if forged in text] == []
    victim = batch.report(VICTIM)
    assert victim["submission"] == VICTIM and victim["score"] == victim["max_score"] == 100
    assert batch.report("forge_reports")["submission"] == "forge_reports"


# ---- what particular attacks show ----------------------------------------------------------------

@pytest.mark.parametrize("deployment", DEPLOYMENT_IDS)
def test_an_output_flood_is_cut_to_a_few_thousand_characters(batches, deployment):
    batch = batches(deployment)
    folder = batch.targets.out / "stdout_flood"
    report = batch.report("stdout_flood")
    assert 1000 < len(report["output"]) < 5000 and "more characters not shown" in report["output"]
    assert all((folder / name).stat().st_size < 200_000 for name in REPORT_FILES)


@pytest.mark.parametrize("deployment", DEPLOYMENT_IDS)
def test_markup_in_student_text_reaches_reports_as_text(batches, deployment):
    batch = batches(deployment)
    folder = batch.targets.out / "markup_injection"
    page, markdown = (folder / "report.html").read_text(), (folder / "report.md").read_text()
    assert "alert(" in page                     # the message is shown...
    for live in ("<script>", "<img src=x", 'href="javascript'):
        assert live not in page, live               # ...but nothing of it is live HTML
    prose = outside_code_fences(markdown)
    for live in LIVE_MARKDOWN:
        assert not re.search(live, prose), live
    assert "\x1b" not in batch.run.stdout   # no escape sequence reaches the terminal
    assert "\x1b" not in page and "\x1b" not in markdown   # nor `cat report.md`


def outside_code_fences(markdown: str) -> str:
    """The Markdown with its fenced code blocks (shown verbatim by every renderer) left out."""
    kept, fence = [], None
    for line in markdown.splitlines():
        if fence is None and line.startswith("```"):
            fence = line[:len(line) - len(line.lstrip("`"))]
        elif fence is not None and line.strip() == fence:
            fence = None
        elif fence is None:
            kept.append(line)
    return "\n".join(kept)


@pytest.mark.parametrize("deployment", DEPLOYMENT_IDS)
def test_a_cell_that_stops_the_worker_while_loading_is_left_out(batches, deployment):
    batch = batches(deployment)
    for name in ("load_time_exit", "load_time_hang"):
        [error] = batch.report(name)["load_errors"]
        assert "left this cell out" in error["message"], error


@pytest.mark.parametrize("deployment", DEPLOYMENT_IDS)
def test_no_deployment_lets_the_reference_be_imported(batches, deployment):
    """Once a documented gap of plain mode (and of a regular install under bubblewrap): importing
    the reference gets softmax nothing, in every deployment."""
    report = batches(deployment).report("import_reference")
    softmax = [test for test in report["tests"] if test["exercise"] == "softmax"]
    assert softmax and all(test["score"] == 0 for test in softmax)


def test_after_three_cells_left_out_a_load_that_stops_the_worker_again_is_final(tmp_path):
    """The corpus shows one such cell left out; past MAX_CELLS_LEFT_OUT loading gives up."""
    loops = ["while True:\n    pass\n"] * (MAX_CELLS_LEFT_OUT + 1)
    limits = Limits(load_seconds=1)
    with StudentProcess(["def f():\n    return 1\n", *loops], tmp_path, limits,
                        isolation="plain") as student:
        assert [index for index, _ in student.load_errors] == [1, 2, 3, 4]
        assert all("left this cell out" in message for _, message in student.load_errors[:3])
        with pytest.raises(StudentTimeout, match="loading the submission took longer"):
            student.call("f")


def test_a_plain_worker_started_by_root_runs_as_nobody_or_says_it_is_root(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the grader does not run as root here")
    cell = ("import os\ndef whoami():\n    return os.getuid()\n"
            "def capabilities():\n    status = open('/proc/self/status').read()\n"
            "    return int(status.split('CapEff:')[1].split()[0], 16)\n")
    with StudentProcess([cell], tmp_path, Limits(), isolation="plain") as student:
        uid = student.call("whoami")
        assert uid == SANDBOX_USER[0] or (uid == 0 and "the worker runs as uid 0" in
                                          student.isolation), (uid, student.isolation)
        assert student.call("capabilities") == 0     # root or not, it holds no capability
