"""What one call to the sandbox costs when its arguments are large: through the worker's request
region (grader/sandbox/shared.py, request_region) against through the pipe, side by side in one run.

    python benchmarks/call_transport.py [--calls 300] [--rounds 3]

The call is the shape of the suites' forward and backprop calls: X (200, 784) and params W1
(784, 128), b1 (1, 128), float64, 2.2 MB in all, to a function that returns a small slice, so
what is measured is the crossing, not the student's arithmetic. Each round starts one worker
with the region and one without (the pipe, as where sealed memfds are missing), warms each up
with 20 calls, then times `--calls` calls of each. It prints, per call, the wall time, the
grader's CPU time and the worker's (its /proc CPU time), and last `region speed-up: X.XX`,
the pipe's median wall time over the region's.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from grader.sandbox import StudentProcess, shared
from grader.sandbox.launcher import Limits

CELL = "import numpy as np\ndef forward_like(X, params):\n    return params['b1'][:, :4]\n"


def measure(calls: int, with_region: bool) -> tuple[float, float, float]:
    """(wall, grader CPU, worker CPU) seconds per call."""
    real = shared.request_region
    if not with_region:
        shared.request_region = lambda size: None
    try:
        with tempfile.TemporaryDirectory() as scratch, \
                StudentProcess([CELL], Path(scratch), Limits()) as student:
            rng = np.random.default_rng(0)
            X = rng.random((200, 784))
            params = {"W1": rng.random((784, 128)), "b1": rng.random((1, 128))}
            for _ in range(20):
                student.call("forward_like", X, params)
            worker = student._worker
            if (worker.region is not None) != with_region:
                raise SystemExit("the worker's request region is not what this run asked for")
            wall, cpu, worker_cpu = time.perf_counter(), time.process_time(), worker.cpu_seconds()
            for _ in range(calls):
                student.call("forward_like", X, params)
            return ((time.perf_counter() - wall) / calls, (time.process_time() - cpu) / calls,
                    (worker.cpu_seconds() - worker_cpu) / calls)
    finally:
        shared.request_region = real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shared.request_region(4096) is None:
        raise SystemExit("no sealed memfds here: every request goes through the pipe")
    walls: dict[str, list[float]] = {"region": [], "pipe": []}
    for round_ in range(args.rounds):
        for label in ("region", "pipe"):
            wall, cpu, worker_cpu = measure(args.calls, label == "region")
            walls[label].append(wall)
            print(f"round {round_ + 1} {label:6}  {wall * 1e3:.3f} ms a call  (grader CPU "
                  f"{cpu * 1e3:.3f} ms, worker CPU {worker_cpu * 1e3:.3f} ms)")
    print(f"region speed-up: "
          f"{statistics.median(walls['pipe']) / statistics.median(walls['region']):.2f}")


if __name__ == "__main__":
    main()
