"""Returns None: it does nothing, so it cannot change its inputs either.

No credit for doing nothing: the check that the inputs are left unchanged counts only for a call
that returned a result of the right form, so update scores nothing.
"""
EXERCISE = "update"
SAYS = "but it is None"


def update(params, grads, lr):
    return None
