# init_params — grader/checks/suites/test_init_params.py: keys_and_shapes, he_scale, seeded.
# Always called with keyword arguments, as the suite does.
def _test_init_params():
    def init(sizes, seed):
        n_input, n_hidden, n_output = sizes
        params = _call(init_params, n_input=n_input, n_hidden=n_hidden, n_output=n_output,
                       seed=seed)
        return _expect_dict_of_arrays(params, {"W1": (n_input, n_hidden), "b1": (1, n_hidden),
                                               "W2": (n_hidden, n_output), "b2": (1, n_output)})

    for sizes in [(784, 128, 10), (784, 10, 10), (20, 7, 3), (5, 3, 2)]:
        init(sizes, seed=0)
    for sizes in [(784, 100, 10), (300, 200, 50)]:
        params = init(sizes, seed=0)
        for name, fan_in in [("W1", sizes[0]), ("W2", sizes[1])]:
            W, target = params[name], np.sqrt(2 / fan_in)
            assert 0.8 <= W.std() / target <= 1.25, f"{name} is not He-scaled"
            assert abs(W.mean()) <= 0.2 * target, f"{name} is not centred on 0"
    for seed in (0, 7):
        sizes = (30, 8, 10)
        first, again = init(sizes, seed), init(sizes, seed)
        other = init(sizes, seed + 1)
        assert all(np.array_equal(first[key], again[key]) for key in _PARAM_NAMES), \
            "two calls with the same seed differ"
        assert not all(np.array_equal(first[key], other[key]) for key in ("W1", "W2")), \
            "another seed gives the same weights"


_test_init_params()
