"""Fingerprints of own code: winnowed hashes of token k-grams (Schleimer, Wilkerson and Aiken,
"Winnowing: local algorithms for document fingerprinting", SIGMOD 2003 — what MOSS and
copydetect use).

    fingerprints(code: OwnCode) -> dict[int, list[Place]]

Every run of K consecutive normalised tokens of a function is hashed; of every WINDOW consecutive
hashes the smallest is kept. Two functions that share a run of at least K + WINDOW − 1 tokens
(about two lines) are guaranteed to share a fingerprint, and a shared fingerprint always means a
shared run of K tokens. k-grams never cross from one function into the next, so the order the
functions are written in does not matter.

Which k-grams winnowing keeps depends on the hash values, so they must not change from run to run
(Python salts its hashes of strings): each distinct token gets a number from blake2b, and a k-gram
is the hash of its tuple of numbers, which Python computes the same way in every process.
"""

from __future__ import annotations

import functools
import hashlib

from grader.classreport.owncode import OwnCode

#: Tokens per k-gram: about one line of code (`V = V @ V [ 'W1' ] + V [ 'b1' ] ⏎` is 14).
K = 10
#: Hashes per winnowing window: keeps about 2 / (WINDOW + 1) of them.
WINDOW = 4


#: Where a fingerprint's tokens are: (function, first line, last line), the function an index in
#: OwnCode.functions and the lines indexes in its shown lines. A plain tuple: a class of 1,000
#: has about 300,000 of them, and building a named one costs a Python call each.
Place = tuple[int, int, int]


def fingerprints(code: OwnCode) -> dict[int, list[Place]]:
    """hash → every place in `code` it was selected at."""
    found: dict[int, list[Place]] = {}
    for index, function in enumerate(code.functions):
        tokens = function.tokens
        numbers = tuple(_number(token) for token, _ in tokens)
        # A function shorter than K tokens is one k-gram of its own length.
        starts = range(max(len(tokens) - K + 1, 1 if tokens else 0))
        hashes = [hash(numbers[start:start + K]) for start in starts]
        for start in _winnow(hashes):
            span = tokens[start:start + K]
            found.setdefault(hashes[start], []).append((index, span[0][1], span[-1][1]))
    return found


@functools.lru_cache(maxsize=None)   # a class uses a few thousand distinct tokens
def _number(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "big")


def _winnow(hashes: list[int]) -> list[int]:
    """The positions selected: in each window the smallest hash, the rightmost of equal ones, each
    position once (a function shorter than one window keeps its smallest)."""
    if not hashes:
        return []
    selected: list[int] = []
    for start in range(max(len(hashes) - WINDOW + 1, 1)):
        window = hashes[start:start + WINDOW]
        best = start + len(window) - 1 - window[::-1].index(min(window))
        if not selected or selected[-1] != best:
            selected.append(best)
    return selected
