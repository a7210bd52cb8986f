# backprop — grader/checks/suites/test_backprop.py: shapes, values, gradient_check_own_loss,
# gradient_check_reference_loss, no_mutation; run with the reference's relu_derivative in place
# of the student's and the reference's cache. The gradient checks are grader/checks/gradient_check.py's:
# centered differences (h = 1e-5, float64) at sampled coordinates, relative error with a floor.
def _test_backprop():
    kit = {"relu_derivative": _ref.relu_derivative}
    forward_kit = {"relu": _ref.relu, "softmax": _ref.softmax}
    tolerance, floor, step, kink_margin = 1e-4, 1e-5, 1e-5, 1e-3

    def run(X, Y, params):
        cache = _ref.forward(X, params)[1]
        grads = _call(backprop, X, Y, params, cache, substitutes=kit)
        _expect_dict_of_arrays(grads, {"d" + name: params[name].shape for name in _PARAM_NAMES})
        return grads, _ref.backprop(X, Y, params, cache)

    for m, h in [(1, 16), (6, 10), (9, 128), (33, 7)]:
        X, _, Y, params = _network_case(_rng(f"backprop-shapes-{m}-{h}"), m, h)
        run(X, Y, params)
    for m, h in [(1, 16), (6, 10), (9, 128), (33, 7)]:
        X, _, Y, params = _network_case(_rng(f"backprop-values-{m}-{h}"), m, h)
        grads, expected = run(X, Y, params)
        for name in ("dW2", "db2", "dW1", "db1"):
            _expect_close(grads[name], expected[name])

    def kink_free_case(rng, m, h):
        for _ in range(100):
            X, _, Y, params = _network_case(rng, m, h)
            if np.abs(_ref.forward(X, params)[1]["Z1"]).min() > kink_margin:
                return X, Y, params
        raise RuntimeError(f"no kink-free inputs for m={m}, h={h} in 100 draws")

    class OwnLossUnusable(Exception):
        pass

    def own_loss(X, Y):
        def loss(params):
            try:
                A2 = _call(forward, X, params, substitutes=forward_kit)[0]
            except Exception:
                raise OwnLossUnusable("forward failed") from None
            if not isinstance(A2, np.ndarray) or A2.dtype != np.float64:
                raise OwnLossUnusable("forward does not return float64")
            try:
                return _expect_float(_call(cross_entropy, A2, Y))
            except Exception:
                raise OwnLossUnusable("cross_entropy failed") from None
        return loss

    def own_loss_disagrees(X, Y, params):
        expected_A2 = _ref.forward(X, params)[0]
        try:
            A2 = _call(forward, X, params, substitutes=forward_kit)[0]
            if not isinstance(A2, np.ndarray) or A2.dtype != np.float64:
                return True
            if A2.shape != expected_A2.shape or not np.allclose(A2, expected_A2, rtol=1e-7,
                                                                atol=1e-12):
                return True
            own = _expect_float(_call(cross_entropy, expected_A2, Y))
            return not np.isclose(own, _ref.cross_entropy(expected_A2, Y), rtol=1e-7)
        except Exception:
            return True

    def check_gradients(X, Y, params, rng, loss, n_samples):
        grads = run(X, Y, params)[0]
        for name in _PARAM_NAMES:
            value = np.asarray(params[name], dtype=np.float64)
            n = min(n_samples, value.size)
            flat = np.sort(rng.choice(value.size, size=n, replace=False))
            indices = [tuple(int(i) for i in np.unravel_index(k, value.shape)) for k in flat]
            numeric = np.empty(n)
            for k, index in enumerate(indices):
                plus, minus = value.copy(), value.copy()
                plus[index] += step
                minus[index] -= step
                numeric[k] = (loss(dict(params, **{name: plus}))
                              - loss(dict(params, **{name: minus}))) / (2 * step)
            analytic = np.array([grads["d" + name][index] for index in indices], dtype=np.float64)
            error = (np.abs(analytic - numeric)
                     / np.maximum(floor, np.abs(analytic) + np.abs(numeric)))
            assert error.max() <= tolerance, f"d{name} fails the gradient check ({error.max():.2e})"

    def reference_loss(X, Y):
        return lambda params: _ref.cross_entropy(_ref.forward(X, params)[0], Y)

    for m, h in [(4, 6), (7, 16)]:   # gradient_check_own_loss
        rng = _rng(f"backprop-own-{m}-{h}")
        X, Y, params = kink_free_case(rng, m, h)
        loss = own_loss(X, Y)
        usable = not own_loss_disagrees(X, Y, params)
        if usable:
            try:
                check_gradients(X, Y, params, rng, loss, 4)
            except OwnLossUnusable:
                usable = False
        if not usable:
            check_gradients(X, Y, params, rng, reference_loss(X, Y), 4)
    for m, h in [(4, 6), (7, 16)]:   # gradient_check_reference_loss
        rng = _rng(f"backprop-reference-{m}-{h}")
        X, Y, params = kink_free_case(rng, m, h)
        check_gradients(X, Y, params, rng, reference_loss(X, Y), 30)

    X, _, Y, params = _network_case(_rng("backprop-mutation"), 5, 9)
    _expect_not_mutated(backprop, X, Y, params, _ref.forward(X, params)[1], substitutes=kit)


_test_backprop()
