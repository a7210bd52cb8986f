"""Fingerprints of own code: winnowed hashes of token k-grams (Schleimer, Wilkerson and Aiken,
"Winnowing: local algorithms for document fingerprinting", SIGMOD 2003 — what MOSS and
copydetect use).

    fingerprints(code: OwnCode) -> dict[int, list[Place]]

Every run of K consecutive normalised tokens of a function is hashed; of every WINDOW consecutive
hashes the smallest is kept. Two functions that share a run of at least K + WINDOW − 1 tokens
(about two lines) are guaranteed to share a fingerprint, and a shared fingerprint always means a
shared run of K tokens. k-grams never cross from one function into the next, so the order the
functions are written in does not matter. Hashes are blake2b, not Python's `hash()`, so the same
code gets the same fingerprints in every process and every run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from grader.classreport.owncode import OwnCode

#: Tokens per k-gram: about one line of code (`V = V @ V [ 'W1' ] + V [ 'b1' ] ⏎` is 14).
K = 10
#: Hashes per winnowing window: keeps about 2 / (WINDOW + 1) of them.
WINDOW = 4


@dataclass(frozen=True)
class Place:
    """Where a fingerprint's tokens are: a function (index in OwnCode.functions) and the range of
    its shown lines they span."""

    function: int
    first_line: int
    last_line: int


def fingerprints(code: OwnCode) -> dict[int, list[Place]]:
    """hash → every place in `code` it was selected at."""
    found: dict[int, list[Place]] = {}
    for index, function in enumerate(code.functions):
        tokens = function.tokens
        # A function shorter than K tokens is one k-gram of its own length.
        starts = range(max(len(tokens) - K + 1, 1 if tokens else 0))
        hashes = [_hash(tokens[start:start + K]) for start in starts]
        for start in _winnow(hashes):
            span = tokens[start:start + K]
            found.setdefault(hashes[start], []).append(Place(index, span[0][1], span[-1][1]))
    return found


def _hash(tokens) -> int:
    text = "\x1f".join(token for token, _ in tokens)
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def _winnow(hashes: list[int]) -> list[int]:
    """The positions selected: in each window the smallest hash, the rightmost of equal ones, each
    position once (a function shorter than one window keeps its smallest)."""
    if len(hashes) <= WINDOW:
        return [min(range(len(hashes)), key=lambda i: (hashes[i], -i))] if hashes else []
    selected: list[int] = []
    for start in range(len(hashes) - WINDOW + 1):
        window = range(start, start + WINDOW)
        best = min(window, key=lambda i: (hashes[i], -i))
        if not selected or selected[-1] != best:
            selected.append(best)
    return selected
