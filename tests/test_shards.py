"""`grade --shard K/N`: N runs side by side into one --out grade a class exactly once between
them and leave the gradebook one run would have written (the real command, in subprocesses)."""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from grader.batch import shards
from grader.cli import main
from handmade_reports import passing, write_reports

EXAMPLES = Path(__file__).parents[1] / "assignments" / "examples" / "mnist_mlp"
#: Six of the example submissions, copied under students' names: they fall 3 and 3 into two
#: shards, so both shards grade, and write into --out, at the same time.
CLASS = {"ada": "correct", "bao": "missing_1_over_m", "cyd": "no_relu_mask",
         "eli": "stubs_left", "fay": "update_wrong_sign", "ivy": "softmax_unstable"}
#: A graded submission's line: `   92 / 100  name  0.6 s`.
GRADED_LINE = re.compile(r"^\s+[\d.]+ / [\d.]+  (\S+)  ", re.MULTILINE)


def grade_command(*args: str) -> list[str]:
    # --skip-mnist: the shards' business is who grades what and the files they share; a timing
    # budget hit by a loaded machine in one run and not the other would make the rows differ.
    return [sys.executable, "-m", "grader", *args, "--skip-mnist", "--jobs", "1"]


def run_side_by_side(commands: list[list[str]], cwd: Path) -> list[subprocess.CompletedProcess]:
    """Start every command at once, then wait for all of them."""
    env = {**os.environ, "COLUMNS": "200"}
    started = [subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for command in commands]
    done = []
    for process, command in zip(started, commands):
        stdout, stderr = process.communicate(timeout=600)
        done.append(subprocess.CompletedProcess(command, process.returncode, stdout, stderr))
    return done


def class_folder(root: Path) -> Path:
    folder = root / "submissions"
    for student, example in CLASS.items():
        shutil.copytree(EXAMPLES / example, folder / student)
    return folder


def lms_zip(root: Path) -> Path:
    """The same class as a Canvas download: doejane_123_456_mnist_mlp.ipynb, one per student."""
    archive = root / "canvas.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for number, (student, example) in enumerate(CLASS.items()):
            bundle.write(EXAMPLES / example / "mnist_mlp.ipynb",
                         f"{student}_{100 + number}_{200 + number}_mnist_mlp.ipynb")
    return archive


@pytest.mark.slow
@pytest.mark.parametrize("layout", [class_folder, lms_zip], ids=["class folder", "LMS zip"])
def test_two_shards_side_by_side_grade_each_submission_once_and_leave_one_runs_gradebook(
        tmp_path, layout):
    path = str(layout(tmp_path))
    shared = tmp_path / "shared"
    first, second = run_side_by_side(
        [grade_command(path, "--shard", "1/2", "--out", str(shared)),
         grade_command(path, "--shard", "2/2", "--out", str(shared))], cwd=tmp_path)
    for done in (first, second):
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
    graded = [GRADED_LINE.findall(done.stdout) for done in (first, second)]
    assert all(graded), graded                          # both shards graded, started together
    assert sorted(graded[0] + graded[1]) == sorted(CLASS)   # each submission exactly once
    assert "shard 1/2: 3 of the 6 submission(s)" in first.stdout

    alone = tmp_path / "alone"
    one_run = subprocess.run(grade_command(path, "--out", str(alone)), cwd=tmp_path,
                             capture_output=True, text=True, timeout=600)
    assert one_run.returncode == 0, one_run.stderr
    rows = (shared / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + len(CLASS)
    assert rows == (alone / "grades.csv").read_text().splitlines()


def test_k_of_n_must_name_one_of_n_shards(tmp_path, capsys):
    for bad in ("0/2", "3/2", "2", "a/b", "-1/2", "1/0"):
        assert main([str(EXAMPLES / "correct"), f"--shard={bad}", "--out", str(tmp_path)]) == 2
        assert "argument --shard: give K/N, whole numbers with 1 <= K <= N" in \
            capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []                # a usage error writes nothing


class Named:
    def __init__(self, name: str):
        self.name = name


def test_every_submission_falls_to_exactly_one_shard_whatever_their_order():
    names = [f"student{number:03}" for number in range(200)]
    for count in (1, 2, 3, 7):
        taken = [[item.name for item in shards.take([Named(n) for n in names],
                                                    shards.Shard(index, count))]
                 for index in range(1, count + 1)]
        assert sorted(sum(taken, [])) == names
        backwards = [[item.name for item in shards.take([Named(n) for n in reversed(names)],
                                                        shards.Shard(index, count))]
                     for index in range(1, count + 1)]
        assert [sorted(part) for part in backwards] == [sorted(part) for part in taken]
        assert min(map(len, taken)) > 200 / count / 2    # a hash, but not a lopsided one


def test_the_split_does_not_depend_on_the_process_or_its_hash_seed():
    script = ("from grader.batch.shards import shard_of; "
              "print([shard_of(f's{n}', 4) for n in range(40)])")
    splits = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}, check=True).stdout
              for seed in ("1", "2")}
    assert len(splits) == 1


def test_a_shard_that_takes_no_submission_exits_0_and_still_writes_the_gradebook(
        tmp_path, capsys):
    out = tmp_path / "shared"
    assert main([str(EXAMPLES / "stubs_left"), "--out", str(out), "--skip-mnist"]) == 0
    capsys.readouterr()
    gradebook = (out / "grades.csv").read_text()
    (out / "grades.csv").unlink()
    # One submission and two shards: one of them takes nothing.
    empty = next(index for index in (1, 2) if shards.shard_of("stubs_left", 2) != index)
    assert main([str(EXAMPLES / "stubs_left"), "--out", str(out), "--skip-mnist",
                 "--shard", f"{empty}/2"]) == 0
    assert f"shard {empty}/2: 0 of the 1 submission(s); nothing to grade here" in \
        capsys.readouterr().out
    assert (out / "grades.csv").read_text() == gradebook     # from the report already in DIR


def test_unpacking_the_zip_again_never_takes_a_notebook_from_a_shard_grading_from_it(tmp_path):
    """Each shard unpacks the class's zip into DIR/.unpacked/, one after the other; a shard
    that unpacked it first is already reading those notebooks meanwhile."""
    from grader.intake.layouts import expand
    archive, unpacked = lms_zip(tmp_path), tmp_path / "shared" / ".unpacked"
    notebooks = [source.path / "mnist_mlp.ipynb" for source in expand(archive, unpacked)]
    expected = [path.read_bytes() for path in notebooks]
    seen, unpacking = [], True

    def grade_meanwhile():
        while unpacking:
            for path, content in zip(notebooks, expected):
                try:
                    seen.append(path.read_bytes() == content)
                except FileNotFoundError:
                    seen.append(False)
    reader = threading.Thread(target=grade_meanwhile)
    reader.start()
    for _ in range(30):
        assert [source.path.name for source in expand(archive, unpacked)] == sorted(CLASS)
    unpacking = False
    reader.join()
    assert seen and all(seen)
    assert sorted(path.name for path in unpacked.rglob("*") if path.is_file()) == \
        ["mnist_mlp.ipynb"] * len(CLASS)           # no temporary file left


# --- DIR's lock ----------------------------------------------------------------------------

HOLD_THE_LOCK = """
import sys, time
from pathlib import Path
from grader.batch.shards import out_folder_lock
with out_folder_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.readline()                       # until the test says so, or is killed
    Path(sys.argv[1], "released").touch()
"""


def hold_lock(out: Path) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THE_LOCK, str(out)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    return holder


def test_the_gradebook_is_read_and_written_only_once_the_other_shard_lets_go(tmp_path):
    from grader.cli import write_gradebook
    write_reports(tmp_path, [passing("ada")])
    holder = hold_lock(tmp_path)
    writer = threading.Thread(target=write_gradebook, args=(tmp_path,))
    writer.start()
    writer.join(0.5)                           # time to get to the lock, and wait there
    assert not (tmp_path / "grades.csv").exists()
    write_reports(tmp_path, [passing("bao")])  # what the other shard wrote before letting go
    holder.stdin.write("go\n")
    holder.stdin.flush()
    writer.join(30)
    holder.wait(30)
    rows = (tmp_path / "grades.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["ada", "bao"]


def test_a_shard_killed_while_holding_the_lock_does_not_leave_it_held(tmp_path):
    holder = hold_lock(tmp_path)
    holder.send_signal(signal.SIGKILL)
    holder.wait(30)
    assert finishes(lambda: shards.out_folder_lock(tmp_path).__enter__())


def test_taking_the_lock_again_inside_it_goes_on(tmp_path):
    def nested():
        with shards.out_folder_lock(tmp_path), shards.out_folder_lock(tmp_path):
            pass
    assert finishes(nested)


def test_a_file_system_that_cannot_lock_gets_a_warning_and_the_gradebook_all_the_same(
        tmp_path, monkeypatch, capsys):
    from grader.cli import write_gradebook

    def no_locks_here(handle, operation):
        raise OSError(errno.ENOLCK, "No locks available")
    monkeypatch.setattr(shards.fcntl, "flock", no_locks_here)
    write_reports(tmp_path, [passing("ada")])
    write_gradebook(tmp_path)
    assert "cannot lock" in capsys.readouterr().err
    assert (tmp_path / "grades.csv").read_text().splitlines()[1].startswith("ada,")


def finishes(work, seconds: float = 30) -> bool:
    """True if work() returns within `seconds` (a lock that is never granted would hang it)."""
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive()
