"""A class at once: time and memory of `grade` on many submissions, with 1 job and with N jobs.

    MNIST_DIR=/path/to/mnist python benchmarks/grade_batch.py [--count 200] [--jobs 1 2]

The class is `--count` submission folders cycling through the bundled example submissions of
both assignments (assignments/examples/*/*/: correct work and eleven typical mistakes each), so
it holds real, varied work: some full marks, some failing checks, a few stubs. Each `--jobs`
value grades the whole class from scratch into a fresh --out (nothing reused), as the instructor's
command would, and is timed by wall clock.

Memory is the peak, over the run, of the proportional set size (PSS) summed over `grade` and every
process below it — grading processes, the fork server, the students' sandboxed workers — sampled
every 0.25 s from /proc/<pid>/smaps_rollup. PSS splits pages shared between processes (the fork
server's copy-on-write imports, numpy's libraries) among them, so the sum is what the run really
takes from the machine; summed RSS counts shared pages once per process and is shown beside it.
Reading smaps_rollup walks each process's page tables (about 8 ms for a class's eleven
processes): sampled every 50 ms, as it was until 2026-12-07, the sampling took 0.17 of the two
cores from the run it measured, and most from --jobs 2, which needs both. The CPU time the
sampling used is printed with each run.

CPU time is that of the whole process tree, counted by the kernel: `grade` runs in a cgroup of
its own (cgroup v2's cpu.stat, or v1's cpuacct), made for the run and removed after it, so every
process below it counts, even the short-lived ones sampling would miss. Where no cgroup can be
made (not root, no delegation) it says so and the rest is measured all the same. From it come the
cores one run kept busy (CPU time / wall time) and, for each later --jobs value, the speed-up that
value could have at most when it needs the same CPU time as the first: cores / cores busy at first.

What the machine itself gives is measured first, in the same run: N processes of plain Python
arithmetic (a loop, no memory traffic to speak of) started at once against one alone, three
times, the median ratio of their throughputs (N: the largest --jobs value, at most the cores).
Grading is mostly Python on both sides of the sandbox, so no --jobs value can be faster than
that ratio: on a virtual machine whose cores share one physical core's caches or its clock, two
busy processes get 1.7–1.95× one's work done (measured on this 2-core machine), not 2×.

Targets (issue 12): 1,000 submissions in under 300 s with --jobs 2 on 2 cores, a peak under 1 GB,
and a 1 → 2 jobs speed-up of at least 1.8×.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "assignments" / "examples"
SAMPLE_SECONDS = 0.25
CGROUP_ROOTS = (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/cpuacct"))


def make_class(folder: Path, count: int) -> Path:
    """`count` student folders, each a copy of an example submission (both assignments mixed)."""
    examples = sorted(EXAMPLES.glob("*/*/*.ipynb"))
    if not examples:
        sys.exit(f"no example submissions under {EXAMPLES}; run `python -m grader.instructor.examples`")
    class_dir = folder / "class"
    for index in range(count):
        example = examples[index % len(examples)]
        student = class_dir / f"student{index:03d}-{example.parent.name}"
        student.mkdir(parents=True)
        shutil.copy(example, student / example.name)
    return class_dir


class TreeMemory:
    """Samples the PSS and RSS summed over a process and all its descendants; keeps the peaks."""

    def __init__(self, pid: int, every: float = SAMPLE_SECONDS):
        self.pid, self.every = pid, every
        self.peak_pss = self.peak_rss = 0
        self.peak_processes = 0
        self.cpu_seconds = 0.0      # what the sampling itself used
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        started = time.thread_time()
        try:
            self._sample()
        finally:
            self.cpu_seconds = time.thread_time() - started

    def _sample(self) -> None:
        while not self._stop.is_set():
            pids = descendants(self.pid)
            pss = rss = 0
            for pid in pids:
                memory = rollup(pid)
                pss += memory.get("Pss", 0)
                rss += memory.get("Rss", 0)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_processes = max(self.peak_processes, len(pids))
            self._stop.wait(self.every)


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as stat:
                    parent = int(stat.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def rollup(pid: int) -> dict[str, int]:
    """Bytes of each field of /proc/<pid>/smaps_rollup ({} if the process is gone)."""
    fields = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as stream:
            for line in stream:
                parts = line.split()
                if len(parts) == 3 and parts[2] == "kB":
                    fields[parts[0].rstrip(":")] = int(parts[1]) * 1024
    except OSError:
        pass
    return fields


class CpuMeter:
    """A cgroup of its own for one run: CPU seconds used by every process put in it (and their
    descendants), or None where no cgroup could be made here (`why` then says why)."""

    def __init__(self):
        self.folder: Path | None = None
        self.why = ""
        for root in CGROUP_ROOTS:
            v2 = (root / "cgroup.controllers").is_file()
            if not v2 and not (root / "cpuacct.usage").is_file():
                continue
            folder = root / f"nnkit-bench-{os.getpid()}-{time.monotonic_ns()}"
            try:
                folder.mkdir()
            except OSError as error:
                self.why = f"cannot make a cgroup in {root} ({error.strerror})"
                continue
            self.folder, self.v2 = folder, v2
            return
        self.why = self.why or "no cgroup file system with CPU accounting here"

    def join(self) -> int:
        """Runs in the child before exec: move it into the cgroup (nothing else may run here).
        Where that is refused, the run goes on outside it, and `finish` finds nothing counted."""
        if self.folder is not None:
            try:
                (self.folder / "cgroup.procs").write_text(str(os.getpid()))
            except OSError:
                pass
        return 0

    def finish(self) -> float | None:
        """The CPU seconds, once every process in the cgroup is gone (the fork server ends just
        after `grade`); the cgroup is removed. None without a cgroup."""
        if self.folder is None:
            return None
        deadline = time.monotonic() + 10
        while (self.folder / "cgroup.procs").read_text().strip() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.v2:
            stat = (self.folder / "cpu.stat").read_text()
            usage = dict(line.split() for line in stat.splitlines())
            seconds = int(usage["usage_usec"]) / 1e6
        else:
            seconds = int((self.folder / "cpuacct.usage").read_text()) / 1e9
        try:
            self.folder.rmdir()
        except OSError:
            print(f"note: could not remove the cgroup {self.folder}; remove it by hand")
        if seconds == 0:
            self.why = f"the run could not be moved into the cgroup {self.folder}"
            return None
        return seconds


def run(class_dir: Path, jobs: int, out: Path) -> tuple[float, TreeMemory, int, CpuMeter]:
    meter = CpuMeter()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "grader", str(class_dir), "--out", str(out),
                                "--jobs", str(jobs)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, preexec_fn=meter.join)
    with TreeMemory(process.pid) as memory:
        _, errors = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        meter.finish()
        sys.exit(f"grade failed with status {process.returncode}:\n{errors}")
    return seconds, memory, len(list(out.glob("*/report.json"))), meter


#: The busy loop `machine_parallelism` times, alone and N at once: about 0.4 s of one core.
BUSY_LOOP = "import time\nt = time.perf_counter()\ns = 0\nfor i in range(12_000_000): s += i\n" \
            "print(time.perf_counter() - t)"


def machine_parallelism(processes: int, rounds: int = 3) -> float:
    """How many times one process's work `processes` busy Python processes get done at once
    here: processes × (one's time alone) / (the slowest one's time among them), the median of
    `rounds`. 1.0 for one process; `processes` on ideal hardware."""
    if processes < 2:
        return 1.0
    ratios = []
    for _ in range(rounds):
        alone = _busy_seconds(1)[0]
        together = _busy_seconds(processes)
        ratios.append(processes * alone / max(together))
    return sorted(ratios)[len(ratios) // 2]


def _busy_seconds(processes: int) -> list[float]:
    """Each one's own time for BUSY_LOOP, `processes` of them started at once."""
    started = [subprocess.Popen([sys.executable, "-S", "-c", BUSY_LOOP], stdout=subprocess.PIPE,
                                text=True) for _ in range(processes)]
    return [float(process.communicate()[0]) for process in started]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200, help="submissions in the class")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2],
                        help="the --jobs values to time (the first is the speed-up's baseline)")
    args = parser.parse_args()
    if not os.environ.get("MNIST_DIR"):
        print("note: MNIST_DIR is not set; MNIST is read from the kit's default folder")
    print(f"{args.count} submissions, cycling {len(list(EXAMPLES.glob('*/*/*.ipynb')))} examples; "
          f"{os.cpu_count()} CPU cores")
    widest = min(max(args.jobs), os.cpu_count() or 1)
    machine = machine_parallelism(widest)
    if widest > 1:
        print(f"this machine: {widest} busy Python processes at once get {machine:.2f}× one's work "
              "done (the most any --jobs value can gain)")
    times, busy = {}, {}
    with tempfile.TemporaryDirectory(prefix="nnkit-batch-bench-") as folder:
        class_dir = make_class(Path(folder), args.count)
        for jobs in args.jobs:
            seconds, memory, reports, meter = run(class_dir, jobs, Path(folder) / f"out-{jobs}")
            times[jobs] = seconds
            print(f"--jobs {jobs}: {seconds:6.1f} s for {reports} reports "
                  f"({seconds / args.count:.2f} s per submission); peak memory "
                  f"{memory.peak_pss / 2**20:.0f} MiB PSS ({memory.peak_rss / 2**20:.0f} MiB summed "
                  f"RSS) over up to {memory.peak_processes} processes (sampling them used "
                  f"{memory.cpu_seconds:.1f} s of CPU)")
            cpu = meter.finish()
            if cpu is None:
                print(f"          CPU time not measured: {meter.why}")
            else:
                busy[jobs] = cpu / seconds
                print(f"          CPU time {cpu:6.1f} s ({cpu / args.count:.2f} s per submission): "
                      f"{busy[jobs]:.2f} cores busy")
    baseline = args.jobs[0]
    for jobs in args.jobs[1:]:
        line = f"speed-up {baseline} → {jobs} jobs: {times[baseline] / times[jobs]:.2f}×"
        if baseline in busy:
            most = min(jobs, os.cpu_count() or jobs) / busy[baseline]
            line += (f" (at most {most:.2f}× when {jobs} jobs need the CPU time {baseline} did: "
                     f"{baseline} already kept {busy[baseline]:.2f} cores busy)")
        if jobs == widest > 1:
            line += f"; the machine's own: {machine:.2f}×"
        print(line)


if __name__ == "__main__":
    main()
