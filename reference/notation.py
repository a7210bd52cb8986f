"""The two notations courses use, served by the one implementation in `reference.network`.

    rows    (default): X (m, 784), W1 (784, h), b1 (1, h), W2 (h, 10), b2 (1, 10), Y (m, 10)
    columns (W·X)    : X (784, m), W1 (h, 784), b1 (h, 1), W2 (10, h), b2 (10, 1), Y (10, m)

Every array of the columns notation is the transpose of its rows counterpart, so the columns
functions transpose their inputs, call the rows math, and transpose the results back.
`for_notation(name)` returns the student contract (the eight graded functions plus predict and
accuracy) for either notation, with exactly the signatures the notebooks use.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from reference import network

NOTATIONS = ("rows", "columns")


@dataclass(frozen=True)
class Notation:
    """Where samples and classes sit in an array: `sample_axis` for X, Y, A; `class_axis` for Y, A."""

    name: str
    sample_axis: int
    class_axis: int

    def to_rows(self, array: np.ndarray) -> np.ndarray:
        return array if self.name == "rows" else array.T

    from_rows = to_rows  # transposing is its own inverse

    def dict_to_rows(self, arrays: dict) -> dict:
        return {key: self.to_rows(value) for key, value in arrays.items()}

    dict_from_rows = dict_to_rows

    def shape(self, rows_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape an array has in this notation, given its shape with samples as rows."""
        return tuple(rows_shape) if self.name == "rows" else tuple(reversed(rows_shape))


ROWS = Notation("rows", sample_axis=0, class_axis=1)
COLUMNS = Notation("columns", sample_axis=1, class_axis=0)


def get_notation(name: str) -> Notation:
    if name not in NOTATIONS:
        raise ValueError(f"unknown notation {name!r}; expected one of {', '.join(NOTATIONS)}")
    return ROWS if name == "rows" else COLUMNS


def for_notation(name: str) -> SimpleNamespace:
    """The reference's student-facing functions for notation `name` ('rows' or 'columns')."""
    nt = get_notation(name)
    if nt is ROWS:
        return SimpleNamespace(
            notation=nt, relu=network.relu, relu_derivative=network.relu_derivative,
            softmax=network.softmax, cross_entropy=network.cross_entropy,
            init_params=network.init_params, forward=network.forward,
            backprop=network.backprop, update=network.update,
            predict=network.predict, accuracy=network.accuracy,
        )

    def softmax(Z):
        return nt.from_rows(network.softmax(nt.to_rows(Z)))

    def cross_entropy(A, Y):
        return network.cross_entropy(nt.to_rows(A), nt.to_rows(Y))

    def init_params(n_input=784, n_hidden=10, n_output=10, seed=0, dtype=np.float32):
        return nt.dict_from_rows(network.init_params(n_input, n_hidden, n_output, seed, dtype))

    def forward(X, params):
        A2, cache = network.forward(nt.to_rows(X), nt.dict_to_rows(params))
        return nt.from_rows(A2), nt.dict_from_rows(cache)

    def backprop(X, Y, params, cache):
        grads = network.backprop(nt.to_rows(X), nt.to_rows(Y), nt.dict_to_rows(params),
                                 nt.dict_to_rows(cache))
        return nt.dict_from_rows(grads)

    def predict(X, params):
        return network.predict(nt.to_rows(X), nt.dict_to_rows(params))

    def accuracy(X, labels, params):
        return network.accuracy(nt.to_rows(X), labels, nt.dict_to_rows(params))

    for fn, rows_fn in [(softmax, network.softmax), (cross_entropy, network.cross_entropy),
                        (init_params, network.init_params), (forward, network.forward),
                        (backprop, network.backprop), (predict, network.predict),
                        (accuracy, network.accuracy)]:
        fn.__doc__ = f"Samples as columns: {rows_fn.__name__} of the transposed arrays.\n\n{rows_fn.__doc__}"

    return SimpleNamespace(
        notation=nt, relu=network.relu, relu_derivative=network.relu_derivative,
        softmax=softmax, cross_entropy=cross_entropy, init_params=init_params,
        forward=forward, backprop=backprop, update=network.update,
        predict=predict, accuracy=accuracy,
    )
