# Functions that change their arguments, and a wrong softmax that substitutes can stand in for.


def scale_in_place(x, params, factor):
    x *= factor                 # the array argument changes
    params["W"] *= factor       # an array inside the dict changes
    params["extra"] = 1         # the dict itself gains a key; params["b"] (with a NaN) is untouched


def pure(x, params):
    print("computing")
    return x + 1


def my_softmax(Z):
    return Z                    # wrong on purpose


def softmax_user(Z):
    return my_softmax(Z)


def relu_user(Z):
    return relu(Z)              # noqa: F821 — this submission never defines relu
