"""Own code: what a student wrote inside the stubs and in their helpers, ready to compare.

    own_code(path, assignment_id) -> OwnCode | None

The notebook goes through grader.extract (so magics, syntax errors and top-level work are handled
exactly as when grading); of what survives, only definitions are the student's own code: each
top-level function and class, and `name = lambda ...` (the last definition of a name wins, as when
the notebook runs). From each, the release's starter code is removed — the docstrings, the stub's
own statements (`raise NotImplementedError(...)`), the hint comments, and the header of a stub
whose signature the student kept — then it is tokenized with the standard library's tokenize:
comments dropped, every name the student binds (functions, parameters, variables) written as `V`,
numbers and strings in one spelling each, so renaming, reformatting or re-commenting changes
nothing. Names the student does not bind (`np`, `maximum`, `axis`, `sum`) are kept: how a student
calls NumPy is part of what they wrote.

A Function keeps the lines shown to the instructor beside the tokens compared, each token tagged
with its line, so that a match can be marked where it is in the student's code.
"""

from __future__ import annotations

import ast
import functools
import io
import json
import keyword
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from grader import extract
from grader.assignments import ASSIGNMENTS

#: Where the student releases live: their stubs are the starter code to remove.
RELEASE_DIR = Path(__file__).resolve().parents[2] / "assignments" / "release"
#: Only cells that may define something are extracted: the rest (training loops, plots, checks)
#: would be skipped anyway, and extracting them is most of the time this step takes.
MAY_DEFINE = re.compile(r"\b(?:def|class|lambda)\b")
NEWLINE, INDENT, DEDENT = "⏎", "→", "←"
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class Function:
    """One definition of the student's own code. lines: what the instructor is shown (the
    student's source, starter lines removed); tokens: (normalised token, index into lines)."""

    name: str
    lines: tuple[str, ...]
    tokens: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class OwnCode:
    functions: tuple[Function, ...]

    @property
    def token_count(self) -> int:
        return sum(len(function.tokens) for function in self.functions)


@dataclass(frozen=True)
class Starter:
    """The release's stubs: name → (ast.dump of the signature, dumps of the body's statements),
    and the comment lines they carry (hints), stripped."""

    stubs: dict[str, tuple[str, frozenset[str]]]
    comments: frozenset[str]


def own_code(path: Path, assignment_id: str | None) -> OwnCode | None:
    """The own code of the notebook (or .py) at `path`; None when it cannot be read."""
    try:
        cells = [cell for cell in _code_cells(Path(path)) if MAY_DEFINE.search(cell[1])]
    except extract.UnreadableNotebook:
        return None
    extraction = extract.extract_cells(cells)
    definitions, numpy_aliases, constants = _definitions(extraction.cells)
    bound = _bound_names(node for node, _ in definitions.values()) | constants
    starter = starter_code(assignment_id)
    return OwnCode(tuple(_function(name, node, lines, starter, bound, numpy_aliases)
                         for name, (node, lines) in definitions.items()))


def _code_cells(path: Path) -> list[tuple[int, str]]:
    """(index, source) of the code cells. A notebook already in format 4 is read as plain JSON:
    nbformat's validation costs more than the rest of this step, and grading has already read the
    same bytes with it; anything else goes through grader.extract's own readers."""
    if path.suffix == ".py":
        return extract.read_py_cells(path)
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
        if data.get("nbformat") == 4 and isinstance(data.get("cells"), list):
            return [(index, _source(cell)) for index, cell in enumerate(data["cells"])
                    if isinstance(cell, dict) and cell.get("cell_type") == "code"]
    except (OSError, ValueError, RecursionError, AttributeError):
        pass
    return extract.read_notebook_cells(path)


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _definitions(cells: list[str]) -> tuple[dict[str, tuple[ast.stmt, list[str]]], set[str],
                                            set[str]]:
    """name → (its last top-level definition, the lines of its cell); the names numpy is imported
    under (`np`, or whatever the student chose), so they compare as `np`; and the names of the
    student's top-level constants, which the definitions may use (and a copier may rename)."""
    definitions: dict[str, tuple[ast.stmt, list[str]]] = {}
    numpy_aliases: set[str] = set()
    constants: set[str] = set()
    for source in cells:
        tree = ast.parse(source)   # extract kept only what compiles
        lines = source.splitlines()
        for node in tree.body:
            name = _defined_name(node)
            if name:
                definitions[name] = (node, lines)
            elif isinstance(node, ast.Import):
                numpy_aliases.update(alias.asname for alias in node.names
                                     if alias.name == "numpy" and alias.asname)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                constants.update(_bound_names([node]))
    return definitions, numpy_aliases - {"np"}, constants


def _defined_name(node: ast.stmt) -> str | None:
    if isinstance(node, DEFINITIONS):
        return node.name
    if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda)
            and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
        return node.targets[0].id
    return None


def _bound_names(nodes) -> set[str]:
    """Every name the student's definitions bind: the definitions themselves, parameters, local
    variables, loop and comprehension targets, local imports, exception names."""
    bound: set[str] = set()
    for root in nodes:
        for node in ast.walk(root):
            if isinstance(node, DEFINITIONS):
                bound.add(node.name)
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
            elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                bound.add(node.id)
            elif isinstance(node, ast.alias):
                bound.add(node.asname or node.name.split(".")[0])
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bound.add(node.name)
    return bound


# --- one definition -----------------------------------------------------------------------------

def _function(name: str, node: ast.stmt, cell_lines: list[str], starter: Starter,
              bound: set[str], numpy_aliases: set[str]) -> Function:
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    source_lines = cell_lines[first - 1:node.end_lineno]
    hidden = {line - first for line in _starter_lines(node, starter)}
    hidden |= {index for index, line in enumerate(source_lines)
               if line.strip().startswith("#") and line.strip() in starter.comments}
    not_compared = {line - first for line in _stub_header_lines(name, node, starter)}
    shown = [index for index in range(len(source_lines)) if index not in hidden]
    while shown and not source_lines[shown[-1]].strip():
        shown.pop()
    position = {index: place for place, index in enumerate(shown)}
    text = "\n".join("" if index in hidden else line
                     for index, line in enumerate(source_lines)) + "\n"
    tokens = tuple((token, position[line]) for token, line in
                   _normalised_tokens(text, bound, numpy_aliases)
                   if line in position and line not in not_compared)
    return Function(name, tuple(source_lines[index] for index in shown), tokens)


def _starter_lines(node: ast.stmt, starter: Starter) -> set[int]:
    """Line numbers (of the cell) of the starter code inside `node`: every docstring, and the
    statements a stub of the same name has (its `raise NotImplementedError`)."""
    lines: set[int] = set()
    for inner in ast.walk(node):
        body = getattr(inner, "body", None)
        if isinstance(inner, DEFINITIONS) and body and _is_docstring(body[0]):
            lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    stub = starter.stubs.get(getattr(node, "name", ""))
    if stub:
        for statement in node.body:
            if ast.dump(statement) in stub[1]:
                lines.update(range(statement.lineno, statement.end_lineno + 1))
    return lines


def _stub_header_lines(name: str, node: ast.stmt, starter: Starter) -> range:
    """The `def name(args):` lines of a stub whose signature the student kept: starter code,
    shown for context but not compared."""
    stub = starter.stubs.get(name)
    if not stub or not isinstance(node, ast.FunctionDef) or ast.dump(node.args) != stub[0]:
        return range(0)
    if node.body[0].lineno == node.lineno:   # `def relu(Z): return ...` on one line
        return range(0)
    return range(node.lineno, node.body[0].lineno)


def _is_docstring(statement: ast.stmt) -> bool:
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str))


# --- tokens -------------------------------------------------------------------------------------

def _normalised_tokens(text: str, bound: set[str], numpy_aliases: set[str]):
    """(token, 0-based line) for `text`: see the module docstring. A tokenize error (which
    extract's compile check makes unlikely) ends the stream where it happened."""
    previous = ""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            normal = _normal(token, previous, bound, numpy_aliases)
            if normal is not None:
                yield normal, token.start[0] - 1
                previous = token.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return


def _normal(token: tokenize.TokenInfo, previous: str, bound: set[str],
            numpy_aliases: set[str]) -> str | None:
    kind, text = token.type, token.string
    if kind == tokenize.NAME:
        if keyword.iskeyword(text) or previous == ".":
            return text
        if text in numpy_aliases:
            return "np"
        return "V" if text in bound else text
    if kind in (tokenize.NUMBER, tokenize.STRING):
        return _literal(text)
    if kind == tokenize.OP:
        return text
    return {tokenize.NEWLINE: NEWLINE, tokenize.INDENT: INDENT, tokenize.DEDENT: DEDENT}.get(kind)


def _literal(text: str) -> str:
    """One spelling per value: 1e-12 and 1E-12, 'W1' and "W1" compare equal; f-strings are S."""
    try:
        return repr(ast.literal_eval(text))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return "S"


# --- the starter code ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def starter_code(assignment_id: str | None) -> Starter:
    """The stubs of the release of `assignment_id`; none when it is unknown or not on disk (then
    only docstrings are removed, and the stubs' common lines weigh nothing anyway, being shared
    by the whole class)."""
    assignment = ASSIGNMENTS.get(assignment_id or "")
    notebook = RELEASE_DIR / assignment.id / assignment.notebook if assignment else None
    if notebook is None or not notebook.is_file():
        return Starter({}, frozenset())
    extraction = extract.extract_file(notebook)
    stubs, comments = {}, set()
    for source in extraction.cells:
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef):
                stubs[node.name] = (ast.dump(node.args),
                                    frozenset(ast.dump(statement) for statement in node.body))
        comments.update(line.strip() for line in source.splitlines()
                        if line.strip().startswith("#"))
    return Starter(stubs, frozenset(comments))
