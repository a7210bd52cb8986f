# relu_derivative — grader/checks/suites/test_relu_derivative.py: shape_and_dtype, values, zero_at_zero,
# no_mutation. Any numeric dtype will do (a boolean mask too).
def _test_relu_derivative():
    shapes = [(1, 10), (3, 7), (5, 128), (64, 33)]
    for shape in shapes:
        for dtype in (np.float64, np.float32):
            Z = _rng(f"relu_derivative-shape-{shape}-{dtype.__name__}").standard_normal(shape)
            Z = Z.astype(dtype)
            _expect_array(_call(relu_derivative, Z), Z.shape, kind=_NUMBER)
    for shape in shapes:
        Z = _rng(f"relu_derivative-values-{shape}").standard_normal(shape)
        _expect_close(_call(relu_derivative, Z), _ref.relu_derivative(Z), kind=_NUMBER)
    Z = _rng("relu_derivative-zero").integers(-2, 3, size=(4, 6)).astype(np.float64)
    Z[0, 0] = 0.0   # at least one exact zero
    _expect_close(_call(relu_derivative, Z), _ref.relu_derivative(Z), kind=_NUMBER)
    _expect_not_mutated(relu_derivative, _rng("relu_derivative-mutation").standard_normal((5, 7)))


_test_relu_derivative()
