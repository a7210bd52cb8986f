# Functions that misbehave: exits, signals, endless loops, memory, files, output, fds, processes.
import os
import signal
import subprocess
import sys
import time

import numpy as np


def fine():
    return "fine"


def spin():
    while True:
        pass


def nap(seconds):
    time.sleep(seconds)


def burn(seconds):
    """Compute for `seconds` of this process's CPU time."""
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass


def hard_exit():
    os._exit(3)


def soft_exit():
    sys.exit(2)


def kill_self():
    os.kill(os.getpid(), signal.SIGKILL)


def segfault():
    import ctypes
    ctypes.string_at(0)


def kill_parent():
    os.kill(os.getppid(), signal.SIGKILL)


def hog_memory():
    return np.ones((3 << 30) // 8)          # 3 GiB of float64


def write_big_file(size):
    with open("big.bin", "wb") as file:
        file.write(b"\0" * size)
    return size


def shout(megabytes):
    line = "x" * 1_000_000
    for _ in range(megabytes):
        print(line)
    return "done"


def scribble_on_fds():
    for fd in range(3, 1024):
        try:
            os.write(fd, b"\xff" * 64)
        except OSError:
            pass
    return "scribbled"


def scribble_later():
    import threading

    def scribble():
        time.sleep(0.1)
        scribble_on_fds()
    threading.Thread(target=scribble, daemon=True).start()
    return "the thread will scribble"


def close_all_fds():
    os.closerange(3, 1 << 16)
    return "closed"


def fork_bomb():
    while True:
        try:
            if os.fork() == 0:
                os.setsid()                 # try to leave the worker's process group too
        except BlockingIOError:             # out of processes: keep trying
            pass


def run_a_program():
    return subprocess.run(["true"]).returncode
