"""The hidden suites, run on fake students through the real plugin and runner.

A correct submission (the reference itself, and a student-style solution) gets every point in
both notations; each classic mistake (tests/mistakes.py) costs points in its own exercise only,
with a hint that names it; what a broken submission does (raise, hang, return the wrong kind of
thing, lack a function) ends up with the right status. The MNIST check runs on the real data
(marked `mnist`: set MNIST_DIR).
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import reference
from fake_student import FakeMnist, FakeStudent, run_suites
from grader.checks import diagnose, gradient_check, rubric
from grader.assignments import ASSIGNMENTS
from grader.checks.expect import expect_array, expect_float, expect_not_mutated
from grader.checks.feedback import Feedback
from grader.sandbox import CallOutcome
from mistakes import CORRECT_VARIANTS, MISTAKES, SOLUTIONS

SUITES = Path(__file__).resolve().parents[1] / "grader" / "checks" / "suites"
ASSIGNMENT = {"rows": ASSIGNMENTS["mnist_mlp"], "columns": ASSIGNMENTS["mnist_mlp_columns"]}
GRADED = [name for name in rubric.load().exercises() if name != "mnist_accuracy"]
TRAINED = ["init_params", "forward", "backprop", "update"]   # what the MNIST check trains
NOTATIONS = ["rows", "columns"]


def losing(outcomes) -> set[str]:
    """The exercises with at least one case that did not pass."""
    return {outcome.exercise for outcome in outcomes if outcome.status != "passed"}


def of(outcomes, exercise: str) -> list:
    return [outcome for outcome in outcomes if outcome.exercise == exercise]


def student_with(notation: str, old: str, new: str) -> FakeStudent:
    """The correct solution with one piece of text replaced (which must occur exactly once)."""
    source = SOLUTIONS[notation]
    assert source.count(old) == 1, old
    return FakeStudent.from_source(source.replace(old, new))


# ---- correct submissions get every point ----------------------------------------------------

@pytest.mark.parametrize("notation", NOTATIONS)
@pytest.mark.parametrize("who", ["reference", "student_solution"])
def test_a_correct_submission_passes_every_check(notation, who):
    student = (FakeStudent.from_functions(vars(reference.for_notation(notation)))
               if who == "reference" else FakeStudent.from_source(SOLUTIONS[notation]))
    outcomes = run_suites(student, ASSIGNMENT[notation], exercises=GRADED)
    failures = [(o.exercise, o.check, o.case, o.message) for o in outcomes if o.status != "passed"]
    assert failures == []
    ran = {(o.exercise, o.check) for o in outcomes}
    table = rubric.load()
    assert ran == {(exercise, check) for exercise in GRADED for check in table.checks(exercise)}


@pytest.mark.parametrize("variant", CORRECT_VARIANTS, ids=lambda variant: variant.name)
@pytest.mark.parametrize("notation", NOTATIONS)
def test_another_correct_way_of_writing_it_passes_too(notation, variant):
    outcomes = run_suites(FakeStudent.from_source(variant.source(notation)), ASSIGNMENT[notation],
                          exercises=GRADED)
    assert [(o.exercise, o.check, o.case, o.message) for o in outcomes
            if o.status != "passed"] == []


# ---- each classic mistake costs points in its own exercise, with a hint naming it ----------------

@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda mistake: mistake.name)
@pytest.mark.parametrize("notation", NOTATIONS)
def test_a_mistake_costs_points_only_in_its_exercise(notation, mistake):
    student = FakeStudent.from_source(mistake.source(notation))
    outcomes = run_suites(student, ASSIGNMENT[notation], exercises=GRADED)
    assert losing(outcomes) == {mistake.exercise}
    caught = [o for o in of(outcomes, mistake.exercise) if o.status != "passed"]
    assert {o.status for o in caught} == {"failed"}
    for outcome in caught:
        assert mistake.hint in outcome.feedback["hint"], (outcome.check, outcome.feedback)
        assert outcome.feedback["diagnosis"] == mistake.diagnosis, outcome.check
        assert outcome.feedback["expected"] and outcome.feedback["got"]


# ---- what a broken submission does → the right status -------------------------------------------

@pytest.mark.parametrize("notation", NOTATIONS)
def test_a_function_that_raises_is_an_error_in_its_own_exercise_only(notation):
    student = student_with(notation, "def softmax(Z):\n",
                           "def softmax(Z):\n    raise ValueError('no')\n")
    outcomes = run_suites(student, ASSIGNMENT[notation],
                          exercises=["softmax", "forward", "backprop"])
    assert {o.status for o in of(outcomes, "softmax")} == {"error"}
    assert "ValueError" in of(outcomes, "softmax")[0].message
    assert losing(outcomes) == {"softmax"}


def test_a_timeout_is_reported_as_a_timeout():
    student = student_with("rows", "    m = X.shape[0]\n    dZ2",
                           "    from grader.sandbox import StudentTimeout\n"
                           "    raise StudentTimeout('backprop took longer than 5 s')\n    dZ2")
    outcomes = run_suites(student, ASSIGNMENT["rows"], exercises=["backprop", "update"])
    assert {o.status for o in of(outcomes, "backprop")} == {"timeout"}
    assert losing(outcomes) == {"backprop"}


def test_a_missing_function_fails_its_exercise_and_says_so():
    student = student_with("rows", "def update(params, grads, lr):",
                           "def update_params(params, grads, lr):")
    outcomes = run_suites(student, ASSIGNMENT["rows"], exercises=["update", "relu"])
    assert {o.status for o in of(outcomes, "update")} == {"failed"}
    assert "`update` was not found" in of(outcomes, "update")[0].message
    assert losing(outcomes) == {"update"}


def test_a_reply_that_is_not_plain_data_is_an_error():
    student = student_with("rows", "    rng = np.random.default_rng(seed)\n    return {",
                           "    return object()\n    return {")
    outcomes = run_suites(student, ASSIGNMENT["rows"], exercises=["init_params"])
    assert {o.status for o in outcomes} == {"error"}


@pytest.mark.parametrize("old, new, check, phrase", [
    ("    return np.maximum(Z, 0)", "    np.maximum(Z, 0)", "shape_and_dtype", "return"),
    ("    return np.maximum(Z, 0)", "    return np.maximum(Z, 0).astype(int)", "shape_and_dtype",
     "dtype"),
    ("    return np.maximum(Z, 0)", "    return np.maximum(Z, 0).tolist()", "values",
     "NumPy array"),
], ids=["none", "integer_dtype", "list"])
def test_the_wrong_kind_of_result_is_a_failure_that_says_what_was_expected(old, new, check, phrase):
    outcomes = run_suites(student_with("rows", old, new), ASSIGNMENT["rows"], exercises=["relu"])
    failed = [o for o in outcomes if o.check == check]
    assert failed and {o.status for o in failed} == {"failed"}
    feedback = failed[0].feedback
    assert phrase in feedback["summary"] + feedback["hint"] + feedback["expected"]


def test_per_sample_losses_are_not_one_number():
    student = student_with("rows",
                           "    return float(-np.sum(Y * np.log(np.clip(A, 1e-12, 1.0))) / m)",
                           "    return -np.sum(Y * np.log(np.clip(A, 1e-12, 1.0)), axis=1)")
    outcomes = run_suites(student, ASSIGNMENT["rows"], exercises=["cross_entropy", "backprop"])
    five_samples = next(o for o in outcomes if o.check == "returns_float" and o.case == "a batch of 5")
    assert five_samples.status == "failed"   # (one sample's loss alone is accepted as a number)
    assert "one number" in five_samples.feedback["summary"]
    assert losing(outcomes) == {"cross_entropy"}   # backprop's own-loss check falls back


@pytest.mark.parametrize("notation", NOTATIONS)
def test_a_broken_forward_does_not_cost_backprop_points(notation):
    student = student_with(notation, '    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}',
                           "    return A2")
    outcomes = run_suites(student, ASSIGNMENT[notation], exercises=["forward", "backprop"])
    shapes = [o for o in of(outcomes, "forward") if o.check == "returns_and_shapes"]
    assert {o.status for o in shapes} == {"failed"}
    assert "two values" in shapes[0].feedback["summary"]
    assert losing(outcomes) == {"forward"}


# ---- the MNIST check -----------------------------------------------------------------------------

def test_missing_mnist_is_an_error_that_says_how_to_get_it():
    how = "MNIST was not found: set MNIST_DIR to the folder holding the four .gz files"
    outcomes = run_suites(FakeStudent.from_source(SOLUTIONS["rows"]), ASSIGNMENT["rows"],
                          mnist=FakeMnist(error=how), exercises=["mnist_accuracy"])
    assert {o.check for o in outcomes} == {"learns", "accuracy"}
    assert {o.status for o in outcomes} == {"error"}
    assert all(how in o.message for o in outcomes)


@pytest.fixture(scope="module")
def mnist_data(mnist_dir):
    from studentkit.mnist import load_mnist
    return {notation: FakeMnist(train=load_mnist("train", notation, data_dir=mnist_dir),
                                test=load_mnist("test", notation, data_dir=mnist_dir), error=None)
            for notation in NOTATIONS}


def mnist_suite():
    """The MNIST suite module itself, for its recipe table and training loop."""
    spec = importlib.util.spec_from_file_location("mnist_suite", SUITES / "test_mnist_accuracy.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


class RecordingStudent(FakeStudent):
    """The reference's functions, noting every array each call is given."""

    def __init__(self, namespace):
        super().__init__(namespace)
        self.seen: list[bytes] = []

    def call_detailed(self, name, *args, substitutes=None, **kwargs):
        self.seen += [np.asarray(value).tobytes() for value in _arrays_in((args, kwargs))]
        return super().call_detailed(name, *args, substitutes=substitutes, **kwargs)


def _arrays_in(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _arrays_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _arrays_in(item)


def test_every_run_of_the_suites_gives_the_functions_the_same_random_inputs():
    """The suites' generators are made once per process and set back to their seeded state for
    each run (conftest.rng): the second submission graded gets the very inputs the first got."""
    runs = []
    for _ in range(2):
        student = RecordingStudent(dict(vars(reference.for_notation("rows"))))
        run_suites(student, ASSIGNMENT["rows"], exercises=GRADED)
        runs.append(student.seen)
    assert len(runs[0]) > 100 and runs[0] == runs[1]


def test_a_network_case_drawn_again_is_a_fresh_copy_and_leaves_the_generator_where_drawing_would():
    spec = importlib.util.spec_from_file_location("suites_conftest", SUITES / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = conftest   # dataclasses look their module up while being created
    spec.loader.exec_module(conftest)
    make_case = conftest.network_case.__wrapped__
    notation = reference.notation.get_notation("columns")
    drawn, again = (np.random.default_rng(7) for _ in range(2))
    first = make_case(notation, drawn)(4, 6)
    first.params["W1"][:] = 0                        # what a check does to its own case
    second = make_case(notation, again)(4, 6)
    assert not np.any(second.params["W1"] == 0) and second.params["W1"].flags.f_contiguous
    assert drawn.random() == again.random()          # both generators moved on alike
    fresh = np.random.default_rng(7)
    assert np.array_equal(second.labels, fresh.integers(0, 10, size=4))


def test_the_grader_loads_exactly_the_training_images_the_recipes_train_on():
    from grader.checks import mnist_files
    assert max(recipe.images for recipe in mnist_suite().RECIPES.values()) == \
        mnist_files.TRAIN_USED


class TrainingCounted(FakeStudent):
    """A FakeStudent that counts the trainings it is asked to run in its worker."""

    trained = 0

    def train(self, *args, **kwargs):
        self.trained += 1
        return super().train(*args, **kwargs)


@pytest.mark.mnist
@pytest.mark.parametrize("failed, in_worker", [
    ({"forward", "backprop", "update"}, 0),    # only init_params is the student's: trained here
    ({"backprop", "update"}, 1),               # the student's forward runs at every step
    (set(), 1),
])
def test_training_runs_in_the_worker_only_when_a_function_of_the_loop_is_the_students(
        mnist_data, failed, in_worker):
    """With forward, backprop and update all the reference's, the worker would only ask this
    side for every call: the loop runs here, to the same accuracy."""
    suite = mnist_suite()
    api = reference.for_notation("rows")
    student = TrainingCounted.from_functions(vars(api))
    trainer = suite.Trainer(student, ASSIGNMENT["rows"], api.notation, api, mnist_data["rows"],
                            ({}, {}))
    training = trainer.train(failed)
    assert student.trained == in_worker
    assert training.stopped_by is None
    assert training.accuracy == pytest.approx(suite.RECIPES[128].reference, abs=0.003)


@pytest.mark.mnist
def test_a_recipe_that_needs_more_training_images_than_are_loaded_is_a_kit_error(mnist_data):
    suite = mnist_suite()
    api = reference.for_notation("rows")
    hidden = ASSIGNMENT["rows"].hidden
    greedy = {hidden: suite.Recipe(images=len(mnist_data["rows"].train[1]) + 1, batch_size=200,
                                   lr_start=0.5, lr_end=0.05, passing=0.86, reference=0.89)}
    trainer = suite.Trainer(FakeStudent.from_functions(vars(api)), ASSIGNMENT["rows"],
                            api.notation, api, mnist_data["rows"], ({}, {}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(suite, "RECIPES", greedy)
        with pytest.raises(RuntimeError, match="TRAIN_USED"):
            trainer.train(set())


@pytest.mark.mnist
@pytest.mark.parametrize("notation", NOTATIONS)
def test_the_reference_reaches_the_documented_accuracy(notation, mnist_data):
    suite, api = mnist_suite(), reference.for_notation(notation)
    hidden = ASSIGNMENT[notation].hidden
    network = suite.Network(FakeStudent.from_functions(vars(api)), api, api.notation, (),
                            {"relu": "relu", "softmax": f"softmax_{notation}"},
                            {"relu_derivative": "relu_derivative"})
    params = suite.train(network, api.notation, mnist_data[notation].train,
                         suite.RECIPES[hidden], hidden)
    accuracy = api.accuracy(*mnist_data[notation].test, params)
    assert accuracy == pytest.approx(suite.RECIPES[hidden].reference, abs=0.003)
    assert accuracy >= suite.RECIPES[hidden].passing + 0.01


@pytest.mark.mnist
@pytest.mark.parametrize("notation", NOTATIONS)
def test_test_accuracy_is_the_same_measured_in_one_thread_or_two(notation, mnist_data):
    suite, api = mnist_suite(), reference.for_notation(notation)
    X_test, labels = mnist_data[notation].test
    params = api.init_params(n_hidden=ASSIGNMENT[notation].hidden, seed=5, dtype=np.float64)
    one, two = (suite.accuracy_on_test_images(api, api.notation, X_test, labels, params, threads)
                for threads in (1, 2))
    assert one == two == api.accuracy(X_test.astype(np.float64), labels, params)
    assert 0 < one < 1


@pytest.mark.mnist
@pytest.mark.parametrize("notation", NOTATIONS)
def test_a_correct_submission_passes_the_mnist_checks(notation, mnist_data):
    outcomes = run_suites(FakeStudent.from_source(SOLUTIONS[notation]), ASSIGNMENT[notation],
                          mnist=mnist_data[notation], exercises=["mnist_accuracy"])
    assert [(o.check, o.status) for o in outcomes] == [("learns", "passed"),
                                                       ("accuracy", "passed")]


@pytest.mark.mnist
@pytest.mark.parametrize("mistake", ["init_xavier_scale", "backprop_missing_1_over_m",
                                     "update_in_place"])
def test_a_mistake_is_charged_once_not_again_by_the_mnist_check(mnist_data, mistake):
    """The function that lost points in its own exercise is replaced by the kit's for training."""
    mistake = next(m for m in MISTAKES if m.name == mistake)
    outcomes = run_suites(FakeStudent.from_source(mistake.source("rows")), ASSIGNMENT["rows"],
                          mnist=mnist_data["rows"], exercises=[*TRAINED, "mnist_accuracy"])
    assert losing(outcomes) == {mistake.exercise}


@pytest.mark.mnist
def test_a_failed_mnist_check_names_only_the_functions_it_trained(mnist_data):
    """A backprop right on small batches and wrong on the training's (contrived: no gradient
    beyond 64 samples) passes its own checks and fails here; the hint names the functions that
    were trained, and says which were the kit's."""
    source = SOLUTIONS["rows"].replace(
        "    m = X.shape[0]\n    dZ2", "    m = X.shape[0]\n    Y = cache['A2'] if m > 64 else Y\n    dZ2")
    source = source.replace("params[key] - lr * grads", "params[key] + lr * grads")
    outcomes = run_suites(FakeStudent.from_source(source), ASSIGNMENT["rows"],
                          mnist=mnist_data["rows"], exercises=[*TRAINED, "mnist_accuracy"])
    assert losing(outcomes) == {"update", "mnist_accuracy"}
    for outcome in of(outcomes, "mnist_accuracy"):
        hint = outcome.feedback["hint"]
        assert "Your init_params, forward and backprop pass their own checks" in hint
        assert "the kit's update in place of yours" in hint


# ---- the rubric and the suites agree -------------------------------------------------------------

def suite_checks() -> set[tuple[str, str]]:
    """(exercise, check) for every test function of every suite file."""
    found = set()
    for path in SUITES.glob("test_*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                found.add((path.stem.removeprefix("test_"), node.name.removeprefix("test_")))
    return found


def test_every_check_has_points_and_every_rubric_line_a_test():
    table = rubric.load()
    in_rubric = {(exercise, check) for exercise in table.exercises()
                 for check in table.checks(exercise)}
    assert suite_checks() == in_rubric


def test_the_rubric_totals_100_with_18_for_mnist():
    table = rubric.load()
    assert table.max_score() == 100
    assert table.exercise_points("mnist_accuracy") == 18


def test_a_malformed_rubric_is_refused_with_where(tmp_path):
    path = tmp_path / "rubric.toml"
    path.write_text("[softmax]\nvalues = -1\n")
    with pytest.raises(rubric.RubricError, match=r"\[softmax\] values"):
        rubric.load(path)


# ---- the helpers, alone ----------------------------------------------------------------------

def test_numeric_gradient_approximates_the_derivative():
    x = np.random.default_rng(0).normal(size=(3, 4))
    numeric = gradient_check.numeric_gradient(lambda v: float(np.sum(v ** 3)), x)
    assert np.allclose(numeric, 3 * x ** 2, rtol=1e-8)
    indices, partials = gradient_check.sparse_numeric_gradient(
        lambda v: float(np.sum(v ** 3)), x, 5, np.random.default_rng(1))
    assert len(indices) == 5 and np.allclose(partials, [3 * x[i] ** 2 for i in indices])
    with pytest.raises(TypeError, match="float64"):
        gradient_check.numeric_gradient(lambda v: 0.0, x.astype(np.float32))


def test_a_trusted_losss_partials_are_computed_once_and_leave_the_generator_as_drawing_does():
    x = np.random.default_rng(0).normal(size=(6, 5))
    calls = []

    def cube_sum(v):
        calls.append(1)
        return float(np.sum(v ** 3))
    trusted = gradient_check.TrustedLoss(cube_sum, key=("cube sum", "test"))
    plain_rng, first_rng, again_rng = (np.random.default_rng(7) for _ in range(3))
    expected = gradient_check.sparse_numeric_gradient(cube_sum, x, 4, plain_rng)
    per_computation = len(calls)                   # two evaluations a sampled coordinate
    first = gradient_check.sparse_numeric_gradient(trusted, x, 4, first_rng)
    computed = len(calls)
    assert computed == 2 * per_computation
    again = gradient_check.sparse_numeric_gradient(trusted, x, 4, again_rng)
    assert len(calls) == computed                  # remembered: no call of the loss again
    for indices, partials in (first, again):
        assert indices == expected[0]
        np.testing.assert_array_equal(partials, expected[1])
    draws = [rng.random(3) for rng in (plain_rng, first_rng, again_rng)]
    np.testing.assert_array_equal(draws[0], draws[1])
    np.testing.assert_array_equal(draws[0], draws[2])
    # Other inputs, another generator state or another key are computed afresh.
    gradient_check.sparse_numeric_gradient(trusted, x + 1, 4, np.random.default_rng(7))
    gradient_check.sparse_numeric_gradient(trusted, x, 4, np.random.default_rng(8))
    gradient_check.sparse_numeric_gradient(
        gradient_check.TrustedLoss(cube_sum, key=("another",)), x, 4, np.random.default_rng(7))
    assert len(calls) == computed + 3 * per_computation


def test_relative_error_has_a_floor_and_the_comparison_names_the_worst_coordinate():
    near_zero = gradient_check.relative_error(np.array([0.0]), np.array([1e-12]), floor=1e-8)
    assert near_zero[0] == pytest.approx(1e-4)
    assert gradient_check.relative_error(np.array([1.0]), np.array([3.0]))[0] == 0.5
    analytic = np.array([[1.0, 2.0], [3.0, 4.0]])
    comparison = gradient_check.compare(analytic, [(0, 1), (1, 0)], np.array([2.0, 6.0]))
    assert comparison.worst_index == (1, 0) and comparison.max_error == pytest.approx(1 / 3)
    assert "[1, 0]" in comparison.describe() and not comparison.passes(1e-4)


@pytest.mark.parametrize("hint, mistaken, correct", [
    (diagnose.missing_one_over_m, (np.full((2, 3), 4.0), np.ones((2, 3)), 4),
     (np.ones((2, 3)), np.ones((2, 3)), 4)),
    (diagnose.transposed, (np.arange(6.0).reshape(2, 3).T, np.arange(6.0).reshape(2, 3)),
     (np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3))),
    (diagnose.relu_derivative_one_at_zero, (np.array([0.0, 1.0]), np.array([1.0, 1.0])),
     (np.array([0.0, 1.0]), np.array([0.0, 1.0]))),
    (diagnose.cross_entropy_summed, (6.0, 2.0, 3), (2.0, 2.0, 3)),
    (diagnose.log_without_clipping, (np.inf,), (2.3,)),
    (diagnose.update_sign, (np.array([1.5]), np.array([1.0]), np.array([5.0]), 0.1),
     (np.array([0.5]), np.array([1.0]), np.array([5.0]), 0.1)),
    (diagnose.init_all_zeros, (np.zeros((3, 2)), "W1"), (np.ones((3, 2)), "W1")),
    (diagnose.init_not_seeded, (True, False), (False, False)),
    (diagnose.softmax_overflow, (np.array([[1e3, -1e3]]), np.array([[np.nan, 0.0]])),
     (np.array([[1e3, -1e3]]), np.array([[1.0, 0.0]]))),
])
def test_each_mistake_detector_fires_on_its_mistake_only(hint, mistaken, correct):
    found = hint(*mistaken)
    assert isinstance(found, diagnose.Hint) and found.text and found.diagnosis
    assert hint(*correct) is None


def test_init_scale_hint_recognises_xavier():
    W = np.random.default_rng(0).normal(0, np.sqrt(1 / 784), size=(784, 64))
    assert "Xavier" in diagnose.init_not_he_scaled(W, 784, "W1").text
    assert diagnose.init_not_he_scaled(W * np.sqrt(2), 784, "W1") is None


def test_expect_helpers_explain_what_came_back():
    with pytest.raises(Feedback) as none:
        expect_array(None, shape=(10, 3), dims=(10, "m"), what="softmax(Z)")
    assert "return" in none.value.hint and "(10, m) = (10, 3)" in none.value.summary
    with pytest.raises(Feedback) as wrong_shape:
        expect_array(np.zeros((3, 10)), shape=(10, 3), what="softmax(Z)")
    assert "transposed" in wrong_shape.value.hint
    assert set(wrong_shape.value.as_dict()) == {"summary", "expected", "got", "input", "hint",
                                                "diagnosis"}
    assert wrong_shape.value.diagnosis == "transposed"   # completed with the exercise by classify
    assert expect_float(np.float32(2.5), what="loss") == 2.5
    assert expect_float(np.array(1.5), what="loss") == 1.5
    with pytest.raises(Feedback, match="one number"):
        expect_float(np.ones(4), what="loss")
    with pytest.raises(Feedback) as mutated:
        expect_not_mutated(CallOutcome(None, ["args[0]['W1']"], 0.0, ""), function="update",
                           arg_names=("params", "grads", "lr"))
    assert "params['W1']" in mutated.value.summary
