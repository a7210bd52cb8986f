"""Spins forever inside relu, ignoring SIGTERM, SIGINT, SIGALRM and SIGXCPU.

The call times out, the worker is killed with SIGKILL (which cannot be ignored), relu's other
cases are not run, and no other exercise pays for it.
"""
import signal

EXERCISE = "relu"
SAYS = "used 10 s of CPU time without returning"


def relu(Z):
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU, signal.SIGALRM):
        signal.signal(number, signal.SIG_IGN)
    while True:
        pass
