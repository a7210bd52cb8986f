# softmax — grader/checks/suites/test_softmax.py: shape_and_dtype, values, sums_to_one, large_logits,
# no_mutation.
def _test_softmax():
    def logits(key, m, scale=3.0):
        return _rng(key).normal(0, scale, size=(m, 10))

    for m in (1, 3, 64):
        for dtype in (np.float64, np.float32):
            Z = logits(f"softmax-shape-{m}-{dtype.__name__}", m).astype(dtype)
            _expect_array(_call(softmax, Z), Z.shape)
    for m in (1, 2, 5, 10, 33):
        Z = logits(f"softmax-values-{m}", m)
        _expect_close(_call(softmax, Z), _ref.softmax(Z))
    for m in (3, 10):
        Z = logits(f"softmax-sums-{m}", m)
        got = _expect_array(_call(softmax, Z), Z.shape)
        assert np.allclose(got.sum(axis=1), 1, atol=1e-6), "rows do not sum to 1"
        assert got.min() >= 0 and got.max() <= 1 + 1e-12, "probabilities outside [0, 1]"
    rng = _rng("softmax-large")
    for Z in (rng.choice([-1e3, 1e3], size=(4, 10)) + rng.normal(0, 1, (4, 10)),
              1e3 + rng.normal(0, 1, (3, 10)), -1e3 + rng.normal(0, 1, (3, 10))):
        _expect_close(_call(softmax, Z), _ref.softmax(Z))
    _expect_not_mutated(softmax, logits("softmax-mutation", 4))


_test_softmax()
