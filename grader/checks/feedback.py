"""What a student sees of a failed check: one exception type, carrying only student-facing text.

The hidden suites never use a bare `assert`; they raise `Feedback` (through `grader.checks.expect`), so a
report can show what was expected, what came back, on which small input, and what the mistake
usually is — and never a line of the hidden test source.
"""

from __future__ import annotations

import numpy as np

#: Arrays in messages are printed like this: 3 decimals, at most 4 items per edge.
PRINT_OPTIONS = {"precision": 3, "threshold": 24, "edgeitems": 3, "suppress_small": True}


class Feedback(AssertionError):
    """A failed check, explained. Every field is plain text; empty when there is nothing to say.

    summary:  one sentence, what is wrong ("softmax(Z) has shape (3, 10); expected (10, 3)").
    expected: what the check expected, printed small.
    got:      what the student's function returned, printed small.
    input:    the (small) input the function was called on.
    hint:     the mistake this usually means and what to do about it.
    diagnosis: the stable id of the mistake the hint names (`backprop.missing_1_over_m`, listed in
              `grader.checks.diagnose.DIAGNOSES`), "" when the hint is general advice. An id without a
              dot (`transposed`: a mistake any exercise can make) is completed with the exercise
              of the check that raised it when the outcome is recorded (`grader.checks.plugin.classify`).
    """

    def __init__(self, summary: str, *, expected: str = "", got: str = "", input: str = "",
                 hint: str = "", diagnosis: str = ""):
        super().__init__(summary)
        self.summary = summary
        self.expected = expected
        self.got = got
        self.input = str(input)      # a ShownInputs is printed here, once a check failed
        self.hint = hint
        self.diagnosis = diagnosis

    def as_dict(self) -> dict[str, str]:
        return {"summary": self.summary, "expected": self.expected, "got": self.got,
                "input": self.input, "hint": self.hint, "diagnosis": self.diagnosis}

    def __str__(self) -> str:
        lines = [self.summary]
        for label, text in [("expected", self.expected), ("got", self.got),
                            ("input", self.input), ("hint", self.hint)]:
            if text:
                lines.append(f"{label}: {text}")
        return "\n".join(lines)


def show(value) -> str:
    """A short printed version of a value for a message: arrays with 3 decimals and few items."""
    if isinstance(value, np.ndarray):
        text = np.array2string(value, **PRINT_OPTIONS, separator=", ")
        return f"{text}  (shape {value.shape}, {value.dtype})" if value.ndim else text
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key!r}: {show_brief(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return describe(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)[:200]


def show_brief(value) -> str:
    """One line: an array as its shape and dtype, anything else as `describe` says."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} ({value.dtype})"
    return describe(value)


class ShownInputs:
    """Named inputs, one per line (`Z = [[...]]`), printed only when a check fails and its
    Feedback needs them (`str()`): printing arrays costs more than most checks (0.1 s of a
    submission's grading went to inputs nobody read). The arrays are the trusted side's own;
    the suites never change them after a call, so the text is the one printing them at once
    would give."""

    def __init__(self, inputs: dict):
        self._inputs = inputs
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = "\n".join(f"{name} = {show(value)}"
                                   for name, value in self._inputs.items())
        return self._text


def show_inputs(**inputs) -> ShownInputs:
    """Named inputs, one per line: `Z = [[...]]`, printed when str() is taken."""
    return ShownInputs(inputs)


def describe(value) -> str:
    """What kind of thing a value is, in words a student recognises ("a tuple of 2 items")."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"a NumPy array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (list, tuple)):
        kinds = ", ".join(show_brief(item) for item in value[:4])
        more = ", ..." if len(value) > 4 else ""
        return f"a {type(value).__name__} of {len(value)} items ({kinds}{more})"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(map(str, value))}"
    if isinstance(value, (bool, int, float, np.generic)):
        return f"the {type(value).__name__} {value!r}"
    return f"a {type(value).__name__}"
