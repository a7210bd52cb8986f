# cross_entropy — grader/checks/suites/test_cross_entropy.py: returns_float, values, mean_over_batch,
# zero_probabilities, no_mutation.
def _test_cross_entropy():
    def batch(key, m):
        rng = _rng(key)
        A = _ref.softmax(rng.normal(0, 1, size=(m, 10)))
        return A, _ref.one_hot(rng.integers(0, 10, size=m), dtype=np.float64)

    for m in (1, 5):
        _expect_float(_call(cross_entropy, *batch(f"cross_entropy-float-{m}", m)))
    for m in (1, 3, 8, 50):
        A, Y = batch(f"cross_entropy-values-{m}", m)
        _expect_close_float(_call(cross_entropy, A, Y), _ref.cross_entropy(A, Y), rtol=1e-4)
    for m in (4, 9):
        A, Y = batch(f"cross_entropy-mean-{m}", m)
        once = _expect_float(_call(cross_entropy, A, Y))
        twice = _expect_float(_call(cross_entropy, np.concatenate([A, A]),
                                    np.concatenate([Y, Y])))
        assert np.isclose(twice, once, rtol=1e-6), "the loss is a sum, not a mean"

    A, Y = batch("cross_entropy-zeros", 4)
    rng = _rng("cross_entropy-zeros-where")
    A = A.copy()
    A[Y == 0] = np.where(rng.random(np.count_nonzero(Y == 0)) < 0.3, 0.0, A[Y == 0])
    A /= A.sum(axis=1, keepdims=True)
    _expect_close_float(_call(cross_entropy, A, Y), _ref.cross_entropy(A, Y), rtol=1e-4)
    A[0] = 1 - Y[0]   # the first sample puts probability 0 on its true class
    A[0] /= A[0].sum()
    assert _expect_float(_call(cross_entropy, A, Y)) >= -np.log(1e-4) / 4, "log(0) not clipped"

    A, Y = batch("cross_entropy-mutation", 5)
    _expect_not_mutated(cross_entropy, np.where(Y == 1, 0.0, A), Y)


_test_cross_entropy()
