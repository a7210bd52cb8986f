"""How long grading one submission takes (the target: under 3 s wall on 2 cores, MNIST included).

    MNIST_DIR=/path/to/mnist python benchmarks/grade_one.py [--repeat 3] [PATH]

PATH defaults to the reference as a student .py submission of `mnist_mlp`. Three figures:
- cold: `grade PATH` as a fresh command (interpreter start, imports, grading process, reports);
- first: `grader.checks.scoring.grade` in a fresh process, imports done (what a batch worker pays once:
  MNIST read, suites imported);
- warm: the same call again in that process (every further submission of a batch).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IN_PROCESS = """
import sys, time
from grader.intake.submission import find_submissions
from grader.checks import scoring
[submission] = find_submissions([sys.argv[1]])
for _ in range(int(sys.argv[2])):
    started = time.perf_counter()
    result = scoring.grade(submission)
    print(f"{time.perf_counter() - started:.3f} {result.score} {result.max_score} {result.isolation!r}")
"""


def reference_submission(folder: Path) -> Path:
    from grader.assignments import ASSIGNMENTS
    from grader.instructor.selftest import reference_source
    path = folder / "mnist_mlp.py"
    path.write_text(reference_source(ASSIGNMENTS["mnist_mlp"]))
    return path


def cold(path: Path, folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader", str(path), "--out", str(folder / "out"),
                    "--jobs", "1"], check=True, capture_output=True)
    return time.perf_counter() - started


def in_process(path: Path, repeat: int) -> list[tuple[float, str]]:
    run = subprocess.run([sys.executable, "-c", IN_PROCESS, str(path), str(repeat)], check=True,
                         capture_output=True, text=True)
    return [(float(line.split(" ", 1)[0]), line.split(" ", 1)[1]) for line in run.stdout.splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", help="a submission (default: the reference)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = Path(args.path) if args.path else reference_submission(folder)
        colds = [cold(path, folder) for _ in range(args.repeat)]
        runs = in_process(path, args.repeat + 1)
    first, warm = runs[0][0], [seconds for seconds, _ in runs[1:]]
    print(f"submission: {path.name}  (score, max, isolation: {runs[-1][1]})")
    print(f"cold  `grade PATH` command : median {statistics.median(colds):.2f} s "
          f"(runs: {', '.join(f'{s:.2f}' for s in colds)})")
    print(f"first grade() in a process: {first:.2f} s")
    print(f"warm  grade() (batch)     : median {statistics.median(warm):.2f} s "
          f"(runs: {', '.join(f'{s:.2f}' for s in warm)})")


if __name__ == "__main__":
    main()
