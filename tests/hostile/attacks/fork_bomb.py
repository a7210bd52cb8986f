"""Starts processes every way Python offers (fork, subprocess, posix_spawn, os.system,
multiprocessing, pty), each meant to outlive grading; it answers only if one started.

The seccomp filter refuses new processes, so update scores nothing and no process survives.
"""
import multiprocessing
import os
import pty
import subprocess
import sys

EXERCISE = "update"
SAYS = "no process could be started"
TOKEN = "@TOKEN@"
SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)", TOKEN]


def _fork():
    if os.fork() == 0:
        os.execv(sys.executable, SLEEPER)


def _system():
    if os.system(f"sleep 600 # {TOKEN}") != 0:
        raise OSError("os.system failed")


def _multiprocessing():
    multiprocessing.Process(target=os.execv, args=(sys.executable, SLEEPER)).start()


def _pty():
    if pty.fork()[0] == 0:
        os.execv(sys.executable, SLEEPER)


ATTEMPTS = [_fork, lambda: subprocess.Popen(SLEEPER, start_new_session=True),
            lambda: os.posix_spawn(sys.executable, SLEEPER, {}), _system, _multiprocessing, _pty]


def update(params, grads, lr):
    started = 0
    for attempt in ATTEMPTS:
        try:
            attempt()
            started += 1
        except Exception:
            pass
    if not started:
        raise PermissionError("no process could be started")
    return {name: params[name] - lr * grads["d" + name] for name in ("W1", "b1", "W2", "b2")}
