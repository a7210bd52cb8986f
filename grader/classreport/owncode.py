"""Own code: what a student wrote inside the stubs and in their helpers, ready to compare.

    own_code(path, assignment_id) -> OwnCode | None

The notebook goes through grader.extract (so magics, syntax errors and top-level work are handled
exactly as when grading); of what survives, only definitions are the student's own code: each
top-level function and class, and `name = lambda ...` (the last definition of a name wins, as when
the notebook runs). From each, the release's starter code is removed — the docstrings, the stub's
own statements (`raise NotImplementedError(...)`), the hint comments, and the header of a stub
whose signature the student kept — then it is tokenized with the standard library's tokenize:
comments dropped, every name the student chose (functions, parameters, variables, constants)
written as `V`, numbers and strings in one spelling each, so renaming, reformatting or
re-commenting changes nothing. The names nobody chooses are kept, since how a student calls NumPy
is part of what they wrote: keywords, builtins (`range`, `float`), attributes (`.maximum`),
keyword arguments (`axis=`) and what the notebook imports (`np`, whatever numpy is imported as).

A Function keeps the lines shown to the instructor beside the tokens compared, each token tagged
with its line, so that a match can be marked where it is in the student's code.
"""

from __future__ import annotations

import ast
import builtins
import functools
import io
import keyword
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from grader import extract
from grader.assignments import ASSIGNMENTS

#: Where the student releases live: their stubs are the starter code to remove.
RELEASE_DIR = Path(__file__).resolve().parents[2] / "assignments" / "release"
#: Only cells that may define or import something are read: the rest (training loops, plots,
#: checks) hold no own code, and reading them would be most of the time this step takes.
MAY_DEFINE = re.compile(r"\b(?:def|class|lambda|import)\b")
LAYOUT = {tokenize.NEWLINE: "⏎", tokenize.INDENT: "→", tokenize.DEDENT: "←"}
NAME, OP, LITERALS = tokenize.NAME, tokenize.OP, (tokenize.NUMBER, tokenize.STRING)
#: Names nobody chooses: keywords (soft ones too) and builtins.
KEPT_NAMES = frozenset(keyword.kwlist + keyword.softkwlist + dir(builtins))
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
    """The release's stubs: name → (ast.dump of the signature, dumps of the body's statements,
    the kinds of those statements), and the comment lines they carry (hints), stripped."""

    stubs: dict[str, tuple[str, frozenset[str], frozenset[str]]]
    comments: frozenset[str]


def own_code(path: Path, assignment_id: str | None) -> OwnCode | None:
    """The own code of the notebook (or .py) at `path`; None when it cannot be read."""
    try:
        cells = [cell for cell in _code_cells(Path(path)) if MAY_DEFINE.search(cell[1])]
    except extract.UnreadableNotebook:
        return None
    definitions, imported = _definitions(_kept_cells(cells))
    starter = starter_code(assignment_id)
    return OwnCode(tuple(_function(name, node, lines, starter, imported)
                         for name, (node, lines) in definitions.items()))


def _code_cells(path: Path) -> list[tuple[int, str]]:
    """(index, source) of the code cells, read as grading reads them."""
    if path.suffix == ".py":
        return extract.read_py_cells(path)
    return extract.read_notebook_cells(path)


def _kept_cells(cells: list[tuple[int, str]]) -> list[tuple[ast.Module, list[str]]]:
    """(tree, lines) of each cell as grading keeps it, in notebook order.

    grader.extract keeps every definition of a cell of plain Python, so such a cell is parsed here
    directly: IPython's transformer, which extract runs on every cell, is most of its cost and
    changes nothing in plain Python. Every other cell (magics, shell escapes, syntax errors) is
    extract's to decide. (A cell that parses but does not compile, `return` outside a function,
    is one extract drops and this keeps: what it defines is the student's own code all the same.)
    """
    kept, others = [], []
    for index, source in cells:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            others.append((index, source))
            continue
        kept.append((index, tree, source.splitlines()))
    extraction = extract.extract_cells(others)
    for index, source in zip(extraction.cell_indices, extraction.cells):
        kept.append((index, ast.parse(source), source.splitlines()))
    return [(tree, lines) for _, tree, lines in sorted(kept, key=lambda item: item[0])]


def _definitions(cells: list[tuple[ast.Module, list[str]]]
                 ) -> tuple[dict[str, tuple[ast.stmt, list[str]]], dict[str, str]]:
    """name → (its last top-level definition, the lines of its cell); and the names the cells
    import → how they compare: numpy as `np` whatever the student called it, others as they are."""
    definitions: dict[str, tuple[ast.stmt, list[str]]] = {}
    imported: dict[str, str] = {}
    for tree, lines in cells:
        for node in tree.body:
            name = _defined_name(node)
            if name:
                definitions[name] = (node, lines)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    numpy = isinstance(node, ast.Import) and alias.name == "numpy"
                    imported[bound] = "np" if numpy else bound
    return definitions, imported


def _defined_name(node: ast.stmt) -> str | None:
    if isinstance(node, DEFINITIONS):
        return node.name
    if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda)
            and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
        return node.targets[0].id
    return None


# --- one definition -----------------------------------------------------------------------------

def _function(name: str, node: ast.stmt, cell_lines: list[str], starter: Starter,
              imported: dict[str, str]) -> Function:
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    source_lines = cell_lines[first - 1:node.end_lineno]
    hidden = {line - first for line in _starter_lines(node, starter)}
    hidden |= {index for index, line in enumerate(source_lines)
               if line.strip().startswith("#") and line.strip() in starter.comments}
    not_compared = {line - first for line in _stub_header_lines(name, node, starter)}
    shown = [index for index in range(len(source_lines)) if index not in hidden]
    while shown and not source_lines[shown[-1]].strip():
        shown.pop()
    text = "\n".join("" if index in hidden else line
                     for index, line in enumerate(source_lines)) + "\n"
    tokens = _compared_tokens(text, tuple(sorted(imported.items())), tuple(shown),
                              tuple(sorted(not_compared)))
    return Function(name, tuple(source_lines[index] for index in shown), tokens)


@functools.lru_cache(maxsize=4096)   # a class writes many functions the very same way
def _compared_tokens(text: str, imports: tuple[tuple[str, str], ...], shown: tuple[int, ...],
                     not_compared: tuple[int, ...]) -> tuple[tuple[str, int], ...]:
    """The normalised tokens of `text` on the lines compared, each with its line's index among
    the `shown` lines."""
    position = {index: place for place, index in enumerate(shown) if index not in not_compared}
    return tuple([(token, position[line]) for token, line in _normalised_tokens(text, imports)
                  if line in position])


def _starter_lines(node: ast.stmt, starter: Starter) -> set[int]:
    """Line numbers (of the cell) of the starter code inside `node`: every docstring, and the
    statements a stub of the same name has (its `raise NotImplementedError`)."""
    lines: set[int] = set()
    for inner in _definitions_within(node):
        if inner.body and _is_docstring(inner.body[0]):
            lines.update(range(inner.body[0].lineno, inner.body[0].end_lineno + 1))
    stub = starter.stubs.get(getattr(node, "name", ""))
    if stub:
        for statement in node.body:
            # ast.dump is slow: only statements of a kind the stub has can be the stub's.
            if (type(statement).__name__ in stub[2] and not _is_docstring(statement)
                    and ast.dump(statement) in stub[1]):
                lines.update(range(statement.lineno, statement.end_lineno + 1))
    return lines


def _definitions_within(node: ast.stmt) -> list[ast.stmt]:
    """`node` and the functions and classes defined right in its body (a class's methods, a
    helper inside a function): where docstrings are. Deeper ones, inside an `if` or another
    nested function, are rare enough that their docstrings are left to count as code."""
    if not isinstance(node, DEFINITIONS):   # `relu = lambda Z: ...` has no docstring
        return []
    return [node] + [inner for inner in node.body if isinstance(inner, DEFINITIONS)]


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

def _normalised_tokens(text: str, imports: tuple[tuple[str, str], ...]) -> list[tuple[str, int]]:
    """(token, 0-based line) for `text`: see the module docstring. A tokenize error (unlikely in
    code that parsed) ends the stream where it happened."""
    imported = dict(imports)
    found: list[tuple[str, int]] = []
    depth, previous, name_at = 0, "", -1   # name_at: where the last name chosen by the student is
    try:
        for kind, text, (line, _), _, _ in tokenize.generate_tokens(io.StringIO(text).readline):
            if kind == NAME:
                if previous == "." or text in KEPT_NAMES:
                    normal = text
                else:
                    normal = imported.get(text, "V")
                    name_at = len(found) if normal == "V" else -1
            elif kind == OP:
                normal = text
                depth += (text in "([{") - (text in ")]}")
                if text == "=" and depth > 0 and name_at == len(found) - 1 >= 0:
                    found[name_at] = (previous, found[name_at][1])   # a keyword argument: kept
            elif kind in LITERALS:
                normal = _literal(text)
            else:
                normal = LAYOUT.get(kind)
                if normal is None:
                    continue
            found.append((normal, line - 1))
            previous = text
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return found


@functools.lru_cache(maxsize=65536)   # the same few literals recur in every notebook
def _literal(text: str) -> str:
    """One spelling per value: 1e-12 and 1E-12, 'W1' and "W1" compare equal; f-strings are S.
    Numbers are read without ast.literal_eval, which compiles each one."""
    try:
        if text[0].isdigit() or text[0] == ".":
            if text[-1] in "jJ":
                return repr(complex(text.replace("_", "")))
            digits = text.replace("_", "")
            integer = digits.isdigit() or digits[:2].lower() in ("0x", "0o", "0b")
            return repr(int(digits, 0) if integer else float(digits))
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
                                    frozenset(ast.dump(statement) for statement in node.body),
                                    frozenset(type(statement).__name__ for statement in node.body))
        comments.update(line.strip() for line in source.splitlines()
                        if line.strip().startswith("#"))
    return Starter(stubs, frozenset(comments))
