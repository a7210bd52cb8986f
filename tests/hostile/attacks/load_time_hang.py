"""An extra cell whose class body never finishes, and ignores the signals that would stop it.

Loading times out on that cell; the grader loads the submission again without it, and every
exercise keeps its points.
"""
import signal

EXERCISE = None
SAYS = "left this cell out"


class Forever:
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU, signal.SIGALRM):
        signal.signal(number, signal.SIG_IGN)
    while True:
        pass
