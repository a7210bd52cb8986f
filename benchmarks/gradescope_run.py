"""run_autograder as Gradescope runs it, at Gradescope's default limits: one core, 768 MB.

    MNIST_DIR=/path/to/mnist python benchmarks/gradescope_run.py [--repeat 3]

The bundle (`nnkit bundle --assignment mnist_mlp`) is unzipped into a temporary folder laid out
as /autograder (source/, submission/ with the correct example notebook, results/), and its
run_autograder is run --repeat times pinned to CPU 0 (`taskset -c 0`), with the bundled kit on
PYTHONPATH and this interpreter's packages (as tests/test_bundle.py does; setup.sh itself is run
by tests/test_bundle_deployed.py). Printed: each run's wall time, the score it wrote, and the peak
memory of the whole process tree (PSS summed over run_autograder and every descendant, as
benchmarks/grade_batch.py measures it, but sampled every 50 ms: a run lasts about 2 s; RSS summed
beside it). The sampling runs on the other cores, so that it takes nothing from the run's one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from grade_batch import TreeMemory

from grader.instructor import bundle

CORRECT = Path(__file__).parents[1] / "assignments/examples/mnist_mlp/correct/mnist_mlp.ipynb"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    others = set(os.sched_getaffinity(0)) - {0}
    if others:
        os.sched_setaffinity(0, others)       # the sampling stays off the run's core
    with tempfile.TemporaryDirectory(prefix="nnkit-gradescope-") as folder:
        root = Path(folder) / "autograder"
        zip_path = Path(folder) / "autograder.zip"
        bundle.write_bundle("mnist_mlp", zip_path)
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(root / "source")
        kit = root / "source" / "kit"
        env = {**os.environ, "NNKIT_AUTOGRADER_ROOT": str(root), "NNKIT_PYTHON": sys.executable,
               "PYTHONPATH": f"{kit}{os.pathsep}{kit / 'assignments'}"}
        for run in range(args.repeat):
            for name in ("submission", "results"):
                shutil.rmtree(root / name, ignore_errors=True)
                (root / name).mkdir()
            shutil.copy(CORRECT, root / "submission")
            started = time.perf_counter()
            process = subprocess.Popen(["taskset", "-c", "0", "bash",
                                        str(root / "source" / "run_autograder")], env=env,
                                       cwd=folder, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            with TreeMemory(process.pid, every=0.05) as memory:
                process.wait()
            seconds = time.perf_counter() - started
            score = __import__("json").loads((root / "results" / "results.json").read_text())
            print(f"run {run + 1}: {seconds:.2f} s, score {score['score']}, peak PSS "
                  f"{memory.peak_pss / (1 << 20):.0f} MiB (summed RSS {memory.peak_rss / (1 << 20):.0f} MiB)")


if __name__ == "__main__":
    main()
