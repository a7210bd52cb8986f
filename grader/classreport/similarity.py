"""Shared work: pairs of submissions whose own code, or whose wrong answers, are too alike to be
independent.

    code_pairs(codes, prints=None) -> list[Pair]                  kind "code"
    output_pairs(results: list[SubmissionResult]) -> list[Pair]   kind "outputs"

Rarity is what makes sharing evidence. A fingerprint (or a wrong value) held by more than
`rare_limit(n)` of the n submissions is what a class converges to — a correct np.maximum(Z, 0),
a classic mistake written the usual way — and counts for no pair; one held by d submissions, d at
most that limit, weighs 1 / (d − 1), so the evidence a small group shares is split among its
pairs, and one only a submission holds weighs 1 (it is what makes that submission its own).

Code: a pair is flagged when the weight it shares is at least MIN_SHARED_WEIGHT (a few lines of
code nobody else wrote that way) and at least MIN_CODE_SCORE of the smaller of the two's
distinctive weight (the sum over its own fingerprints). Only fingerprints with 2 ≤ d ≤ the limit
make pairs, through an index from fingerprint to holders, so the work grows with the amount of
rare code shared, not with the square of the class.

Outputs: reports keep, for each failing case, what the student's function returned, printed small
(`got`). A pair is flagged when it returned the same wrong value on the same case of the same
check, that value being rare, carrying no diagnosis id (a known misconception is no evidence),
and informative (at least MIN_DISTINCT_NUMBERS different numbers: an array, not a lone loss or an
accuracy that any bug of that kind gives), in at least MIN_OUTPUT_EXERCISES exercises — a single
bug shows in several checks of one exercise, while two exercises means two rare mistakes shared.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from grader.classreport.fingerprints import Place, fingerprints
from grader.classreport.owncode import OwnCode
from grader.results import SubmissionResult

#: A fingerprint held by more submissions than this is common code (see rare_limit).
RARE_SHARE = 1 / 50
#: ... but never fewer than a pair, and never more than a group that size: beyond ten, a shared
#: fingerprint is an idiom of the class, not a ring (and pairs are enumerated per fingerprint).
RARE_FLOOR, RARE_CEILING = 2, 10
MIN_SHARED_WEIGHT = 20.0
MIN_CODE_SCORE = 0.5
MIN_DISTINCT_NUMBERS = 4
MIN_OUTPUT_EXERCISES = 2
_NUMBER = re.compile(r"-?\d+\.\d*(?:e[-+]?\d+)?|-?\bnan\b|-?\binf\b")


@dataclass(frozen=True)
class Pair:
    """Two submissions (a < b by name) flagged for shared work, and why."""

    a: str
    b: str
    kind: str           # "code" or "outputs"
    score: float        # code: the share of the smaller one's distinctive code; outputs: weight
    evidence: dict = field(default_factory=dict)


def rare_limit(count: int) -> int:
    """The most submissions of `count` that may hold a piece of code or a value for it to be
    evidence: 2 in a class of up to 100, 6 in one of 300, 10 from 450 on."""
    return min(RARE_CEILING, max(RARE_FLOOR, math.ceil(count * RARE_SHARE)))


def weight(holders: int, limit: int) -> float:
    """How much one fingerprint held by `holders` submissions says about each of them."""
    if holders > limit:
        return 0.0
    return 1.0 / max(1, holders - 1)


# --- code ---------------------------------------------------------------------------------------

def code_pairs(codes: dict[str, OwnCode], prints: dict[str, dict[int, list[Place]]] | None = None
               ) -> list[Pair]:
    """The pairs of `codes` flagged for shared code; `prints`: their fingerprints, when already
    computed (grader.classreport.collect computes them beside the code)."""
    if prints is None:
        prints = {name: fingerprints(code) for name, code in codes.items()}
    holders: dict[int, list[str]] = defaultdict(list)
    for name in sorted(prints):
        for fingerprint in prints[name]:
            holders[fingerprint].append(name)
    limit = rare_limit(len(prints))
    weights = {fingerprint: weight(len(names), limit) for fingerprint, names in holders.items()}
    distinctive = {name: sum(weights[fingerprint] for fingerprint in found)
                   for name, found in prints.items()}
    shared: Counter[tuple[str, str]] = Counter()
    for fingerprint, names in holders.items():
        if 2 <= len(names) <= limit:
            for pair in combinations(names, 2):
                shared[pair] += weights[fingerprint]
    pairs = []
    for (a, b), amount in shared.items():
        score = amount / min(distinctive[a], distinctive[b])
        if amount >= MIN_SHARED_WEIGHT and score >= MIN_CODE_SCORE:
            evidence = _code_evidence(codes, prints, weights, a, b)
            evidence.update(shared_weight=round(amount, 2), distinctive_a=round(distinctive[a], 2),
                            distinctive_b=round(distinctive[b], 2))
            pairs.append(Pair(a, b, "code", round(min(score, 1.0), 3), evidence))
    return sorted(pairs, key=lambda pair: (-pair.score, pair.a, pair.b))


def _code_evidence(codes, prints, weights, a: str, b: str) -> dict:
    """The two codes, each function with the lines that hold rare fingerprints the other has."""
    common = [fingerprint for fingerprint in prints[a]
              if fingerprint in prints[b] and weights[fingerprint] > 0]
    return {"shared_fingerprints": len(common),
            "a_code": _marked(codes[a], [place for f in common for place in prints[a][f]]),
            "b_code": _marked(codes[b], [place for f in common for place in prints[b][f]])}


def _marked(code: OwnCode, places: list[Place]) -> list[dict]:
    marks: dict[int, set[int]] = defaultdict(set)
    for function, first_line, last_line in places:
        marks[function].update(range(first_line, last_line + 1))
    return [{"function": function.name, "lines": list(function.lines),
             "marked": sorted(marks[index])}
            for index, function in enumerate(code.functions) if function.lines]


# --- outputs ------------------------------------------------------------------------------------

def output_pairs(results: list[SubmissionResult]) -> list[Pair]:
    by_assignment: dict[str | None, list[SubmissionResult]] = defaultdict(list)
    for result in results:
        by_assignment[result.assignment].append(result)
    pairs = [pair for group in by_assignment.values() for pair in _output_pairs(group)]
    return sorted(pairs, key=lambda pair: (-pair.score, pair.a, pair.b))


def _output_pairs(results: list[SubmissionResult]) -> list[Pair]:
    """Within one assignment: the hidden inputs, hence the values, are the same for everyone."""
    holders: dict[tuple, list[str]] = defaultdict(list)
    expected: dict[tuple, str] = {}
    for result in sorted(results, key=lambda result: result.submission):
        for key, wanted in set(_wrong_values(result)):
            holders[key].append(result.submission)
            expected[key] = wanted
    limit = rare_limit(len(results))
    shared: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for key, names in holders.items():
        if 2 <= len(names) <= limit:
            for pair in combinations(names, 2):
                shared[pair].append(key)
    pairs = []
    for (a, b), keys in shared.items():
        exercises = {key[0] for key in keys}
        if len(exercises) >= MIN_OUTPUT_EXERCISES:
            matches = [{"exercise": exercise, "check": check, "case": case, "got": got,
                        "expected": expected[(exercise, check, case, got)],
                        "holders": len(holders[(exercise, check, case, got)])}
                       for exercise, check, case, got in sorted(keys)]
            score = sum(weight(match["holders"], limit) for match in matches)
            pairs.append(Pair(a, b, "outputs", round(score, 2),
                              {"exercises": sorted(exercises), "matches": matches}))
    return pairs


def _wrong_values(result: SubmissionResult):
    """((exercise, check, case id, got), expected) for every failing case whose returned value is
    informative and carries no diagnosis."""
    for check in result.checks:
        cases = check.cases or []
        for case in cases:
            feedback = case.feedback or {}
            got = str(feedback.get("got") or "")
            if (case.status == "failed" and not feedback.get("diagnosis")
                    and len(set(_NUMBER.findall(got))) >= MIN_DISTINCT_NUMBERS):
                yield (check.exercise, check.name, case.id, got), str(feedback.get("expected", ""))
