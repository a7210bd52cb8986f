"""Returns NaN, which compares unequal to everything: a grader that tests `a != b` or
`abs(a - b) > tol` to find a mistake would miss it.

Every check asks for a finite number: cross_entropy keeps only the check that it returns a number
and leaves its inputs alone.
"""
EXERCISE = "cross_entropy"
PASSES = ("no_mutation",)
SAYS = "is nan; expected a finite number"


def cross_entropy(A, Y):
    return float("nan")
