"""Returns its input in an ndarray subclass that claims to equal anything: __eq__, __ne__,
__array_ufunc__ and __array_function__ all answer "equal", "close" or "finite".

Only the array's bytes cross to the grader, which compares them itself: softmax keeps only the
checks of shape and of not changing its input.
"""
EXERCISE = "softmax"
PASSES = ("shape_and_dtype", "no_mutation")
SAYS = "returned wrong values"


class AgreesWithEverything(np.ndarray):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return True

    def __array_function__(self, function, types, args, kwargs):
        return True


def softmax(Z):
    return np.array(Z, dtype=float).view(AgreesWithEverything)
