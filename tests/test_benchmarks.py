"""The benchmarks' own measuring tools (the benchmarks themselves are run by hand: see the README's
figures table)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"nnkit_benchmark_{name}",
                                                  BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cpu_meter_counts_the_cpu_time_of_a_child_and_of_its_children():
    """grade_batch.CpuMeter: a child that computes 0.3 s itself and 0.3 s in a grandchild it
    waits for counts about 0.6 s, and the cgroup is gone afterwards."""
    meter = load("grade_batch").CpuMeter()
    if meter.folder is None:
        pytest.skip(f"no cgroup can be made here: {meter.why}")
    spin = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"
    child = spin + f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {spin!r}])\n"
    subprocess.run([sys.executable, "-c", child], check=True, preexec_fn=meter.join)
    seconds = meter.finish()
    if seconds is None:
        pytest.skip(meter.why)
    assert 0.55 <= seconds <= 1.5
    assert not meter.folder.exists()


def test_without_a_cgroup_the_meter_says_why_and_measures_nothing(monkeypatch, tmp_path):
    grade_batch = load("grade_batch")
    monkeypatch.setattr(grade_batch, "CGROUP_ROOTS", (tmp_path,))
    meter = grade_batch.CpuMeter()
    assert meter.folder is None and meter.why and meter.finish() is None
    assert meter.join() == 0


def test_the_meter_reads_cgroup_v2s_cpu_stat(tmp_path, capsys):
    """The cgroup v2 path (this machine may have v1): usage_usec of cpu.stat, in seconds."""
    grade_batch = load("grade_batch")
    (tmp_path / "cgroup.controllers").write_text("cpu memory\n")
    meter = grade_batch.CpuMeter.__new__(grade_batch.CpuMeter)
    meter.folder, meter.v2, meter.why = tmp_path / "run", True, ""
    meter.folder.mkdir()
    (meter.folder / "cgroup.procs").write_text("")
    (meter.folder / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\n")
    assert meter.finish() == 2.5
    assert "could not remove the cgroup" in capsys.readouterr().out   # a real one has no files


def test_the_transport_benchmark_times_the_region_and_the_pipe_apart():
    """call_transport.measure runs each worker the way it was asked (its own check would stop
    the run otherwise), gives a time a call, and leaves the region function as it found it."""
    benchmark = load("call_transport")
    from grader.sandbox import shared
    real = shared.request_region
    if real(4096) is None:
        pytest.skip("no sealed memfds here")
    for with_region in (True, False):
        wall, cpu, worker_cpu = benchmark.measure(3, with_region)
        assert wall > 0 and cpu >= 0 and worker_cpu >= 0
    assert shared.request_region is real


def test_the_machines_own_parallelism_is_measured_with_busy_processes():
    """grade_batch.machine_parallelism: one process is the unit; two at once get between one
    (a single core) and two (two free cores) processes' work done."""
    grade_batch = load("grade_batch")
    assert grade_batch.machine_parallelism(1) == 1.0
    assert 0.8 < grade_batch.machine_parallelism(2, rounds=1) < 2.3
