"""What an exception from the student's code means for the exercise, in their words.

A raw `NameError: name 'm' is not defined` or `operands could not be broadcast together with
shapes (10,1) (9,1)` says what Python saw, not what to change. Each `explain_*` below reads one
kind of exception — with the traceback of the student's own frames and what the extract step
learnt of their source (`grader.extract.Extraction`: which names only skipped lines set, where
each function is defined) — and returns a Hint, or None when it cannot say more than Python did.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from grader.checks.diagnose.catalogue import Hint
from reference.notation import Notation

#: How the notebook's stubs define the graded functions: how the grader calls them.
STUB_SIGNATURES = {
    "relu": "relu(Z)", "relu_derivative": "relu_derivative(Z)", "softmax": "softmax(Z)",
    "cross_entropy": "cross_entropy(A, Y)",
    "init_params": "init_params(n_input, n_hidden, n_output, seed)",
    "forward": "forward(X, params)", "backprop": "backprop(X, Y, params, cache)",
    "update": "update(params, grads, lr)",
}
#: Globals tutorials read inside their functions, and where the value really comes from.
BATCH_SIZE_NAMES = {"m", "M", "m_train", "n_samples", "num_samples", "batch_size", "m_batch",
                    "N", "n_train", "num_examples"}
LEARNING_RATE_NAMES = {"alpha", "lr", "learning_rate", "eta", "LEARNING_RATE", "ALPHA", "LR"}
PARAMETER_NAMES = {"W1", "b1", "W2", "b2", "w1", "w2"}
CACHE_NAMES = {"Z1", "A1", "Z2", "A2", "z1", "a1", "z2", "a2"}
#: `Y.max() + 1`, `np.max(Y) + 1`, `max(Y) + 1`: as many classes as the largest label in the batch.
MAX_PLUS_ONE = re.compile(r"max\([^()]*\)\s*\+\s*1")

_FRAME = re.compile(r'File "<cell (\d+)>", line (\d+), in (\S+)\n(?:    (.*)\n)?')
_SHAPE = re.compile(r"\(([\d,\s]*)\)")


@dataclass(frozen=True)
class Frame:
    """One of the student's frames: `<cell N>` is notebook cell N, counted from 1."""

    cell: int
    line: int
    function: str
    code: str


@dataclass(frozen=True)
class Raised:
    """An exception from the student's code, and what is known around it."""

    exc_type: str
    message: str
    frames: list[Frame]
    exercise: str
    notation: Notation
    facts: object | None = None    # grader.extract.Extraction, when the source is known

    @property
    def function(self) -> str:
        """The student's function that raised (the innermost frame that is not a comprehension
        or a lambda), else the exercise's."""
        named = [frame.function for frame in self.frames if not frame.function.startswith("<")]
        return named[-1] if named else self.exercise

    @property
    def at(self) -> str:
        if not self.frames:
            return ""
        frame = self.frames[-1]
        return f" In {self.function}, code cell {frame.cell}, line {frame.line}: `{frame.code}`."

    def source(self) -> str:
        """The source of every function the submission defines."""
        if self.facts is None:
            return ""
        return "\n".join(d.source for ds in self.facts.defined_at.values() for d in ds)

    def code(self) -> str:
        return self.frames[-1].code if self.frames else ""


def frames_of(traceback: str) -> list[Frame]:
    return [Frame(int(cell), int(line), function, (code or "").strip())
            for cell, line, function, code in _FRAME.findall(traceback or "")]


def explain_exception(exc_type: str, message: str, traceback: str, *, exercise: str,
                      notation: Notation, facts=None) -> Hint | None:
    """A Hint for what the student's code raised, or None when there is nothing to add."""
    raised = Raised(exc_type, message, frames_of(traceback), exercise, notation, facts)
    explainers = {"NameError": [explain_name_error],
                  "TypeError": [explain_signature, explain_float_labels],
                  "ValueError": [explain_broadcast, explain_matmul, explain_truth_value],
                  "IndexError": [explain_index_error], "KeyError": [explain_key_error]}
    for explain in explainers.get(exc_type, []):
        hint = explain(raised)
        if hint is not None:
            return hint
    return None


# ---- NameError ------------------------------------------------------------------------------------

def explain_name_error(raised: Raised) -> Hint | None:
    match = re.match(r"name '(\w+)' is not defined", raised.message)
    if not match:
        return None
    name, facts = match.group(1), raised.facts
    imported = unavailable_import(name, raised)
    if imported is not None:
        return imported
    if facts is not None and name in facts.unrun_names:
        skipped = facts.unrun_names[name]
        statement, _, reason = skipped.summary.rpartition(" (")
        return Hint(f"{raised.function} uses the global `{name}`, which only {skipped.where} "
                    f"sets: {statement or skipped.summary}. Grading runs your definitions, imports "
                    f"and constants, not that line{why_not_run(reason.rstrip(')'))}, so `{name}` "
                    f"does not exist when {raised.function} is graded. "
                    + where_it_comes_from(name, raised), "global_from_skipped_cell")
    suggestion = did_you_mean(name, facts)
    return Hint(f"{raised.function} uses `{name}`, which nothing in your graded code defines."
                f"{raised.at}" + (suggestion or " " + where_it_comes_from(name, raised)),
                "undefined_name")


def unavailable_import(name: str, raised: Raised) -> Hint | None:
    """The name comes from an import that grading leaves out (plotting, the self-checks) or that
    fails where the functions run (any package but NumPy and the standard library)."""
    facts = raised.facts
    if facts is None:
        return None
    imports = [d for d in facts.defined_at.get(name, []) if d.kind == "import"]
    skipped = facts.unrun_names.get(name)
    if imports:
        where, text = imports[-1].where, imports[-1].text
    elif skipped is not None and skipped.summary.startswith(("`import ", "`from ")):
        where, text = skipped.where, skipped.summary.rpartition(" (")[0].strip("`")
    else:
        return None
    return Hint(f"{raised.function} uses `{name}`, from `{text}` ({where}).{raised.at} That "
                "import is not there when grading: your functions run with NumPy and Python's "
                "standard library only, without plotting or the notebook's self-checks. Write it "
                "with NumPy inside the function.", "unavailable_import")


def why_not_run(reason: str) -> str:
    """The extract step's reason for skipping a line, in a student's words (" (it ...)")."""
    needs = re.match(r"uses `(\w+)`", reason)
    if needs:
        return f" (it needs `{needs.group(1)}`, which is not set when grading either)"
    calls = re.match(r"an assignment that calls `([\w.]+)`", reason)
    if calls:
        return f" (it calls {calls.group(1)}, which loads or computes data)"
    return f" ({reason})" if reason else ""


def where_it_comes_from(name: str, raised: Raised) -> str:
    """Where the value a global stood for really comes from, inside the function."""
    if name in BATCH_SIZE_NAMES:
        argument = "Y" if raised.function == "cross_entropy" else "X"
        return (f"Compute it from the function's own arguments: {name} = "
                f"{argument}.shape[{raised.notation.sample_axis}], the number of samples of the "
                f"batch it is given. A global {name} would also be wrong for any other batch "
                "size.")
    if name in LEARNING_RATE_NAMES:
        return "Use the function's own argument lr: whoever calls update passes the learning rate."
    if name in PARAMETER_NAMES:
        return f"Read it from the params argument: params['{name.upper()[0]}{name[1:]}']."
    if name in CACHE_NAMES:
        return (f"Read it from the cache argument, cache['{name.upper()}']: backprop receives "
                "what forward computed.")
    if re.match(r"(?i)^(x|y|data|labels|images)(_?(train|dev|test|batch|all))?$", name):
        return ("Use the arrays passed in as arguments (X, Y): the function must work on whatever "
                "batch it is given, not on the data set loaded in the notebook.")
    return ("Pass it in through the function's arguments, or compute it from them inside the "
            "function.")


def did_you_mean(name: str, facts) -> str:
    if facts is None:
        return ""
    if name in facts.lost_definitions:
        return (f" It is defined in code cell {facts.lost_definitions[name] + 1}, which has a syntax "
                "error, so nothing in that cell was graded.")
    known = list(facts.definitions) + [n for n in facts.defined_at if n not in facts.definitions]
    lower = {known_name.lower(): known_name for known_name in known}
    close = lower.get(name.lower()) or next(iter(difflib.get_close_matches(name, known, 1, 0.75)),
                                            None)
    return f" Did you mean `{close}`?" if close and close != name else ""


# ---- TypeError ------------------------------------------------------------------------------------

_SIGNATURE = re.compile(
    r"^(?:\w+\.)?(?P<function>\w+)\(\) (?P<problem>got an unexpected keyword argument '\w+'"
    r"|missing \d+ required (?:positional|keyword-only) arguments?: .+"
    r"|takes (?:from \d+ to )?\d+ positional arguments? but \d+ (?:were|was) given"
    r"|got multiple values for argument '\w+'|takes no arguments.*)")


def explain_signature(raised: Raised) -> Hint | None:
    match = _SIGNATURE.match(raised.message)
    if not match:
        return None
    function, problem = match.group("function"), match.group("problem")
    definitions = [d for d in (raised.facts.defined_at.get(function, []) if raised.facts else [])
                   if d.kind == "function"]
    called_by_grader = not raised.frames
    stub = STUB_SIGNATURES.get(function)
    if len(definitions) > 1:
        listed = "; ".join(f"{d.where}: `{d.text}`" for d in definitions)
        last = definitions[-1]
        how = (f" The grader calls it as the notebook's stub defines it, {stub}, and" if stub
               and called_by_grader else f"{raised.at} Your code calls it, and")
        return Hint(f"{function} is defined {len(definitions)} times ({listed}). Python keeps the "
                    f"last definition, so the one in {last.where.split(',')[0]} is the one graded."
                    f"{how} that definition takes other arguments: {problem}. Keep one definition "
                    "with the stub's arguments: delete or rename the other one (a pasted "
                    "notebook's, say).", "defined_twice")
    actual = f" yours is `{definitions[0].text}` ({definitions[0].where})" if definitions else ""
    if stub and called_by_grader:
        return Hint(f"The grader calls {function} as the notebook's stub defines it, {stub};"
                    f"{actual or ' yours takes other arguments'}, so the call fails: {problem}. "
                    "Keep the stub's arguments and their names: the grader and the notebook's "
                    "training cell both call it that way.", "signature_mismatch")
    return Hint(f"{function} is called with arguments its definition does not take{raised.at} "
                f"({problem}){';' + actual if actual else ''}. Make the call and the definition "
                "agree.", "signature_mismatch")


def explain_float_labels(raised: Raised) -> Hint | None:
    """`np.zeros((Y.size, Y.max() + 1))` on a one-hot Y: Y.max() + 1 is the float 2.0."""
    if "cannot be interpreted as an integer" in raised.message and "max(" in raised.code():
        return uses_Y_as_labels(raised)
    return None


def uses_Y_as_labels(raised: Raised) -> Hint:
    nt = raised.notation
    shape = "(m, 10)" if nt.name == "rows" else "(10, m)"
    return Hint(f"Your code treats Y as a vector of integer labels.{raised.at} But Y arrives "
                f"one-hot, shape {shape}: floats 0.0 and 1.0, a 1 at each sample's digit. Use it "
                "as it is (dZ2 = A2 − Y, −Σ Y·log A); if you need the labels, they are "
                f"Y.argmax(axis={nt.class_axis}).", "uses_Y_as_labels")


# ---- ValueError: shapes -----------------------------------------------------------------------------

def shapes_in(text: str) -> list[tuple[int, ...]]:
    return [tuple(int(part) for part in group.replace(" ", "").split(",") if part)
            for group in _SHAPE.findall(text)]


def explain_broadcast(raised: Raised) -> Hint | None:
    message = raised.message
    if "non-broadcastable output operand" in message:
        target, result = (shapes_in(message) + [(), ()])[:2]
        return Hint(f"An in-place update (x -= ..., x += ...) cannot change x's shape: x is "
                    f"{target}, the right-hand side broadcasts to {result}.{raised.at} Each "
                    "gradient must have exactly its parameter's shape.", "shapes_do_not_broadcast")
    if "could not be broadcast together" not in message or "indexing arrays" in message:
        return None
    shapes = list(dict.fromkeys(shapes_in(message.split("->")[0])))
    if len(shapes) < 2:
        return None
    a, b = shapes[:2]
    return one_hot_rows(raised, a, b) or lost_keepdims(raised, a, b) or Hint(
        f"The shapes {a} and {b} cannot be combined element by element.{raised.at} "
        + mismatch_text(a, b, raised.notation), "shapes_do_not_broadcast")


def mismatch_text(a: tuple, b: tuple, nt: Notation) -> str:
    if len(a) == 2 and a == b[::-1]:
        return ("One of them is the transpose of the other: check which array is transposed "
                f"against this notation's shapes (samples as {nt.name}).")
    axes = [axis for axis in range(-1, -min(len(a), len(b)) - 1, -1)
            if a[axis] != b[axis] and 1 not in (a[axis], b[axis])]
    axis = len(a) + axes[0] if axes else 0
    counts = "the samples" if axis == nt.sample_axis else "the pixels, units or classes"
    return (f"NumPy combines two arrays only where each axis has the same size (or size 1): on "
            f"axis {axis}, which counts {counts} with samples as {nt.name}, they have "
            f"{a[axis] if axes else '?'} and {b[axis] if axes else '?'}. Print the shapes of the "
            "arrays on that line and compare them with the formula.")


def lost_keepdims(raised: Raised, a: tuple, b: tuple) -> Hint | None:
    """(m, k) against (m,): a sum or max over axis 1 without keepdims, which NumPy lines up with
    the last axis instead of the rows."""
    two, one = (a, b) if len(a) == 2 else (b, a)
    if len(two) == 2 and len(one) == 1 and one[0] == two[0] != two[1]:
        return Hint(f"An array of shape {one} meets one of shape {two}.{raised.at} A sum or max "
                    "over axis=1 without keepdims=True gives one number per row as a 1-D array, "
                    f"which NumPy lines up with the last axis ({two[1]}), not with the rows: "
                    f"pass keepdims=True so it has shape ({two[0]}, 1).", "missing_keepdims")
    return None


def one_hot_rows(raised: Raised, a: tuple, b: tuple) -> Hint | None:
    """10 classes against fewer along the class axis: a one-hot sized by the batch's labels."""
    nt = raised.notation
    if len(a) != 2 or len(b) != 2 or a[nt.sample_axis] != b[nt.sample_axis]:
        return None
    counts = sorted((a[nt.class_axis], b[nt.class_axis]))
    if counts[1] != 10 or not 1 <= counts[0] < 10:
        return None
    where = "rows" if nt.class_axis == 0 else "columns"
    if MAX_PLUS_ONE.search(raised.source()):
        return Hint(f"One array has 10 {where}, one per class; the other has {counts[0]}.{raised.at}"
                    f" A one-hot built with Y.max() + 1 {where} has only as many as the batch's "
                    f"largest label + 1, here {counts[0]}: this batch holds no digit above "
                    f"{counts[0] - 1}. Always use the 10 classes (np.eye(10)[labels]"
                    f"{'.T' if nt.name == 'columns' else ''}) — and note that Y already arrives "
                    "one-hot, so it can be used as it is.", "one_hot_from_max_label")
    return Hint(f"One array has 10 {where}, one per class; the other has {counts[0]}.{raised.at} "
                "Every array of class scores, probabilities or labels needs all 10 classes, "
                "whatever digits the batch holds.", "shapes_do_not_broadcast")


_MATMUL = re.compile(r"mismatch in its core dimension \d.*\(size (\d+) is different from (\d+)\)")
_DOT = re.compile(r"shapes \(([\d, ]*)\) and \(([\d, ]*)\) not aligned")

#: Every matrix product of the network, with its factors' shapes, per notation.
PRODUCTS = {
    "rows": {"Z1": "Z1 = X·W1: (m, 784)(784, h)", "Z2": "Z2 = A1·W2: (m, h)(h, 10)",
             "dW2": "dW2 = A1ᵀ·dZ2: (h, m)(m, 10)", "dZ1": "dZ1 = (dZ2·W2ᵀ) * ReLU′(Z1): (m, 10)(10, h)",
             "dW1": "dW1 = Xᵀ·dZ1: (784, m)(m, h)"},
    "columns": {"Z1": "Z1 = W1·X: (h, 784)(784, m)", "Z2": "Z2 = W2·A1: (10, h)(h, m)",
                "dW2": "dW2 = dZ2·A1ᵀ: (10, m)(m, h)",
                "dZ1": "dZ1 = (W2ᵀ·dZ2) * ReLU′(Z1): (h, 10)(10, m)",
                "dW1": "dW1 = dZ1·Xᵀ: (h, m)(m, 784)"},
}
FORWARD_PRODUCTS, BACKPROP_PRODUCTS = ("Z1", "Z2"), ("dW2", "dZ1", "dW1")


def product_computed(code: str) -> str | None:
    """Which of the network's products a line computes, from the name it assigns to."""
    target = re.match(r"\s*(\w+)\s*=", code)
    name = target.group(1).lower() if target else ""
    return {"z1": "Z1", "z2": "Z2", "dw2": "dW2", "dz1": "dZ1", "da1": "dZ1",
            "dw1": "dW1"}.get(name)


def explain_matmul(raised: Raised) -> Hint | None:
    matmul, dot = _MATMUL.search(raised.message), _DOT.search(raised.message)
    if not (matmul or dot):
        return None
    sizes = (f"the inner sizes {matmul.group(1)} and {matmul.group(2)}" if matmul else
             f"factors of shapes ({dot.group(1)}) and ({dot.group(2)})")
    products = PRODUCTS[raised.notation.name]
    computed = product_computed(raised.code())
    if computed:
        shapes = f"That line computes {computed}: with samples as {raised.notation.name}, " \
                 f"{products[computed]}."
    else:
        names = FORWARD_PRODUCTS if raised.exercise == "forward" else \
            BACKPROP_PRODUCTS if raised.exercise == "backprop" else tuple(products)
        shapes = f"With samples as {raised.notation.name}: " + \
            "; ".join(products[name] for name in names) + "."
    return Hint(f"A matrix product needs the left factor's columns to match the right factor's "
                f"rows; this one has {sizes}.{raised.at} {shapes} A factor that needs a "
                "transpose (or has one too many) fails this way.", "matmul_shapes")


def explain_truth_value(raised: Raised) -> Hint | None:
    if "truth value of an array" not in raised.message:
        return None
    return Hint(f"Python's if, and, or, max() and min() need one True or False, and got a whole "
                f"array.{raised.at} Work element by element with NumPy instead: "
                "np.maximum(Z, 0), np.where(Z > 0, 1.0, 0.0), (Z > 0), & and | for and/or.",
                "array_truth_value")


# ---- IndexError, KeyError ---------------------------------------------------------------------------

def explain_index_error(raised: Raised) -> Hint | None:
    message = raised.message
    if "arrays used as indices must be of integer" in message or (
            "indexing arrays could not be broadcast" in message and "Y" in raised.code()):
        return uses_Y_as_labels(raised)
    bounds = re.match(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)", message)
    if bounds:
        index, axis, size = map(int, bounds.groups())
        if size < index + 1 <= 10 and MAX_PLUS_ONE.search(raised.source()):
            return Hint(f"An array sized Y.max() + 1 has only {size} classes in a batch without "
                        f"a digit above {size - 1}, and index {index} falls off its end."
                        f"{raised.at} Always use the 10 classes: np.eye(10)[labels].",
                        "one_hot_from_max_label")
        return Hint(f"Index {index} is past the end of axis {axis}, which has size {size}."
                    f"{raised.at} Check which axis holds the samples in this notation (axis "
                    f"{raised.notation.sample_axis}) and which the classes or units.",
                    "index_out_of_range")
    if "too many indices for array" in message:
        return Hint(f"The array indexed is {message.split(':')[-1].strip()}.{raised.at} A "
                    "1-D array takes one index: keep it 2-D (keepdims=True) or index it once.",
                    "index_out_of_range")
    return None


CONTRACT_KEYS = {"params": ("W1", "b1", "W2", "b2"), "grads": ("dW1", "db1", "dW2", "db2"),
                 "forward's cache": ("Z1", "A1", "Z2", "A2")}


def explain_key_error(raised: Raised) -> Hint | None:
    key = raised.message.strip("'\"")
    if not re.fullmatch(r"\w+", key):
        return None
    owners = [what for what, names in CONTRACT_KEYS.items() if key in names]
    known = {name.lower(): name for names in CONTRACT_KEYS.values() for name in names}
    if owners:   # a real key, looked up in the other dict: grads['W1'], params['dW1']
        meant = (f" {key!r} is a key of {owners[0]}: is this the right dict? (The gradient of "
                 f"W1 is grads['dW1'].)")
    else:
        meant = f" Did you mean {known[key.lower()]!r}?" if key.lower() in known else ""
    listed = "; ".join(f"{what}: {', '.join(names)}" for what, names in CONTRACT_KEYS.items())
    return Hint(f"{raised.function} looks up the key {key!r}, which the dict does not hold."
                f"{raised.at}{meant} The keys of the notebook's contract are {listed}.",
                "wrong_key")
