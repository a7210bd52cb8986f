"""Extract: a notebook (or a `.py` file) → the student's definitions, and nothing that does work.

Only what a module needs to *define* the graded functions survives, so grading never trains a
network, opens a plot or sleeps because a student left that in their notebook:

- imports (but not of plotting or display packages such as matplotlib, tqdm or IPython, nor of
  the course's self-check kit, studentkit);
- function and class definitions, decorated or not;
- constant assignments: every target is a name (or a tuple of names) and the value is a *constant
  expression* — literals, names already bound by kept code, attribute lookups, subscripts,
  operators, containers, lambdas, and calls to a short allowlist of cheap constructors (see
  `ALLOWED_NUMPY_CALLS`, `ALLOWED_BUILTIN_CALLS`);
- `try` blocks that only import.

Everything else at the top level (loops, calls, prints, `if __name__ == ...`, `with`, in-place
updates) is listed as `Skipped` and not run. IPython magics and shell escapes become no-ops:
IPython's own transformer turns them into `get_ipython()` calls, which are then skipped at the top
level and replaced by `None` inside functions. Cell magics whose body is Python (`%%time`,
`%%timeit`, `%%capture`, `%%prun`) keep their body; others (`%%bash`, `%%writefile`, ...) are
skipped whole.

Each cell is parsed alone: a syntax error drops only that cell (and the functions in it). Kept
source keeps its line numbers: dropped lines become blank lines, so a traceback's line number is
the line in the student's cell. For a `.py` file the line numbers are those of the file.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

# Reading cells lives in grader.extract.cells; these names are re-exported for the extract step's users.
from grader.extract.cells import UnreadableNotebook, read_notebook_cells, read_py_cells  # noqa: F401
from grader.extract.definitions import Definition, definitions_in, names_bound_by
from grader.results import Skipped

#: numpy constructors an assignment may call and still count as a constant (cheap, no side effects).
ALLOWED_NUMPY_CALLS = frozenset(
    "numpy." + name for name in (
        "array", "asarray", "zeros", "ones", "full", "eye", "arange", "linspace", "dtype",
        "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
        "random.default_rng",
    )
)
ALLOWED_BUILTIN_CALLS = frozenset({
    "int", "float", "bool", "str", "tuple", "list", "dict", "set", "frozenset", "range", "abs",
    "min", "max", "round", "len",
})
#: Packages for showing things and the course's own self-check kit: the graded functions never
#: need them, importing them costs time, and studentkit is not installed in the sandbox.
NOT_NEEDED_PACKAGES = frozenset({"matplotlib", "seaborn", "plotly", "IPython", "ipywidgets", "tqdm",
                                 "studentkit"})
#: Cell magics that run their body as ordinary Python.
PYTHON_BODY_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})

_DEF_PATTERN = re.compile(r"^(?:async\s+)?def\s+(\w+)|^(\w+)\s*=\s*lambda\b", re.MULTILINE)


@dataclass
class Extraction:
    """What survives of a submission. `cells[i]` is the kept source of notebook cell `cell_indices[i]`."""

    cells: list[str] = field(default_factory=list)
    cell_indices: list[int] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: top-level name → index of the cell whose kept code (re)defines it last.
    definitions: dict[str, int] = field(default_factory=dict)
    #: names a dropped (syntax error) cell seems to define → that cell's index.
    lost_definitions: dict[str, int] = field(default_factory=dict)
    #: top-level name → every kept definition of it, in notebook order (two for a function
    #: defined twice: the last one is the one graded).
    defined_at: dict[str, list[Definition]] = field(default_factory=dict)
    #: names that only skipped statements set → the first such statement (`m, n = data.shape`
    #: in a data cell): a function that reads one raises NameError when graded.
    unrun_names: dict[str, Skipped] = field(default_factory=dict)

    def why_missing(self, name: str) -> str:
        """Why the submission does not define `name`, as a sentence for the student."""
        if name in self.lost_definitions:
            return (f"{name} is not defined: code cell {self.lost_definitions[name] + 1} has a syntax "
                    "error, so nothing in it could be graded")
        return f"{name} is not defined (did you delete or rename its cell?)"


# --- reading -----------------------------------------------------------------------------------

def extract_file(path: Path) -> Extraction:
    """Read `path` (.ipynb or .py) and extract it; raises UnreadableNotebook with a reason."""
    path = Path(path)
    cells = read_py_cells(path) if path.suffix == ".py" else read_notebook_cells(path)
    return extract_cells(cells)


# --- extracting --------------------------------------------------------------------------------

def extract_cells(cells: list[tuple[int, str]]) -> Extraction:
    """Keep the definitions of each (cell index, source) code cell; see the module docstring."""
    result = Extraction()
    scope = _Scope()
    for index, source in cells:
        try:
            kept = _extract_cell(index, source, scope, result)
        except RecursionError:  # e.g. an expression nested thousands deep
            result.problems.append(f"code cell {index + 1} is too deeply nested to read; nothing in "
                                   "this cell was graded")
            continue
        if kept is not None and kept.strip():
            result.cells.append(kept)
            result.cell_indices.append(index)
    return result


class _Scope:
    """Names bound by kept code so far, and what module each import alias refers to."""

    def __init__(self):
        self.bound: set[str] = set()
        self.modules: dict[str, str] = {}  # alias → dotted module path ("np" → "numpy")


def _extract_cell(index: int, source: str, scope: _Scope, result: Extraction) -> str | None:
    original = source.splitlines()
    source, skipped_magic = _transform_magics(source)
    if skipped_magic:
        result.skipped.append(Skipped(index, 1, skipped_magic))
        return None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError) as error:  # ValueError: a null byte in the source
        _drop_cell(index, source, error, result)
        return None
    lines = source.splitlines(keepends=True)
    out = [""] * len(lines)
    for statement in tree.body:
        replacement, reason = _decide(statement, scope)
        if reason is not None:
            if reason:
                shown = original if len(original) >= len(lines) else lines
                skipped = Skipped(index, statement.lineno,
                                  f"`{_first_line(shown, statement)}` ({reason})")
                result.skipped.append(skipped)
                for name in names_bound_by(statement):
                    result.unrun_names.setdefault(name, skipped)
            continue
        _place(out, lines, statement, replacement)
        for name in _bound_names(statement):
            result.definitions[name] = index
        for definition in definitions_in(statement, index, source):
            result.defined_at.setdefault(definition.name, []).append(definition)
    kept = _neutralise_nested_magics("\n".join(out) + "\n")
    try:  # what parses may still not compile, e.g. `await` outside an async function
        compile(kept, f"cell {index + 1}", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        _drop_cell(index, source, error, result)
        return None
    return kept


def _drop_cell(index: int, source: str, error: SyntaxError | ValueError, result: Extraction):
    where = f" at line {error.lineno}" if getattr(error, "lineno", None) else ""
    what = getattr(error, "msg", None) or str(error)
    result.problems.append(f"code cell {index + 1} has a syntax error{where}: {what}; nothing in this "
                           "cell was graded")
    for match in _DEF_PATTERN.finditer(source):
        result.lost_definitions[match.group(1) or match.group(2)] = index


def _transform_magics(source: str) -> tuple[str, str | None]:
    """IPython syntax → plain Python; (source, None), or ("", why) when the whole cell is a magic."""
    if source.lstrip().startswith("%%"):
        first, _, body = source.lstrip().partition("\n")
        magic = first[2:].split(maxsplit=1)[0] if first[2:].strip() else ""
        if magic not in PYTHON_BODY_CELL_MAGICS:
            return "", f"`%%{magic}` cell magic (not run)"
        source = "\n" * (source.count("\n") - body.count("\n")) + body
    # IPython drops leading blank lines; put them back so line numbers stay the cell's own.
    body = source.lstrip("\n \t")
    leading = "\n" * source[:len(source) - len(body)].count("\n")
    if _plain_python(body):
        return leading + body + ("" if body.endswith("\n") else "\n"), None
    from IPython.core.inputtransformer2 import TransformerManager
    try:
        return leading + TransformerManager().transform_cell(body), None
    except Exception:  # an odd tokenisation error: let ast.parse report the syntax problem
        return source, None


#: Lines IPython's transformer would take for a pasted prompt (`>>> `, `... `, `In [1]: `,
#: `   ...: `) and strip, even inside a string: a cell with one is left to IPython.
_PROMPT_LIKE = re.compile(r"^(?:(?:>>>|\.\.\.)(?: |$)|In \[\d+\]: |\s*\.{3,}: ?)", re.MULTILINE)


def _plain_python(body: str) -> bool:
    """Whether IPython's transformer would give `body` back as it is (plus a final newline):
    plain Python, not starting with whitespace IPython strips, without prompt-like lines. Such a
    cell, which is nearly every cell, skips the transformer: that takes extracting one of the
    example notebooks from 8.7 to 5.6 ms, and the batch's fork server, which every grade
    waits for, no longer imports IPython (0.03-0.06 s). tests/test_extract.py compares the two
    on every cell and module of the kit."""
    if body[:1].isspace() or _PROMPT_LIKE.search(body):
        return False
    try:
        ast.parse(body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _decide(statement: ast.stmt, scope: _Scope) -> tuple[str | None, str | None]:
    """(replacement source or None to keep as is, None) to keep; (None, reason) to skip.
    An empty reason skips silently (docstrings, `pass`)."""
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return _decide_import(statement, scope)
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        scope.bound.add(statement.name)
        return None, None
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        return _decide_assignment(statement, scope)
    if isinstance(statement, ast.Try) and _only_imports(statement):
        for inner in ast.walk(statement):
            if isinstance(inner, (ast.Import, ast.ImportFrom)):
                _decide_import(inner, scope)
        return None, None
    if isinstance(statement, ast.Pass) or (isinstance(statement, ast.Expr)
                                           and isinstance(statement.value, ast.Constant)):
        return None, ""
    return None, _kind(statement)


def _decide_import(statement: ast.Import | ast.ImportFrom, scope: _Scope):
    module = (statement.module or "") if isinstance(statement, ast.ImportFrom) else ""
    kept = [alias for alias in statement.names
            if (module or alias.name).split(".")[0] not in NOT_NEEDED_PACKAGES]
    if not kept:
        return None, "plotting, display or self-checks: not needed for grading"
    for alias in kept:
        bound = alias.asname or alias.name.split(".")[0]
        scope.bound.add(bound)
        if isinstance(statement, ast.ImportFrom):
            scope.modules[bound] = f"{module}.{alias.name}"
        else:
            scope.modules[bound] = alias.name if alias.asname else bound
    if len(kept) == len(statement.names):
        return None, None
    return ast.unparse(type(statement)(**{**statement.__dict__, "names": kept})), None


def _decide_assignment(statement: ast.Assign | ast.AnnAssign, scope: _Scope):
    if None in (_target_names(target) for target in _targets(statement)):
        return None, "assigns into an existing object"
    # An annotation is evaluated too, so it must be as harmless as the value.
    evaluated = [statement.value, getattr(statement, "annotation", None)]
    reason = next(filter(None, (_why_not_constant(node, scope) for node in evaluated if node)), None)
    if reason:
        return None, reason
    scope.bound.update(_bound_names(statement))
    return None, None


def _why_not_constant(node: ast.expr, scope: _Scope) -> str | None:
    """None when `node` is a constant expression (module docstring); else why it is not."""
    if isinstance(node, ast.Lambda):
        defaults = [d for d in node.args.defaults + node.args.kw_defaults if d is not None]
        return next(filter(None, (_why_not_constant(d, scope) for d in defaults)), None)
    if isinstance(node, ast.Name):
        if node.id in scope.bound or node.id in ALLOWED_BUILTIN_CALLS:
            return None
        return f"uses `{node.id}`, which is not defined by the kept code"
    if isinstance(node, ast.Call):
        callee = _dotted(node.func, scope)
        if callee not in ALLOWED_NUMPY_CALLS and not (
                isinstance(node.func, ast.Name) and callee in ALLOWED_BUILTIN_CALLS
                and callee not in scope.bound):
            return f"an assignment that calls `{ast.unparse(node.func)}`"
        parts = node.args + [keyword.value for keyword in node.keywords]
        return next(filter(None, (_why_not_constant(part, scope) for part in parts)), None)
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.NamedExpr,
                         ast.Await, ast.Yield, ast.YieldFrom, ast.JoinedStr)):
        return "an assignment that runs code"
    if isinstance(node, ast.Attribute):
        return _why_not_constant(node.value, scope)
    children = list(ast.iter_child_nodes(node))
    return next(filter(None, (_why_not_constant(child, scope) for child in children
                              if isinstance(child, ast.expr))), None)


def _dotted(node: ast.expr, scope: _Scope) -> str:
    """`np.random.default_rng` → "numpy.random.default_rng" (import aliases resolved); else ""."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    root = scope.modules.get(node.id, node.id)
    return ".".join([root] + parts[::-1])


def _targets(statement: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return statement.targets if isinstance(statement, ast.Assign) else [statement.target]


def _target_names(target: ast.expr) -> list[str] | None:
    """The names a target binds, or None when it assigns into an object (`x[0] = `, `x.a = `)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        parts = [_target_names(element) for element in target.elts]
        return None if None in parts else [name for part in parts for name in part]
    return None


def _only_imports(statement: ast.Try) -> bool:
    blocks = statement.body + statement.orelse + statement.finalbody + [
        inner for handler in statement.handlers for inner in handler.body]
    return all(isinstance(inner, (ast.Import, ast.ImportFrom, ast.Pass)) for inner in blocks)


def _bound_names(statement: ast.stmt) -> list[str]:
    """The names a kept definition or assignment binds (imports are tracked by _decide_import)."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        return [name for target in _targets(statement) for name in _target_names(target) or []]
    return []


def _kind(statement: ast.stmt) -> str:
    """What a skipped statement is, in a few words."""
    if isinstance(statement, (ast.For, ast.AsyncFor, ast.While)):
        return "a loop"
    if isinstance(statement, ast.If):
        test = ast.unparse(statement.test).replace("'", '"')
        return "the script entry point" if test == '__name__ == "__main__"' else "an if-block"
    if isinstance(statement, (ast.With, ast.AsyncWith)):
        return "a with-block"
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        return "an IPython magic or shell command" if _is_magic(statement.value) else "a call"
    if isinstance(statement, ast.AugAssign):
        return "an in-place update"
    if isinstance(statement, ast.Expr):
        return "an expression"
    return f"a top-level `{type(statement).__name__.lower()}` statement"


def _is_magic(call: ast.Call) -> bool:
    """True for `get_ipython()` and `get_ipython().<method>(...)`, what IPython turns magics into."""
    func = call.func
    if isinstance(func, ast.Attribute):
        func = func.value.func if isinstance(func.value, ast.Call) else func.value
    return isinstance(func, ast.Name) and func.id == "get_ipython"


# --- writing the kept source with the original line numbers ------------------------------------

def _place(out: list[str], lines: list[str], statement: ast.stmt, replacement: str | None):
    """Copy `statement`'s source (or `replacement`) into `out` at its own lines."""
    first = statement.lineno
    if getattr(statement, "decorator_list", None):
        first = statement.decorator_list[0].lineno
    last = statement.end_lineno
    if replacement is not None:
        chunk = [replacement] + [""] * (last - first)
    else:
        # Statements sharing a line with `;` start or end mid-line: cut at their columns.
        chunk = lines[first - 1:last]
        chunk[-1] = _cut(chunk[-1], 0, statement.end_col_offset)
        chunk[0] = _cut(chunk[0], statement.col_offset if first == statement.lineno else 0, None)
    for offset, text in enumerate(chunk):
        text = text.rstrip("\n")
        row = first - 1 + offset
        out[row] = f"{out[row].rstrip()}; {text}" if out[row].strip() and offset == 0 else text


def _cut(line: str, start: int, end: int | None) -> str:
    """Slice a line by AST column offsets, which count UTF-8 bytes, not characters."""
    data = line.encode("utf-8")
    return data[start:end].decode("utf-8")


def _first_line(lines: list[str], statement: ast.stmt) -> str:
    text = lines[statement.lineno - 1].strip()
    more = statement.end_lineno > statement.lineno
    text = text[:60] + ("…" if len(text) > 60 else "")
    return f"{text} ..." if more else text


def _neutralise_nested_magics(source: str) -> str:
    """Replace `get_ipython()...(...)` calls inside kept code by `None` (same line, same count)."""
    tree = ast.parse(source)
    calls = sorted((node.lineno, node.col_offset, node.end_col_offset) for node in ast.walk(tree)
                   if isinstance(node, ast.Call) and _is_magic(node) and node.lineno == node.end_lineno)
    # `get_ipython().system('ls')` contains the call `get_ipython()`: replace only the outer one.
    outermost = [span for span in calls if not any(
        other != span and other[0] == span[0] and other[1] <= span[1] and span[2] <= other[2]
        for other in calls)]
    if not outermost:
        return source
    lines = source.splitlines(keepends=True)
    for lineno, start, end in sorted(outermost, reverse=True):
        data = lines[lineno - 1].encode("utf-8")
        lines[lineno - 1] = (data[:start] + b"None" + data[end:]).decode("utf-8")
    return "".join(lines)
