"""Calls the kernel directly through ctypes, past Python's os module: fork, vfork, clone,
clone3, unshare, ptrace of its parent, process_vm_writev, kill, and io_uring_setup (io_uring's
requests never pass the seccomp filter); it answers only if one worked.

The seccomp filter judges system calls, not Python functions: every one is refused.
"""
import ctypes
import os
import platform
import signal

EXERCISE = "init_params"
SAYS = "the kernel refused every call"
NUMBERS = {"x86_64": {"fork": 57, "vfork": 58, "clone": 56, "clone3": 435, "unshare": 272,
                      "ptrace": 101, "process_vm_writev": 311, "kill": 62,
                      "io_uring_setup": 425},
           "aarch64": {"clone": 220, "clone3": 435, "unshare": 97, "ptrace": 117,
                       "process_vm_writev": 271, "kill": 129, "io_uring_setup": 425}}
CLONE_NEWUSER, PTRACE_ATTACH = 0x10000000, 16


def _calls():
    numbers = NUMBERS[platform.machine()]
    parent = os.getppid()
    io_uring_params = ctypes.create_string_buffer(120)     # struct io_uring_params, zeroed
    for name, args in [("fork", ()), ("vfork", ()), ("clone", (signal.SIGCHLD, 0, 0, 0, 0)),
                       ("clone3", (0, 0)), ("unshare", (CLONE_NEWUSER,)),
                       ("ptrace", (PTRACE_ATTACH, parent, 0, 0)),
                       ("process_vm_writev", (parent, 0, 0, 0, 0, 0)),
                       ("kill", (parent, signal.SIGKILL)),
                       ("io_uring_setup", (8, io_uring_params))]:
        if name in numbers:
            yield name, numbers[name], args


def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    libc = ctypes.CDLL(None, use_errno=True)
    worked = []
    for name, number, args in _calls():
        result = libc.syscall(number, *args)
        if result == 0 and name in ("fork", "vfork", "clone"):
            os._exit(0)                      # the child, had one been made
        if result >= 0:
            worked.append(name)
    if not worked:
        raise PermissionError("the kernel refused every call")
    rng = np.random.default_rng(seed)
    return {"W1": rng.standard_normal((n_input, n_hidden)) * np.sqrt(2 / n_input),
            "b1": np.zeros((1, n_hidden)),
            "W2": rng.standard_normal((n_hidden, n_output)) * np.sqrt(2 / n_hidden),
            "b2": np.zeros((1, n_output))}
