"""Returns arrays of the right shape full of NaN, +inf and -inf.

Every check asks for finite values: softmax keeps only the check that it returns an array and
leaves its input alone.
"""
EXERCISE = "softmax"
PASSES = ("no_mutation",)
SAYS = "contains nan or inf values"


def softmax(Z):
    values = np.full(Z.shape, np.nan)
    values.flat[::3] = np.inf
    values.flat[1::3] = -np.inf
    return values
