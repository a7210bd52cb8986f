"""Before grading: can the MNIST check have its data? Asked once, by `grade` and the selftest.

Without MNIST every student would lose the mnist_accuracy exercise, each report blaming the
student's set-up, so `grade` stops before grading anything and tells the instructor where it looked
and how to get the files (or to pass --skip-mnist). The probe is cheap: it looks for the four files
where studentkit's loader looks (MNIST_DIR, else the kit's default folder) without reading them;
the grading processes read and check them. When they are missing and MNIST_DIR is not set, the
loader would download them into the default folder on first use, so the probe does that now,
visibly, with a short connection timeout: an offline machine answers within seconds, not minutes.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The exercise that trains on MNIST (suites/test_mnist_accuracy.py): `grade --skip-mnist` leaves
#: it out. Here, not in grader.checks.plugin, so that `grade` can name it without importing pytest.
MNIST_EXERCISE = "mnist_accuracy"
#: Seconds per connection attempt while probing (the loader's own is 10): three mirrors are tried.
CONNECT_SECONDS = 4


def unavailable() -> str | None:
    """None when the four MNIST files are there (or were just downloaded there); else where they
    were looked for and why they could not be had, in one sentence for the instructor."""
    from studentkit.mnist import MnistError, ensure_mnist, find_mnist_dir

    folder = find_mnist_dir()
    missing = missing_files(folder)
    if not missing:
        return None
    absent = _absent(missing)
    if os.environ.get("MNIST_DIR"):       # the loader never downloads into MNIST_DIR
        return f"MNIST_DIR is set to {folder}, and {absent}."
    try:
        ensure_mnist(folder, opener=_impatient_urlopen)
        return None
    except MnistError as error:
        return (f"MNIST_DIR is not set, so nnkit looked in its default folder {folder}: {absent}, "
                f"and downloading failed ({_download_failures(error)}).")


def how_to_get() -> list[str]:
    """The ways to provide MNIST, one line each, for the instructor."""
    from studentkit.mnist import FILES, find_mnist_dir

    names = ", ".join(name for pair in FILES.values() for name in pair)
    default = ("nnkit's default folder (datasets/mnist/ in the kit's checkout)"
               if os.environ.get("MNIST_DIR") else str(find_mnist_dir()))
    return [f"set MNIST_DIR to a folder holding the four official files ({names}; gzipped or "
            "not)",
            "or run where the network reaches the official mirrors, with MNIST_DIR unset: the "
            f"files are downloaded into {default} once and kept"]


def missing_files(folder: Path) -> list[str]:
    """The canonical names of the MNIST files that are in `folder` neither gzipped nor not (the
    loader accepts both)."""
    from studentkit.mnist import FILES

    return [name for pair in FILES.values() for name in pair
            if not (folder / name).is_file() and not (folder / name.removesuffix(".gz")).is_file()]


def _impatient_urlopen(url: str, timeout: float):
    import urllib.request   # here: slow to import (~40 ms), and needed only to download

    return urllib.request.urlopen(url, timeout=min(timeout, CONNECT_SECONDS))


def _download_failures(error: Exception) -> str:
    """What each mirror answered, from the loader's message (its `url: reason` lines), else the
    message's first line."""
    lines = str(error).splitlines()
    failures = [line.strip() for line in lines if "://" in line]
    return "; ".join(failures) if failures else lines[0] if lines else type(error).__name__


def _absent(missing: list[str]) -> str:
    if len(missing) == 4:
        return "none of the four files is there"
    return f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not there"
