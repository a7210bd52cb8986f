"""forward(X, params) → (A2, cache), the forward pass of the network:

    Z1 = X·W1 + b1,  A1 = relu(Z1),  Z2 = A1·W2 + b2,  A2 = softmax(Z2).

With samples as columns: Z1 = W1·X + b1, Z2 = W2·A1 + b2. Shapes (rows / columns):
X (m, 784) / (784, m); Z1, A1 (m, h) / (h, m); Z2, A2 (m, 10) / (10, m).

Graded with the kit's relu and softmax in place of yours, so a mistake in those helpers costs
points in their own exercises only.
"""

from functools import partial

import pytest

from grader.checks import diagnose
from grader.checks.expect import expect_array, expect_close, expect_dict_of_arrays, expect_not_mutated, \
    expect_pair, expect_that
from grader.checks.feedback import show_inputs
from grader.checks.suites import case_labels as labels

#: (m, h): a batch of 1, odd batches, hidden sizes other than the tutorials' 128 and 10.
CASES = [(1, 128), (5, 10), (13, 7), (64, 33)]
CACHE_NAMES = ("Z1", "A1", "Z2", "A2")


def case_id(case):
    return labels.samples_and_hidden(case)


def run_forward(student, notation, forward_substitutes, case):
    """Call the student's forward on `case` and check the pair, A2 and the cache's shapes."""
    m, h = case.X.shape[notation.sample_axis], case.params["b1"].size
    shown = show_inputs(X=case.X, params=case.params)
    A2, cache = expect_pair(student.call("forward", case.X, case.params,
                                         substitutes=forward_substitutes),
                            what="forward(X, params)", names=("A2", "cache"), input=shown,
                            diagnose=partial(diagnose.forward_returns_four_arrays,
                                             notation=notation))
    rows_shapes = {"Z1": (m, h), "A1": (m, h), "Z2": (m, 10), "A2": (m, 10)}
    rows_dims = {"Z1": ("m", "h"), "A1": ("m", "h"), "Z2": ("m", 10), "A2": ("m", 10)}
    swapped = diagnose.forward_pair_swapped(A2, cache)
    expect_that(swapped is None, "forward(X, params) returned (cache, A2).",
                expected="(A2, cache)", got="(a dict, an array)", input=shown, hint=swapped)
    A2 = expect_array(A2, shape=notation.shape((m, 10)), dims=notation.shape(("m", 10)),
                      what="A2 = forward(X, params)[0]", input=shown)
    cache = expect_dict_of_arrays(
        cache, what="cache = forward(X, params)[1]", input=shown,
        shapes={name: notation.shape(shape) for name, shape in rows_shapes.items()},
        dims={name: notation.shape(dims) for name, dims in rows_dims.items()})
    return A2, cache, shown


@pytest.mark.parametrize("sizes", CASES, ids=case_id)
def test_returns_and_shapes(student, notation, network_case, forward_substitutes, sizes):
    """forward returns (A2, cache): A2 (m, 10), cache with Z1, A1 (m, h) and Z2, A2 (m, 10)."""
    run_forward(student, notation, forward_substitutes, network_case(*sizes))


@pytest.mark.parametrize("sizes", CASES, ids=case_id)
def test_output_values(student, notation, ref, network_case, forward_substitutes, sizes):
    """A2 matches the reference's forward pass."""
    case = network_case(*sizes)
    A2, _, shown = run_forward(student, notation, forward_substitutes, case)
    expected = ref.forward(case.X, case.params)[0]
    expect_close(A2, expected, what="A2 = forward(X, params)[0]", input=shown,
                 dims=notation.shape(("m", 10)),
                 diagnose=partial(diagnose.forward_mistakes, name="A2", X=case.X,
                                  params=case.params, expected=expected, notation=notation))


@pytest.mark.parametrize("sizes", CASES, ids=case_id)
def test_cache_values(student, notation, ref, network_case, forward_substitutes, sizes):
    """The cache's Z1, A1, Z2, A2 match the reference's."""
    case = network_case(*sizes)
    _, cache, shown = run_forward(student, notation, forward_substitutes, case)
    expected_cache = ref.forward(case.X, case.params)[1]
    for name in CACHE_NAMES:
        expect_close(cache[name], expected_cache[name], what=f"cache['{name}']", input=shown,
                     diagnose=partial(diagnose.forward_mistakes, name=name, X=case.X,
                                      params=case.params, expected=expected_cache[name],
                                      notation=notation))


def test_no_mutation(student, notation, network_case, forward_substitutes, did_its_work):
    """forward returns (A2, cache) and leaves X and params unchanged."""
    case = network_case(6, 9)
    outcome = student.call_detailed("forward", case.X, case.params,
                                    substitutes=forward_substitutes)
    did_its_work(outcome.value, kind="a pair (A2, cache)", what="forward(X, params)",
                 input=show_inputs(X=case.X, params=case.params))
    expect_not_mutated(outcome, function="forward", arg_names=("X", "params"),
                       input=show_inputs(X=case.X, params=case.params))
