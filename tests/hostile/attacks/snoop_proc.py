"""Looks through /proc for the grader's processes, then reads the reference solution through
their root, working directory or file descriptors, and returns its init_params.

The worker has its own PID namespace: /proc shows none of the grader's processes.
"""
import os

EXERCISE = "init_params"
SAYS = "no grader process in sight"


def _candidate_files():
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        for link in ("root", "cwd"):
            yield f"/proc/{pid}/{link}@KIT@/reference/network.py"
            yield f"/proc/{pid}/{link}/reference/network.py"
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                yield f"/proc/{pid}/fd/{fd}"
        except OSError:
            pass


def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    for path in _candidate_files():
        try:
            with open(path) as file:
                source = file.read(1 << 20)
        except (OSError, UnicodeDecodeError):
            continue
        if "def init_params" in source:
            namespace = {}
            exec(source, namespace)
            return namespace["init_params"](n_input, n_hidden, n_output, seed)
    raise LookupError("no grader process in sight")
