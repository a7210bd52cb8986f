# update — grader/checks/suites/test_update.py: shapes, direction, step, no_mutation.
def _test_update():
    def random_grads(params, rng):
        return {"d" + name: rng.normal(0, 0.1, size=value.shape) for name, value in params.items()}

    def run(params, grads, lr):
        return _expect_dict_of_arrays(_call(update, params, grads, lr),
                                      {name: params[name].shape for name in _PARAM_NAMES})

    for h in (10, 128, 7):
        rng = _rng(f"update-shapes-{h}")
        params = _network_case(rng, 1, h)[3]
        run(params, random_grads(params, rng), 0.1)
    for m, h in [(8, 10), (16, 7)]:
        X, _, Y, params = _network_case(_rng(f"update-direction-{m}-{h}"), m, h)
        A2, cache = _ref.forward(X, params)
        grads = _ref.backprop(X, Y, params, cache)
        new = run(params, grads, 0.01)
        for name in _PARAM_NAMES:
            assert np.sum((new[name] - params[name]) * grads["d" + name]) < 0, \
                f"{name} moved along its gradient"
        assert _ref.cross_entropy(_ref.forward(X, new)[0], Y) < _ref.cross_entropy(A2, Y), \
            "one step raised the loss"
    for lr in (0.01, 0.1, 0.5, 2.0):
        rng = _rng(f"update-step-{lr}")
        params = _network_case(rng, 1, 9)[3]
        grads = random_grads(params, rng)
        new = run(params, grads, lr)
        for name in _PARAM_NAMES:
            _expect_close(new[name], params[name] - lr * grads["d" + name], rtol=1e-6)
    rng = _rng("update-mutation")
    params = _network_case(rng, 1, 6)[3]
    _expect_not_mutated(update, params, random_grads(params, rng), 0.1)


_test_update()
