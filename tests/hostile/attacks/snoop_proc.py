"""Looks through /proc for the grader's processes (listing it, or, where that is refused, trying
its parent's pid and the pids around its own), then reads the reference solution through their
root, working directory or file descriptors, and returns its init_params.

Under bubblewrap the worker has its own PID namespace: /proc shows none of the grader's
processes. Under Landlock it may read only its own /proc entry: whatever the links of another
process point to is refused.
"""
import os

EXERCISE = "init_params"
SAYS = "no grader process in sight"


def _pids():
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        own = os.getpid()
        return [os.getppid(), *range(max(1, own - 200), own + 50)]


def _candidate_files():
    for pid in _pids():
        if pid == os.getpid():
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
