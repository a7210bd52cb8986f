"""Fills its scratch folder: three files of 32 MiB, then one over the 64 MiB file-size limit
(once: later calls find the files there and give up).

Partly contained, as documented: each file is capped at 64 MiB (the write past it fails), the
total is not; the folder is removed after grading.
"""
import os

EXERCISE = "init_params"
SAYS = "File too large"


def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):
    if os.path.exists("too-big"):
        raise FileExistsError("the scratch folder is already full")
    block = b"\0" * (1 << 20)
    for index in range(3):
        with open(f"fill-{index}", "wb") as file:
            for _ in range(32):
                file.write(block)
    with open("too-big", "wb") as file:
        for _ in range(65):
            file.write(block)
    return None
