"""How a report names a test case: by its input, in words ("a batch of 5", "9 samples, 128 hidden
units"), never by a test id ("5", "m9-h128"). Each function is a parametrize `ids=`; pytest joins
the labels of stacked parametrizations with "-", which the renderers show as ", ", so no label
holds a hyphen. Labels are ASCII: pytest escapes any other character, and escapes it again each
time a grading process collects the suites anew, so "×" would read "\\xd7", then "\\\\xd7"."""

from __future__ import annotations

import numpy as np


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def batch(m: int) -> str:
    return f"a batch of {m}"


def samples_and_hidden(case: tuple[int, int]) -> str:
    """(m, h) → "9 samples, 128 hidden units"."""
    m, h = case
    return f"{_plural(m, 'sample')}, {_plural(h, 'hidden unit')}"


def hidden(h: int) -> str:
    return _plural(h, "hidden unit")


def samples_by_units(shape: tuple[int, int]) -> str:
    """Z1's shape with samples as rows, (m, h) → "3 samples by 7 units"."""
    m, h = shape
    return f"{_plural(m, 'sample')} by {_plural(h, 'unit')}"


def dtype(kind) -> str:
    return np.dtype(kind).name


def layer_sizes(sizes) -> str:
    """(n_input, n_hidden, n_output) → "sizes 784, 128, 10"; a name stands as it is."""
    return sizes if isinstance(sizes, str) else "sizes " + ", ".join(map(str, sizes))


def seed(value: int) -> str:
    return f"seed {value}"


def learning_rate(lr: float) -> str:
    return f"lr {lr:g}"


def described(case: str) -> str:
    """A named special input, in words: "plus_minus_1e3" → "logits of plus and minus 1000"."""
    return SPECIAL_INPUTS.get(case, case.replace("_", " "))


SPECIAL_INPUTS = {"plus_minus_1e3": "logits of plus and minus 1000", "all_1e3": "every logit 1000",
                  "all_minus_1e3": "every logit minus 1000", "exact_zeros": "exact zeros",
                  "all_negative": "all negative"}
