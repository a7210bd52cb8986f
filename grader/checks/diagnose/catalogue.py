"""Every mistake the kit can name, under a stable id: `DIAGNOSES[id]` is a short label for
instructors ("missing 1/m in backprop"). Reports carry the id of each hint that names a mistake
(`Feedback.diagnosis`, the `diagnosis` key of report.json's feedback), so tools can count them;
general advice carries "".

An id is `<exercise>.<snake_case_name>`. The mistakes of the first table belong to one exercise.
Those of `ANY_EXERCISE` can happen in any of them (returning None, mutating an input, an
exception from a global of a skipped cell, ...): a hint names them by the bare name, and
`qualify` completes it with the exercise of the check that found it.

Ids are kept stable once released: rename a label freely, never an id.
"""

from __future__ import annotations

from dataclasses import dataclass

EXERCISES = ("relu", "relu_derivative", "softmax", "cross_entropy", "init_params", "forward",
             "backprop", "update", "mnist_accuracy")

#: Mistakes of one exercise: id → label.
SPECIFIC = {
    "relu.returns_derivative": "relu returns the 0/1 derivative instead of max(Z, 0)",
    "relu.leaky": "leaky ReLU: a small slope for negative Z instead of 0",
    "relu_derivative.one_at_zero": "ReLU′(0) = 1 (Z >= 0 instead of Z > 0)",
    "relu_derivative.returns_relu": "relu_derivative returns relu(Z) itself",
    "relu_derivative.leaky": "leaky ReLU′: a small slope for negative Z instead of 0",
    "softmax.overflow": "softmax without subtracting the max: exp overflows",
    "softmax.wrong_axis": "softmax normalised over the samples instead of the classes",
    "softmax.sum_over_everything": "softmax divides by the sum over the whole batch",
    "softmax.not_normalised": "softmax returns exp(Z) without dividing by the sum",
    "cross_entropy.sum_not_mean": "loss summed over the batch instead of averaged",
    "cross_entropy.mean_over_classes_too": "loss averaged over the classes too (one tenth)",
    "cross_entropy.divides_by_classes": "loss divided by the number of classes instead of m",
    "cross_entropy.missing_minus": "loss without the minus sign",
    "cross_entropy.log_without_clipping": "log of unclipped probabilities (log 0)",
    "cross_entropy.clip_does_nothing": "np.clip(A, eps, A): a clip whose upper bound is A",
    "cross_entropy.binary_formula": "binary cross-entropy (1 − Y)·log(1 − A) terms added",
    "cross_entropy.per_sample_losses": "returns the per-sample losses, not their mean",
    "cross_entropy.squared_error": "a squared error (A − Y)² instead of the cross-entropy",
    "cross_entropy.returns_gradient": "returns A − Y (the gradient dZ2), not the loss",
    "init_params.all_zeros": "weights initialised to zero",
    "init_params.xavier_scale": "Xavier scale sqrt(1/fan_in) instead of He's sqrt(2/fan_in)",
    "init_params.unscaled_normal": "standard normal weights without a scale",
    "init_params.fixed_small_scale": "weights scaled by a fixed small number (e.g. 0.01)",
    "init_params.uniform_not_centred": "uniform [0, 1) weights: not centred on 0",
    "init_params.uniform_unscaled": "uniform weights (rand − 0.5) not He-scaled",
    "init_params.scaled_by_fan_out": "weights scaled by sqrt(2 / fan_out) instead of fan_in",
    "init_params.glorot_scale": "Glorot's scale from fan_in + fan_out instead of He's",
    "init_params.scale_off": "weights with some other wrong scale",
    "init_params.not_seeded": "the seed is not used: two calls differ",
    "init_params.seed_ignored": "the seed argument is not used: every seed, the same weights",
    "init_params.ignores_sizes": "hard-coded layer sizes instead of the arguments",
    "forward.missing_bias": "forward pass without the biases",
    "forward.missing_relu": "forward pass without the ReLU",
    "forward.returns_four_arrays": "forward returns (Z1, A1, Z2, A2), not (A2, cache)",
    "forward.pair_swapped": "forward returns (cache, A2), not (A2, cache)",
    "forward.other_activation": "sigmoid or tanh in the hidden layer instead of ReLU",
    "forward.sigmoid_output": "a sigmoid output layer instead of softmax",
    "backprop.missing_1_over_m": "missing 1/m in backprop",
    "backprop.divides_by_global_m": "backprop divides by a global m, not the batch's",
    "backprop.divides_by_wrong_size": "gradients divided by the pixels or classes (len(X))",
    "backprop.precedence_y_over_m": "A2 − Y / m: only Y divided by m (operator precedence)",
    "backprop.bias_over_wrong_axis": "bias gradient summed over the wrong axis",
    "backprop.bias_summed_over_everything": "bias gradient np.sum(dZ) over every axis: a number",
    "backprop.missing_bias_gradients": "backprop returns no bias gradients",
    "backprop.missing_relu_mask": "backprop without the ReLU′(Z1) mask",
    "backprop.missing_transpose": "a product in backprop skips a transpose (W2 for W2ᵀ)",
    "backprop.other_activation_derivative": "the sigmoid's derivative A1·(1 − A1) as the mask",
    "backprop.wrong_sign": "gradients of the wrong sign (Y − A2)",
    "update.wrong_sign": "update steps uphill: P + lr·dP",
    "update.without_lr": "update without the learning rate: P − dP",
    "update.ignores_lr": "update uses a fixed learning rate instead of its lr argument",
    "update.biases_not_updated": "update leaves the biases unchanged",
    "mnist_accuracy.diverged": "training diverged to nan/inf",
    "mnist_accuracy.too_slow": "training too slow (Python loops over samples)",
}

#: Mistakes any exercise can make: bare name → label (completed by `qualify`).
ANY_EXERCISE = {
    "missing_return": "returns None: no return statement",
    "not_an_array": "returns a list, tuple or number instead of a NumPy array",
    "not_a_dict": "returns a tuple or list instead of the dict of the contract",
    "wrong_keys": "a dict whose keys are not the contract's",
    "transposed": "a result transposed (a product's factors in the wrong order)",
    "other_notation_shape": "an array shaped for the other notation (rows vs columns)",
    "missing_keepdims": "a length-1 axis lost (sum or max without keepdims=True)",
    "integer_dtype": "returns integers instead of floating-point numbers",
    "mutates_input": "changes its input in place",
    "global_from_skipped_cell": "uses a global set in a cell grading does not run",
    "undefined_name": "uses a name that is defined nowhere (a typo or a missing helper)",
    "unavailable_import": "uses a package grading does not provide (only NumPy)",
    "defined_twice": "the function is defined twice; the last definition is graded",
    "signature_mismatch": "the function's arguments are not the stub's",
    "shapes_do_not_broadcast": "arrays whose shapes cannot be combined element-wise",
    "matmul_shapes": "a matrix product whose inner sizes differ",
    "uses_Y_as_labels": "treats the one-hot Y as a vector of labels",
    "one_hot_from_max_label": "a one-hot built with Y.max() + 1 rows (too few in some batches)",
    "index_out_of_range": "an index past the end of an array",
    "array_truth_value": "an array used as one True/False (if, and, or, max)",
    "wrong_key": "looks up a key the dict does not have",
}

DIAGNOSES: dict[str, str] = {
    **SPECIFIC,
    **{f"{exercise}.{name}": label for exercise in EXERCISES
       for name, label in ANY_EXERCISE.items()},
}


def qualify(diagnosis: str, exercise: str) -> str:
    """The full id of a diagnosis found by a check of `exercise` ("" stays "")."""
    if not diagnosis or "." in diagnosis:
        return diagnosis
    return f"{exercise}.{diagnosis}"


@dataclass(frozen=True)
class Hint:
    """What a student should do (`text`), and the id of the mistake it names ("" for advice).

    `diagnosis` is a full id of SPECIFIC or a bare name of ANY_EXERCISE; anything else is a bug in
    the kit, refused here so that it shows in the kit's tests, not in a class report.
    """

    text: str
    diagnosis: str = ""

    def __post_init__(self):
        if self.diagnosis and self.diagnosis not in SPECIFIC and self.diagnosis not in ANY_EXERCISE:
            raise ValueError(f"unknown diagnosis {self.diagnosis!r}: add it to "
                             "grader/checks/diagnose/catalogue.py")

    def __str__(self) -> str:
        return self.text


def advice(text: str) -> Hint:
    """General advice: a hint that names no particular mistake."""
    return Hint(text)
