"""The MNIST check: what can have caused a network to train badly, naming only the student's
functions that were actually trained (the others were replaced by the kit's, and their mistakes
are charged in their own exercises)."""

from __future__ import annotations

from grader.checks.diagnose.catalogue import Hint, advice


def _listed(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def replaced_text(replaced) -> str:
    if not replaced:
        return ""
    return (f" This check trained with the kit's {_listed(replaced)} in place of yours: "
            f"{'it' if len(replaced) == 1 else 'they'} lost points in "
            f"{'its' if len(replaced) == 1 else 'their'} own exercise{'s' * (len(replaced) > 1)}, "
            "which charges the mistake once.")


def likely_causes(used, replaced, recipe_text: str) -> Hint:
    """Accuracy too low although every function trained passes its own checks."""
    return advice(f"Your {_listed(used)} pass their own checks, so look at how they work together "
                  f"on MNIST ({recipe_text}): images in float32, batches of that size, learning "
                  "rates that change at every step." + replaced_text(replaced))


def diverged(used, replaced) -> Hint:
    return Hint(f"Training with your {_listed(used)} diverged: the steps grew until the parameters "
                "overflowed. Gradients that are too large for some batch (a 1/m that depends on "
                "something else than the batch) or steps that do not shrink with lr are the usual "
                "causes." + replaced_text(replaced), "mnist_accuracy.diverged")


def too_slow() -> Hint:
    return Hint("Use whole-array NumPy operations (matrix products, broadcasting) instead of "
                "Python loops over samples or units.", "mnist_accuracy.too_slow")


def nothing_to_train(replaced) -> Hint:
    return advice(f"Your {_listed(replaced)} all lost points in their own exercises, so this check "
                  "has none of your functions left to train: fix them first.")
