"""Recognise the classic mistakes from what a student's function returned (and from its source).

Each detector looks for one mistake and returns a `Hint` (what it is, what to do, and the mistake's
stable id from `DIAGNOSES`) or None. They are small and independent, so each is testable alone.
The `<exercise>_mistakes` functions try the ones that fit an exercise, most specific first, and
end with the exercise's general advice (a hint without an id), so a failed check always carries a
hint.

    catalogue      DIAGNOSES (id → label for instructors), Hint, qualify
    common         comparisons, axes in words, the mistakes any exercise can make
    elementwise    relu, relu_derivative
    probabilities  softmax, cross_entropy
    init           init_params
    network        forward, update
    backprop       backprop
    training       the MNIST check: what can have caused a failure
    exceptions     what an exception from the student's code means for the exercise
    source         what the submission's source adds to a hint (a global, a clip, a redefinition)

Arrays are in the assignment's notation (`reference.notation.Notation`); variants of the reference
math are computed with samples as rows and converted back, exactly like the reference does.
"""

from grader.checks.diagnose.backprop import backprop_mistakes, backprop_variants, \
    missing_bias_gradients, missing_one_over_m
from grader.checks.diagnose.catalogue import ANY_EXERCISE, DIAGNOSES, EXERCISES, SPECIFIC, Hint, advice, \
    qualify
from grader.checks.diagnose.common import first, integer_dtype, missing_keepdims, missing_return, mutated_input, \
    not_a_dict, not_an_array, shape_transposed, transposed, wrong_keys
from grader.checks.diagnose.elementwise import relu_derivative_mistakes, relu_derivative_one_at_zero, \
    relu_mistakes
from grader.checks.diagnose.init import init_all_zeros, init_ignores_sizes, init_not_he_scaled, \
    init_not_seeded, init_other_notation
from grader.checks.diagnose.network import forward_mistakes, forward_pair_swapped, \
    forward_returns_four_arrays, update_missing_biases, update_mistakes, update_sign, \
    update_without_lr
from grader.checks.diagnose.training import diverged, likely_causes, nothing_to_train, too_slow
from grader.checks.diagnose.probabilities import cross_entropy_mistakes, cross_entropy_summed, \
    log_without_clipping, softmax_mistakes, softmax_overflow

__all__ = [
    "ANY_EXERCISE", "DIAGNOSES", "EXERCISES", "SPECIFIC", "Hint", "advice", "backprop_mistakes",
    "backprop_variants", "cross_entropy_mistakes", "cross_entropy_summed", "first",
    "forward_mistakes", "forward_pair_swapped", "forward_returns_four_arrays", "init_all_zeros", "integer_dtype", "init_ignores_sizes",
    "init_not_he_scaled", "init_not_seeded", "init_other_notation", "log_without_clipping",
    "missing_bias_gradients", "missing_keepdims", "missing_one_over_m", "missing_return",
    "mutated_input", "not_a_dict", "not_an_array", "qualify", "relu_derivative_mistakes",
    "relu_derivative_one_at_zero", "relu_mistakes", "shape_transposed", "softmax_mistakes",
    "softmax_overflow", "transposed", "update_missing_biases", "update_mistakes", "update_sign",
    "update_without_lr", "wrong_keys", "diverged", "likely_causes", "nothing_to_train", "too_slow",
]
