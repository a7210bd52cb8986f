"""What the submission's source adds to a hint found from values: the line that does it.

Values tell that a loss is nan on a zero probability; only the source tells that it comes from
`np.clip(A, 1e-10, A)`, a clip that clips nothing. `facts` is the extract step's
`grader.extract.Extraction` (`defined_at`: every definition, with its source).
"""

from __future__ import annotations

import ast

from grader.extract.definitions import Definition, globals_read
from grader.checks.diagnose.catalogue import Hint

#: Diagnoses whose usual cause is a global read where an argument is meant → what to do.
GLOBAL_CAUSES = {"backprop.divides_by_global_m": "compute m from X inside backprop",
                 "update.ignores_lr": "use the argument lr"}


def refine(hint: Hint, exercise: str, facts) -> Hint:
    """`hint` made precise, or completed, by what the source of `exercise`'s function shows."""
    if facts is None:
        return hint
    if hint.diagnosis == "cross_entropy.log_without_clipping":
        clip = clip_bounded_by_input(function_sources(exercise, facts))
        if clip:
            return Hint(f"`{clip}` clips nothing: its upper bound is the array itself, so it "
                        "computes min(max(A, ε), A), which is A again, and a probability of 0 "
                        "stays 0 (log 0 = −inf). The upper bound is 1: np.clip(A, 1e-12, 1.0).",
                        "cross_entropy.clip_does_nothing")
    if hint.diagnosis in GLOBAL_CAUSES:
        constants = constants_read(exercise, facts)
        if constants:
            listed = ", ".join(f"`{d.name}` ({d.where}: `{d.text}`)" for d in constants)
            return Hint(f"{hint.text} Your {exercise} reads the global {listed}: "
                        f"{GLOBAL_CAUSES[hint.diagnosis]} instead.", hint.diagnosis)
    return hint


def function_definitions(name: str, facts) -> list[Definition]:
    return [d for d in facts.defined_at.get(name, []) if d.kind == "function"]


def function_sources(name: str, facts) -> list[str]:
    """The graded definition of `name`, and of the functions it calls (its helpers)."""
    graded = function_definitions(name, facts)[-1:]
    sources = [d.source for d in graded]
    for helper in sorted(globals_read(graded[0].source) if graded and graded[0].source else ()):
        sources += [d.source for d in function_definitions(helper, facts)[-1:]]
    return [source for source in sources if source]


def constants_read(name: str, facts) -> list[Definition]:
    """The kept global constants the graded `name` reads (`m = 60000`, `alpha = 0.1`)."""
    graded = function_definitions(name, facts)[-1:]
    if not graded or not graded[0].source:
        return []
    return [facts.defined_at[global_name][-1] for global_name in sorted(
        globals_read(graded[0].source)) if global_name in facts.defined_at
        and facts.defined_at[global_name][-1].kind == "constant"]


def clip_bounded_by_input(sources: list[str]) -> str | None:
    """The text of a `np.clip(A, low, A)` / `A.clip(low, A)` call in the sources, if any."""
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "clip"):
                continue
            args = list(node.args) + [k.value for k in node.keywords if k.arg == "a_max"]
            if isinstance(node.func.value, ast.Name) and node.func.value.id in ("np", "numpy"):
                clipped, upper = (args[0], args[2]) if len(args) >= 3 else (None, None)
            else:
                clipped, upper = node.func.value, args[1] if len(args) >= 2 else None
            if clipped is not None and upper is not None \
                    and ast.unparse(clipped) == ast.unparse(upper):
                return ast.unparse(node)
    return None


def defined_twice_note(name: str, facts) -> str:
    """A sentence when `name` is defined more than once: which definition is graded."""
    definitions = function_definitions(name, facts) if facts is not None else []
    if len(definitions) < 2:
        return ""
    places = ", ".join(d.where for d in definitions)
    return (f" Note: {name} is defined {len(definitions)} times ({places}); Python keeps the "
            f"last one, in {definitions[-1].where}, and that is the one graded.")
