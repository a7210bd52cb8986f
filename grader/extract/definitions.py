"""What the extract step records about the names a submission binds, for the hints that need
the student's source: where each function is defined (and whether twice), and which names only
statements that grading does not run would set.

    Definition(name, cell_index, line, kind, text, source)
        kind "function" (text: its signature, `init_params(n_input=784, n_hidden=128)`), "class",
        "constant" (text: the assignment's first line, `EPOCHS = 10`) or "import" (its line).

cell_index is 0-based (as in `grader.results.Skipped`), line 1-based within the cell.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class Definition:
    name: str
    cell_index: int
    line: int
    kind: str
    text: str
    source: str = ""

    @property
    def where(self) -> str:
        return f"code cell {self.cell_index + 1}, line {self.line}"


def definitions_in(statement: ast.stmt, cell_index: int, source: str) -> list[Definition]:
    """The kept names a top-level definition or constant assignment binds."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [Definition(statement.name, cell_index, statement.lineno, "function",
                           f"{statement.name}({ast.unparse(statement.args)})",
                           ast.get_source_segment(source, statement) or "")]
    if isinstance(statement, ast.ClassDef):
        return [Definition(statement.name, cell_index, statement.lineno, "class",
                           f"class {statement.name}", ast.get_source_segment(source, statement)
                           or "")]
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        text = (ast.get_source_segment(source, statement) or "").splitlines()[:1]
        return [Definition(name, cell_index, statement.lineno, "import", "".join(text))
                for name in names_bound_by(statement)]
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        text = (ast.get_source_segment(source, statement) or "").splitlines()[:1]
        kind = "function" if isinstance(statement.value, ast.Lambda) else "constant"
        return [Definition(name, cell_index, statement.lineno, kind, "".join(text))
                for name in names_bound_by(statement)]
    return []


def names_bound_by(statement: ast.stmt) -> list[str]:
    """Every name a statement binds, at any depth outside nested functions and classes: the
    targets of assignments and loops, `as` names, imports."""
    names: list[str] = []
    pending = [statement]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.append(node.id)
        elif isinstance(node, ast.alias):
            names.append((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and node is not statement:
            names.append(node.name)
            continue
        pending.extend(reversed(list(ast.iter_child_nodes(node))))
    return list(dict.fromkeys(names))


def globals_read(function_source: str) -> set[str]:
    """The names a function reads that are neither its arguments, nor its own variables, nor
    builtins: the globals it depends on (other functions and imports included)."""
    try:
        tree = ast.parse(function_source)
    except SyntaxError:
        return set()
    function = next((node for node in tree.body
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if function is None:
        return set()
    arguments = {arg.arg for arg in ast.walk(function.args) if isinstance(arg, ast.arg)}
    local, read = set(), set()
    for node in ast.walk(function):
        if isinstance(node, ast.Name):
            (local if isinstance(node.ctx, (ast.Store, ast.Del)) else read).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and node is not function:
            local.add(node.name)
    declared_global = {name for node in ast.walk(function) if isinstance(node, ast.Global)
                       for name in node.names}
    return (read - arguments - (local - declared_global) - BUILTINS) | (read & declared_global)
