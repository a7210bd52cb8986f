# mnist_accuracy — grader/checks/suites/test_mnist_accuracy.py: learns (>= 50 %) and accuracy (>= 86 %)
# with hidden 128. The same recipe: the student's init_params(seed=0), one epoch over the first
# 12 000 training images shuffled with seed 0, batches of 200, lr 0.5 decaying linearly to 0.05,
# forward with the reference's relu and softmax, backprop with the reference's relu_derivative,
# parameters validated after every update, a 20 s budget, test accuracy measured with the
# reference's forward pass. MNIST is read with the kit's loader from $MNIST_DIR, as grade does.
def _test_mnist_accuracy():
    import time

    from studentkit.mnist import load_mnist

    images, batch_size, lr_start, lr_end, passing, budget = 12_000, 200, 0.5, 0.05, 0.86, 20.0
    forward_kit = {"relu": _ref.relu, "softmax": _ref.softmax}
    backprop_kit = {"relu_derivative": _ref.relu_derivative}
    shapes = {"W1": (784, 128), "b1": (1, 128), "W2": (128, 10), "b2": (1, 10)}

    def valid(params):
        _expect_dict_of_arrays(params, shapes, finite=False)
        assert all(np.all(np.isfinite(params[name])) for name in _PARAM_NAMES), "training diverged"
        return params

    X_all, labels_all = load_mnist("train", "rows")
    X_test, labels_test = load_mnist("test", "rows")
    params = valid(_call(init_params, n_input=784, n_hidden=128, n_output=10, seed=0))
    dtype = params["W1"].dtype
    order = np.random.default_rng(0).permutation(images)
    X = X_all[order].astype(dtype)
    Y = _ref.one_hot(labels_all[order], dtype=dtype)
    starts = range(0, images, batch_size)
    started = time.perf_counter()
    for step, start in enumerate(starts):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        A2, cache = _expect_pair(_call(forward, Xb, params, substitutes=forward_kit))
        grads = _call(backprop, Xb, Yb, params, cache, substitutes=backprop_kit)
        lr = lr_start + (lr_end - lr_start) * step / max(1, len(starts) - 1)
        params = valid(_call(update, params, grads, lr))
        assert time.perf_counter() - started <= budget, "training took longer than 20 s"
    accuracy = _ref.accuracy(X_test, labels_test, params)
    assert accuracy >= 0.50, f"test accuracy {accuracy:.2%}: the network does not learn"
    assert accuracy >= passing, f"test accuracy {accuracy:.2%} < {passing:.0%}"


_test_mnist_accuracy()
