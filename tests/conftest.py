"""Fixtures shared by the kit's own tests.

`mnist_dir` is the one way a test gets the real MNIST files. Where they cannot be had, tests that
need them skip with a reason on a developer's machine, and fail loudly in CI (env CI set), where a
missing data set is a broken set-up, not a reason to pass.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.extract.cells import import_nbformat

# Test modules import nbformat themselves: through the kit's import, which keeps jsonschema from
# building a grammar nobody uses (1.4 s) where rfc3987_syntax is installed.
import_nbformat()


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder holding the four verified MNIST files ($MNIST_DIR, or the kit's datasets/mnist)."""
    from studentkit.mnist import MnistError, ensure_mnist

    try:
        return ensure_mnist()
    except MnistError as error:
        why = str(error)
    # Outside the except block, so that the report shows the reason and not a chained traceback.
    if os.environ.get("CI"):
        pytest.fail(f"CI needs the MNIST files, and they cannot be had: {why}", pytrace=False)
    pytest.skip("needs the MNIST files: set MNIST_DIR to a folder holding the four .gz files, "
                f"or connect to the internet once so they are downloaded. ({why})")
