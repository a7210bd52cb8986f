"""Returns a dict that contains itself, then a list nested a hundred thousand levels deep.

Results are refused past 8 levels of nesting, before recursion can hurt anyone: update scores
nothing.
"""
EXERCISE = "update"
SAYS = "nested more than 8 levels deep"


def update(params, grads, lr):
    if lr == 0.1:
        loop = dict(params)
        loop["W1"] = loop
        return loop
    deep = []
    for _ in range(100_000):
        deep = [deep]
    return deep
