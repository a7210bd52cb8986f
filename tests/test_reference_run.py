"""`python -m reference`, run as a user would: in a subprocess, on the real data, one epoch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HISTORY_KEYS = {"epoch", "loss", "train_accuracy", "test_accuracy"}
METRICS_KEYS = {"notation", "hidden", "epochs", "batch_size", "lr", "seed", "train_seconds",
                "blas_threads", "test_accuracy", "history"}
#: What the BLAS reads for its threads when numpy loads; the runs below set them only on purpose.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
FIGURES = ("curves.png", "confusion.png", "mistakes.png")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_reference(*args: str, mnist_dir: Path | str, cwd: Path, **threads: str
                  ) -> subprocess.CompletedProcess:
    """`python -m reference ARGS`, with the thread variables given in `threads` and no other."""
    env = {name: value for name, value in os.environ.items() if name not in THREAD_VARIABLES}
    env.update(MNIST_DIR=str(mnist_dir), COLUMNS="100", **threads)
    return subprocess.run([sys.executable, "-m", "reference", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def metrics_of(out: Path) -> dict:
    return json.loads((out / "metrics.json").read_text())


@pytest.fixture(scope="module")
def one_epoch(mnist_dir, tmp_path_factory) -> Path:
    """The output folder of `python -m reference --epochs 1` (rows, 128 hidden)."""
    out = tmp_path_factory.mktemp("run") / "first"
    done = run_reference("--epochs", "1", "--out", str(out), mnist_dir=mnist_dir, cwd=out.parent)
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.mnist
def test_run_writes_metrics_and_figures(one_epoch):
    metrics = metrics_of(one_epoch)
    assert set(metrics) == METRICS_KEYS
    assert (metrics["notation"], metrics["hidden"], metrics["epochs"]) == ("rows", 128, 1)
    assert (metrics["batch_size"], metrics["lr"], metrics["seed"]) == (64, 0.1, 0)
    assert len(metrics["history"]) == 1 and set(metrics["history"][0]) == HISTORY_KEYS
    assert metrics["test_accuracy"] == metrics["history"][-1]["test_accuracy"] > 0.9
    assert metrics["train_seconds"] > 0
    for name in FIGURES:
        assert (one_epoch / name).read_bytes()[:8] == PNG_SIGNATURE, name
    assert not [p.name for p in one_epoch.iterdir() if p.name.startswith(".")]   # no temp files


@pytest.mark.mnist
def test_it_trains_with_one_blas_thread_unless_told_otherwise(one_epoch):
    assert metrics_of(one_epoch)["blas_threads"] == 1


@pytest.mark.mnist
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the BLAS takes at most one thread per core")
@pytest.mark.parametrize("variable", ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"])
def test_the_thread_variables_when_set_decide_the_threads(mnist_dir, tmp_path, variable):
    done = run_reference("--epochs", "1", "--out", "out", mnist_dir=mnist_dir, cwd=tmp_path,
                         **{variable: "2"})
    assert done.returncode == 0, done.stderr
    metrics = metrics_of(tmp_path / "out")
    assert metrics["blas_threads"] == 2
    assert metrics["test_accuracy"] > 0.9
    assert "2 BLAS threads" in done.stdout


@pytest.mark.mnist
def test_without_threadpoolctl_it_trains_with_the_blas_defaults_and_says_so(mnist_dir, tmp_path):
    (tmp_path / "threadpoolctl.py").write_text("raise ImportError('not installed here')\n")
    done = run_reference("--epochs", "1", "--out", "out", mnist_dir=mnist_dir, cwd=tmp_path,
                         PYTHONPATH=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "threadpoolctl is not installed: training with the BLAS's own threads" in done.stderr
    assert metrics_of(tmp_path / "out")["blas_threads"] is None


@pytest.mark.mnist
def test_same_seed_gives_the_same_numbers(one_epoch, mnist_dir, tmp_path):
    done = run_reference("--epochs", "1", "--out", "again", mnist_dir=mnist_dir, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    first, second = metrics_of(one_epoch), metrics_of(tmp_path / "again")
    first.pop("train_seconds"), second.pop("train_seconds")
    assert first == second


@pytest.mark.mnist
def test_columns_default_to_ten_hidden_units(mnist_dir, tmp_path):
    done = run_reference("--notation", "columns", "--epochs", "1", mnist_dir=mnist_dir, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (out,) = (tmp_path / "runs").iterdir()      # the default folder: runs/<timestamp>/
    assert len(out.name) == len("20261123-141500") and out.name[8] == "-"
    metrics = metrics_of(out)
    assert (metrics["notation"], metrics["hidden"]) == ("columns", 10)
    assert metrics["test_accuracy"] > 0.85
    assert "test accuracy" in done.stdout     # the summary table


def test_missing_data_exits_2_with_the_loaders_message(tmp_path):
    done = run_reference("--epochs", "1", mnist_dir=tmp_path / "nowhere", cwd=tmp_path)
    assert done.returncode == 2
    assert "MNIST_DIR is set to" in done.stderr and str(tmp_path / "nowhere") in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("args, complaint", [
    (["--epochs", "0"], "argument --epochs: must be a whole number of at least 1"),
    (["--lr", "fast"], "argument --lr: must be a positive number"),
    (["--notation", "diagonal"], "argument --notation: invalid choice"),
    (["--hidden", "-3"], "argument --hidden"),
])
def test_bad_arguments_are_argparse_errors(tmp_path, args, complaint):
    done = run_reference(*args, mnist_dir=tmp_path, cwd=tmp_path)
    assert done.returncode == 2 and complaint in done.stderr and "Traceback" not in done.stderr


def test_help_reads_like_a_manual(tmp_path):
    done = run_reference("--help", mnist_dir=tmp_path, cwd=tmp_path)
    assert done.returncode == 0
    for words in ("metrics.json", "confusion.png", "MNIST_DIR", "examples:", "exit status"):
        assert words in done.stdout


@pytest.mark.mnist
def test_the_header_is_one_line_and_says_one_epoch(mnist_dir, tmp_path):
    """Piped to a narrow log, the header does not wrap mid-phrase; one epoch is singular."""
    env = {name: value for name, value in os.environ.items() if name not in THREAD_VARIABLES}
    env.update(MNIST_DIR=str(mnist_dir), COLUMNS="40")
    done = subprocess.run([sys.executable, "-m", "reference", "--epochs", "1", "--out",
                           str(tmp_path / "run")], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    header = done.stdout.splitlines()[0]
    assert header.startswith("Training 784 → 128 → 10") and header.rstrip().endswith(".")
    assert "for 1 epoch," in header and "1 epochs" not in done.stdout
