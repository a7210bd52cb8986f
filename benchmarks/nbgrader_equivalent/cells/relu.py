# relu — grader/checks/suites/test_relu.py: shape_and_dtype, values, zeros_and_negatives, no_mutation.
def _test_relu():
    shapes = [(1, 10), (3, 7), (5, 128), (64, 33)]
    for shape in shapes:
        for dtype in (np.float64, np.float32):
            Z = _rng(f"relu-shape-{shape}-{dtype.__name__}").standard_normal(shape).astype(dtype)
            _expect_array(_call(relu, Z), Z.shape)
    for shape in shapes:
        Z = _rng(f"relu-values-{shape}").standard_normal(shape)
        _expect_close(_call(relu, Z), _ref.relu(Z))
    rng = _rng("relu-zeros")
    Z = rng.integers(-2, 3, size=(4, 6)).astype(np.float64)
    Z[Z == 0] = np.where(rng.random(np.count_nonzero(Z == 0)) < 0.5, 0.0, -0.0)
    _expect_close(_call(relu, Z), _ref.relu(Z))
    Z = -rng.random((3, 5)) - 0.1
    _expect_close(_call(relu, Z), _ref.relu(Z))
    _expect_not_mutated(relu, _rng("relu-mutation").standard_normal((5, 7)))


_test_relu()
