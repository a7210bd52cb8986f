"""Starts a thread that outlives the call: it keeps writing files outside the scratch folder,
printing, and signalling its parent, for as long as the worker lives.

The thread dies with the worker when grading ends; nothing it writes reaches the machine.
"""
import os
import signal
import threading
import time

EXERCISE = "update"
SAYS = "a thread was left behind"
TOKEN = "@TOKEN@"
PLACES = ["@HOME@", "/tmp", "@TMP@", "@OUT@"]


def _haunt():
    count = 0
    while True:
        count += 1
        for place in PLACES:
            try:
                with open(os.path.join(place, f"{TOKEN}-lingering-{count}"), "w"):
                    pass
            except OSError:
                pass
        try:
            os.kill(os.getppid(), signal.SIGTERM)
        except OSError:
            pass
        print("still here", count)
        time.sleep(0.01)


def update(params, grads, lr):
    threading.Thread(target=_haunt, daemon=True).start()
    raise RuntimeError("a thread was left behind")
