# forward — grader/checks/suites/test_forward.py: returns_and_shapes, output_values, cache_values,
# no_mutation; run with the reference's relu and softmax in place of the student's.
def _test_forward():
    helpers = {"relu": _ref.relu, "softmax": _ref.softmax}

    def run(X, params):
        m, h = X.shape[0], params["b1"].size
        A2, cache = _expect_pair(_call(forward, X, params, substitutes=helpers))
        _expect_array(A2, (m, 10))
        _expect_dict_of_arrays(cache, {"Z1": (m, h), "A1": (m, h), "Z2": (m, 10), "A2": (m, 10)})
        return A2, cache

    for m, h in [(1, 128), (5, 10), (13, 7), (64, 33)]:
        X, _, _, params = _network_case(_rng(f"forward-shapes-{m}-{h}"), m, h)
        run(X, params)
    for m, h in [(1, 128), (5, 10), (13, 7), (64, 33)]:
        X, _, _, params = _network_case(_rng(f"forward-output-{m}-{h}"), m, h)
        _expect_close(run(X, params)[0], _ref.forward(X, params)[0])
    for m, h in [(1, 128), (5, 10), (13, 7), (64, 33)]:
        X, _, _, params = _network_case(_rng(f"forward-cache-{m}-{h}"), m, h)
        cache, expected = run(X, params)[1], _ref.forward(X, params)[1]
        for name in ("Z1", "A1", "Z2", "A2"):
            _expect_close(cache[name], expected[name])
    X, _, _, params = _network_case(_rng("forward-mutation"), 6, 9)
    _expect_not_mutated(forward, X, params, substitutes=helpers)


_test_forward()
