"""What a report says of a failed check, as the feedback dict report.json carries.

A failure is either a `grader.checks.feedback.Feedback` raised by a hidden suite (summary, expected, got,
input, hint, diagnosis) or an exception the student's code raised (summary, traceback). Both are
completed here with what the submission's source tells (`grader.checks.diagnose`):

- an exception is translated into what it means for the exercise (a global of a skipped cell, a
  function defined twice, shapes that do not broadcast, ...), with a hint and a diagnosis;
- a hint found from values is made precise by the source (`np.clip(A, 1e-10, A)`, a global m);
- a function defined twice says which definition was graded;
- a mistake in a function the MNIST check replaces by the kit's says so, which is why the
  student's own training in the notebook can do worse than the report's MNIST check;
- a diagnosis is completed with the exercise of the check (`transposed` → `forward.transposed`).

`session` is the `grader.checks.plugin.GradingSession` (its `extraction` may be None: no source known).
"""

from __future__ import annotations

from grader.checks.diagnose import Hint, qualify
from grader.checks.diagnose.exceptions import explain_exception
from grader.checks.diagnose.source import defined_twice_note, refine
from reference.notation import get_notation

#: The MNIST check always trains with the kit's relu, softmax and relu_derivative, and with the
#: kit's version of each of these four that lost points in its own exercise.
ALWAYS_REPLACED_IN_TRAINING = ("relu", "softmax", "relu_derivative")
REPLACED_WHEN_FAILING = ("init_params", "forward", "backprop", "update")
MNIST_EXERCISE = "mnist_accuracy"


def failed_check(error, exercise: str, session) -> dict:
    """The feedback dict of a Feedback raised by a suite."""
    return complete(error.as_dict(), Hint(error.hint, error.diagnosis), exercise, session)


def raised(error, exercise: str, session) -> dict:
    """The feedback dict of an exception from the student's code: Python's message and their
    traceback, and what it means for the exercise."""
    python_message = error.message.removeprefix(f"{error.exc_type}: ") \
        if error.message != error.exc_type else ""
    hint = explain_exception(error.exc_type, python_message, error.traceback, exercise=exercise,
                             notation=notation_of(session), facts=facts_of(session)) or Hint("")
    feedback = {"summary": error.message, "traceback": error.traceback, "hint": hint.text,
                "diagnosis": hint.diagnosis}
    return complete(feedback, hint, exercise, session)


def complete(feedback: dict, hint: Hint, exercise: str, session) -> dict:
    facts = facts_of(session)
    hint = refine(hint, exercise, facts)
    text = hint.text
    if hint.diagnosis != "defined_twice":
        text += defined_twice_note(exercise, facts)
    text += charged_once_note(exercise, hint.diagnosis, session)
    return {**feedback, "hint": text.strip(), "diagnosis": qualify(hint.diagnosis, exercise)}


def charged_once_note(exercise: str, diagnosis: str, session) -> str:
    """Why the MNIST check may pass while training in the notebook fails: for a mistake in a
    function that check replaces by the kit's."""
    if exercise not in ALWAYS_REPLACED_IN_TRAINING + REPLACED_WHEN_FAILING \
            or diagnosis.endswith("mutates_input") or session is None \
            or MNIST_EXERCISE in set(session.not_run) | set(getattr(session, "not_graded", ())):
        return ""
    return (f" (Charged here only: the MNIST check trains with the kit's {exercise} instead of "
            "yours. Your notebook's own training uses yours, so it can do far worse than that "
            "check.)")


def facts_of(session):
    return getattr(session, "extraction", None) if session is not None else None


def notation_of(session):
    name = getattr(getattr(session, "assignment", None), "notation", "rows")
    return get_notation(name)
