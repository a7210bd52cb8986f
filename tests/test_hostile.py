"""The hostile corpus (tests/hostile/attacks/), graded by the real `grade` command: one batch per
isolation mode, two submissions at a time, as an instructor would run it.

For every attack: its report exists and gives it nothing for what it attacked, full points for
its honest parts, and says how it was contained. For the whole batch: it exits 0; no file
appears outside the scratch folders, which are all gone afterwards; the kit is unchanged; no
process outlives grading; nothing reaches the network; no report, results file or terminal line
shows hidden test source, the reference solution or another student's work; the reports are the
grader's own.

Under bubblewrap (CI, and the README's set-up for high stakes) every attack runs. In plain mode
(limits only) those marked PLAIN run, whose containment must hold without bubblewrap, plus
import_reference, which shows a documented gap of plain mode: it can read the kit.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.sandbox import Limits, StudentProcess, StudentTimeout
from grader.sandbox.launcher import SANDBOX_USER
from grader.sandbox.process import MAX_CELLS_LEFT_OUT, bubblewrap_problem
from hostile.corpus import (CORRECT_NOTEBOOK, VICTIM, Attack, Targets, load_attacks,
                            victim_secret, write_corpus)
from hostile.harness import (ROOT, GradeRun, Listener, every_file_below, files_named,
                             hidden_source_lines, lingering_processes, run_grade)

ATTACKS = {attack.name: attack for attack in load_attacks()}
#: Attacks graded in plain mode too; import_reference shows what plain mode cannot contain.
PLAIN_ATTACKS = sorted(name for name, attack in ATTACKS.items() if attack.plain)
PLAIN_GAPS = ("import_reference",)
CASES = [("bubblewrap", name) for name in sorted(ATTACKS)] + \
    [("plain", name) for name in PLAIN_ATTACKS]
MODES = ("bubblewrap", "plain")
#: Kit files an attack could want to change, searched for the run's token afterwards.
KIT_FILES = ("grader/**/*.py", "grader/rubric.toml", "reference/*.py")
REPORT_FILES = ("report.json", "report.md", "report.html")
#: markup_injection's Markdown, were it live: tags, a link or an image (a backslash-escaped [
#: starts neither), a table row.
LIVE_MARKDOWN = (r"<script>", r"(?<!\\)\[click\]\(javascript", r"!\[x\]\(http", r"\n\| a \| b \|")


@dataclass(frozen=True)
class Batch:
    mode: str
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


def grade_corpus(root: Path, attacks: list[Attack], mode: str) -> Batch:
    """Build the corpus under `root`, grade it in one batch in `mode`, and look around."""
    token = f"nnkit-hostile-{secrets.token_hex(6)}"
    work = root / "work"
    listener = Listener()
    try:
        targets = Targets(token=token, home=Path.home(), tmp=work / "tmp", kit=ROOT,
                          out=root / "out", victim=root / "submissions" / VICTIM,
                          port=listener.port)
        folders = write_corpus(attacks, root / "submissions", targets)
        run = run_grade(folders, targets.out, jobs=2, workdir=work, mode=mode, marker=token)
        lingering = lingering_processes([token, str(root)])
    finally:
        listener.close()
    outside = [Path.home(), Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), ROOT,
               ROOT / "grader", ROOT / "grader" / "suites", ROOT / "reference"]
    stray = files_named(token, outside, recursive=[root])
    for path in stray:          # a failed containment must not leave the kit or home dirty
        path.unlink(missing_ok=True) if not path.is_dir() else None
    return Batch(mode, token, root, targets, run, lingering, list(listener.heard), stray,
                 untamper_kit(token))


def untamper_kit(token: str) -> list[str]:
    """Kit files holding `token` (an attack wrote to them). What tamper_kit appends is removed
    again, byte for byte, so that a failed containment cannot spoil the next runs."""
    tampered = []
    for pattern in KIT_FILES:
        for path in ROOT.glob(pattern):
            text = path.read_text(encoding="utf-8")
            if token in text:
                tampered.append(str(path.relative_to(ROOT)))
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


@pytest.fixture(scope="module")
def bubblewrap_batch(tmp_path_factory, mnist_dir) -> Batch:
    require_bubblewrap()
    return grade_corpus(tmp_path_factory.mktemp("hostile-bubblewrap"), list(ATTACKS.values()),
                        "bubblewrap")


@pytest.fixture(scope="module")
def plain_batch(tmp_path_factory, mnist_dir) -> Batch:
    attacks = [ATTACKS[name] for name in sorted({*PLAIN_ATTACKS, *PLAIN_GAPS})]
    return grade_corpus(tmp_path_factory.mktemp("hostile-plain"), attacks, "plain")


def batch_of(request, mode: str) -> Batch:
    return request.getfixturevalue(f"{mode}_batch")


def isolation_matches(report: dict, mode: str) -> bool:
    if mode == "bubblewrap":
        return report["isolation"] == "bubblewrap"
    return report["isolation"].startswith("limits only: plain mode was asked for")


# ---- each attack ---------------------------------------------------------------------------------

@pytest.mark.mnist
@pytest.mark.parametrize("mode, name", CASES)
def test_an_attack_wins_nothing_and_its_honest_parts_keep_their_points(request, mode, name):
    attack, report = ATTACKS[name], batch_of(request, mode).report(name)
    assert isolation_matches(report, mode), report["isolation"]
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


@pytest.mark.parametrize("mode, name", [case for case in CASES if ATTACKS[case[1]].says])
def test_the_report_says_how_the_attack_was_contained(request, mode, name):
    attack, report = ATTACKS[name], batch_of(request, mode).report(name)
    said = [test["message"] for test in report["tests"] if test["exercise"] == attack.exercise]
    said += [error["message"] for error in report["load_errors"]] + report["problems"]
    assert any(attack.says in text for text in said), said[:3]


# ---- the whole batch -----------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_the_batch_goes_on_and_every_submission_gets_its_reports(request, mode):
    batch = batch_of(request, mode)
    assert batch.run.returncode == 0, batch.run.stderr[-3000:]
    for name in (path.name for path in (batch.root / "submissions").iterdir()):
        for report_file in REPORT_FILES:
            assert (batch.targets.out / name / report_file).is_file(), f"{name}/{report_file}"
        assert not any("the grader failed" in problem for problem in batch.report(name)["problems"])
    assert "Traceback" not in batch.run.stderr, batch.run.stderr[-3000:]


@pytest.mark.parametrize("mode", MODES)
def test_no_file_appears_outside_the_scratch_folders_and_those_are_gone(request, mode):
    batch = batch_of(request, mode)
    assert batch.stray == []
    assert sorted(path.name for path in batch.targets.tmp.iterdir()) == []


@pytest.mark.parametrize("mode", MODES)
def test_the_kit_is_unchanged(request, mode):
    assert batch_of(request, mode).tampered == []


@pytest.mark.parametrize("mode", MODES)
def test_no_process_outlives_grading(request, mode):
    assert batch_of(request, mode).lingering == []


@pytest.mark.parametrize("mode", MODES)
def test_nothing_reaches_the_network(request, mode):
    assert batch_of(request, mode).heard == []


@pytest.mark.parametrize("mode", MODES)
def test_no_hidden_source_in_any_report_or_terminal_line(request, mode):
    batch = batch_of(request, mode)
    students_text = CORRECT_NOTEBOOK.read_text() + "".join(
        path.read_text() for path in (batch.root / "submissions").rglob("*.ipynb"))
    hidden = hidden_source_lines(exclude=students_text)
    texts = {**every_file_below(batch.targets.out), "stdout": batch.run.stdout,
             "stderr": batch.run.stderr}
    shown = {(str(where), line) for where, text in texts.items()
             for line in hidden if line in text}
    assert shown == set()


@pytest.mark.parametrize("mode", MODES)
def test_no_other_students_work_in_any_report_or_terminal_line(request, mode):
    batch = batch_of(request, mode)
    secret = victim_secret(batch.token)
    texts = {**every_file_below(batch.targets.out), "stdout": batch.run.stdout,
             "stderr": batch.run.stderr}
    assert [str(where) for where, text in texts.items()
            if secret in text and Path(where).parent.name != VICTIM] == []


def test_the_reports_are_the_graders_own(bubblewrap_batch):
    forged = f"forged-by-{bubblewrap_batch.token}"
    texts = every_file_below(bubblewrap_batch.targets.out)
    assert [str(path) for path, text in texts.items() if forged in text] == []
    victim = bubblewrap_batch.report(VICTIM)
    assert victim["submission"] == VICTIM and victim["score"] == victim["max_score"] == 100
    assert bubblewrap_batch.report("forge_reports")["submission"] == "forge_reports"


# ---- what particular attacks show ----------------------------------------------------------------

def test_an_output_flood_is_cut_to_a_few_thousand_characters(bubblewrap_batch):
    folder = bubblewrap_batch.targets.out / "stdout_flood"
    report = bubblewrap_batch.report("stdout_flood")
    assert 1000 < len(report["output"]) < 5000 and "more characters not shown" in report["output"]
    assert all((folder / name).stat().st_size < 200_000 for name in REPORT_FILES)


def test_markup_in_student_text_reaches_reports_as_text(bubblewrap_batch):
    folder = bubblewrap_batch.targets.out / "markup_injection"
    page, markdown = (folder / "report.html").read_text(), (folder / "report.md").read_text()
    assert "alert(" in page                     # the message is shown...
    for live in ("<script>", "<img src=x", 'href="javascript'):
        assert live not in page, live               # ...but nothing of it is live HTML
    prose = outside_code_fences(markdown)
    for live in LIVE_MARKDOWN:
        assert not re.search(live, prose), live
    assert "\x1b" not in bubblewrap_batch.run.stdout   # no escape sequence reaches the terminal
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


def test_a_cell_that_stops_the_worker_while_loading_is_left_out(bubblewrap_batch):
    for name in ("load_time_exit", "load_time_hang"):
        [error] = bubblewrap_batch.report(name)["load_errors"]
        assert "left this cell out" in error["message"], error


def test_plain_mode_reads_the_kit_as_documented(plain_batch):
    """Documented gap: without bubblewrap the worker sees the grader's files, the reference
    solution included, so this attack gets softmax's points."""
    report = plain_batch.report("import_reference")
    softmax = [test for test in report["tests"] if test["exercise"] == "softmax"]
    assert all(test["score"] == test["max_score"] for test in softmax)
    assert report["isolation"].startswith("limits only")


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
        assert uid == SANDBOX_USER[0] or (uid == 0 and "the worker runs as root" in
                                          student.isolation), (uid, student.isolation)
        assert student.call("capabilities") == 0     # root or not, it holds no capability
