"""The extract step: only definitions survive, magics are no-ops, and bad notebooks are problems."""

from __future__ import annotations

import nbformat
import pytest
from nbformat import v3, v4

from grader.extract import UnreadableNotebook, extract_cells, extract_file


def notebook(tmp_path, *cells: str, markdown_first: bool = False):
    """A v4 notebook of code cells (optionally after one markdown cell), saved as nb.ipynb."""
    nb = v4.new_notebook()
    if markdown_first:
        nb.cells.append(v4.new_markdown_cell("# Exercise"))
    nb.cells += [v4.new_code_cell(source) for source in cells]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def run(extraction, cell: int = 0) -> dict:
    """Execute one kept cell in a fresh namespace (trusted test code only) and return it."""
    namespace: dict = {}
    exec(compile(extraction.cells[cell], "cell", "exec"), namespace)
    return namespace


def summaries(extraction) -> list[str]:
    return [str(item) for item in extraction.skipped]


def test_definitions_imports_and_constants_are_kept(tmp_path):
    path = notebook(tmp_path, "import numpy as np\nEPS = 1e-8\nSHAPE = (784, 10)\n"
                              "ZEROS = np.zeros(SHAPE, dtype=np.float32)\n"
                              "relu = lambda Z: np.maximum(Z, 0)\n"
                              "def softmax(Z):\n    return np.exp(Z) / np.exp(Z).sum()\n"
                              "class Net:\n    pass\n")
    extraction = extract_file(path)
    namespace = run(extraction)
    assert namespace["EPS"] == 1e-8 and namespace["ZEROS"].shape == (784, 10)
    assert callable(namespace["relu"]) and callable(namespace["softmax"]) and "Net" in namespace
    assert extraction.skipped == [] and extraction.problems == []
    assert {"relu", "softmax", "EPS", "Net"} <= set(extraction.definitions)


def test_decorated_definitions_keep_their_decorators(tmp_path):
    source = "import functools\n@functools.lru_cache(maxsize=None)\ndef relu(x):\n    return max(x, 0)\n"
    namespace = run(extract_file(notebook(tmp_path, source)))
    assert namespace["relu"].cache_info().currsize == 0   # the decorator ran


def test_top_level_work_is_skipped_and_listed(tmp_path):
    path = notebook(tmp_path,
                    "import numpy as np\nimport time\n"
                    "X, y = load_mnist('train')\n"          # a call
                    "n = X.shape[0]\n"                      # uses a name that is not kept
                    "for epoch in range(10):\n    train()\n"
                    "while True:\n    time.sleep(1)\n"
                    "print('hello')\n"
                    "params['W1'] = 0\n"
                    "if __name__ == '__main__':\n    main()\n"
                    "with open('x') as f:\n    pass\n"
                    "def relu(Z):\n    return np.maximum(Z, 0)\n",
                    markdown_first=True)
    extraction = extract_file(path)
    listed = summaries(extraction)
    assert listed == [
        "code cell 1, line 3: `X, y = load_mnist('train')` (an assignment that calls `load_mnist`)",
        "code cell 1, line 4: `n = X.shape[0]` (uses `X`, which is not defined by the kept code)",
        "code cell 1, line 5: `for epoch in range(10): ...` (a loop)",
        "code cell 1, line 7: `while True: ...` (a loop)",
        "code cell 1, line 9: `print('hello')` (a call)",
        "code cell 1, line 10: `params['W1'] = 0` (assigns into an existing object)",
        "code cell 1, line 11: `if __name__ == '__main__': ...` (the script entry point)",
        "code cell 1, line 13: `with open('x') as f: ...` (a with-block)",
    ]
    assert "relu" in run(extraction)
    assert extraction.cell_indices == [0]    # the Markdown cell above is not counted


def test_magics_and_shell_escapes_are_no_ops(tmp_path):
    path = notebook(tmp_path,
                    "%matplotlib inline\n%load_ext autoreload\n!pip install numpy\n"
                    "import numpy as np\n"
                    "def relu(Z):\n    !echo inside\n    listing = !ls\n"
                    "    return np.maximum(Z, 0)\n",
                    "%%bash\nrm -rf /\n",
                    "%%time\ndef softmax(Z):\n    return Z\n")
    extraction = extract_file(path)
    assert summaries(extraction) == [
        "code cell 1, line 1: `%matplotlib inline` (an IPython magic or shell command)",
        "code cell 1, line 2: `%load_ext autoreload` (an IPython magic or shell command)",
        "code cell 1, line 3: `!pip install numpy` (an IPython magic or shell command)",
        "code cell 2, line 1: `%%bash` cell magic (not run)",
    ]
    relu = run(extraction, 0)["relu"]   # the nested magics became None, so this runs
    assert relu(-1.0) == 0
    assert extraction.cell_indices == [0, 2] and "softmax" in run(extraction, 1)
    assert "get_ipython" not in "".join(extraction.cells)


def test_plotting_imports_are_dropped_but_the_rest_of_the_import_kept(tmp_path):
    extraction = extract_file(notebook(
        tmp_path, "import numpy as np, matplotlib.pyplot as plt\nfrom tqdm import tqdm\n"
                  "from studentkit import check\n"))
    assert "np" in run(extraction) and "plt" not in run(extraction)
    assert extraction.skipped[-1].summary.startswith("`from studentkit import check`")
    del extraction.skipped[-1]
    assert summaries(extraction) == [
        "code cell 1, line 2: `from tqdm import tqdm` (plotting, display or self-checks: not needed for grading)"]


def test_a_syntax_error_costs_only_its_cell(tmp_path):
    path = notebook(tmp_path, "def relu(Z):\n    return Z\n",
                    "def softmax(Z):\n    return Z +\n\ndef forward(X, params):\n    pass\n",
                    "def backprop(X, Y, params, cache):\n    return {}\n")
    extraction = extract_file(path)
    assert extraction.problems == [
        "code cell 2 has a syntax error at line 2: invalid syntax; nothing in this cell was graded"]
    assert extraction.cell_indices == [0, 2]
    assert set(extraction.definitions) == {"relu", "backprop"}
    assert "code cell 2 has a syntax error" in extraction.why_missing("softmax")
    assert "did you delete or rename its cell" in extraction.why_missing("update")


def test_line_numbers_are_those_of_the_notebook_cell(tmp_path):
    path = notebook(tmp_path, "\n\nprint('work')\nfor i in range(3):\n    pass\n"
                              "def relu(Z):\n    return 1 / 0\n")
    extraction = extract_file(path)
    namespace: dict = {}
    exec(compile(extraction.cells[0], "cell", "exec"), namespace)
    with pytest.raises(ZeroDivisionError) as raised:
        namespace["relu"](1)
    assert raised.traceback[-1].lineno + 1 == 7   # pytest's lineno is 0-based
    assert extraction.cells[0].splitlines()[5] == "def relu(Z):"


def test_statements_sharing_a_line_are_split(tmp_path):
    extraction = extract_file(notebook(tmp_path, "A = 1; print(A); B = 2\n"))
    namespace = run(extraction)
    assert (namespace["A"], namespace["B"]) == (1, 2)
    assert summaries(extraction) == ["code cell 1, line 1: `A = 1; print(A); B = 2` (a call)"]


def test_nbformat_3_notebooks_are_upgraded(tmp_path):
    nb = v3.new_notebook(worksheets=[v3.new_worksheet(cells=[
        v3.new_code_cell(input="def relu(Z):\n    return Z * (Z > 0)\n")])])
    path = tmp_path / "old.ipynb"
    path.write_text(v3.nbjson.writes(nb))
    assert "relu" in run(extract_file(path))


@pytest.mark.parametrize("content, reason", [
    (b"", "is not valid notebook JSON (it is empty)"),
    (b"{not json", "is not valid notebook JSON (line 1"),
    (bytes(range(256)) * 4, "is not a text file"),
    (b'{"cells": []}', "is JSON but not a Jupyter notebook"),
    (b"[1, 2, 3]", "is JSON but not a Jupyter notebook"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": "nope"}',
     "could not be read as a notebook"),
])
def test_unreadable_notebooks_are_a_problem_not_a_crash(tmp_path, content, reason):
    path = tmp_path / "broken.ipynb"
    path.write_bytes(content)
    with pytest.raises(UnreadableNotebook) as raised:
        extract_file(path)
    assert reason in str(raised.value) and str(raised.value).startswith("broken.ipynb ")


def _saved_by_jupyter() -> dict:
    """A format-4.5 notebook as Jupyter saves one: markdown, a code cell with lines as a list,
    outputs of each kind, an attachment."""
    import json
    nb = v4.new_notebook(cells=[
        v4.new_markdown_cell("# Exercise", attachments={"a.png": {"image/png": ["iVBOR", "w0"]}}),
        v4.new_code_cell("import numpy as np\ndef relu(Z):\n    return np.maximum(Z, 0)\n",
                         outputs=[v4.new_output("stream", text="hi\n"),
                                  v4.new_output("execute_result", {"text/plain": ["1", "2"]},
                                                execution_count=1),
                                  v4.new_output("error", ename="E", evalue="", traceback=[])]),
        v4.new_raw_cell("raw"), v4.new_code_cell("x = 1\n")])
    data = json.loads(nbformat.writes(nb))
    assert type(data["cells"][1]["source"]) is list     # Jupyter saves text as lines
    return data


def _broken_ways(data: dict):
    """(what is odd, the notebook) for each way a format-4 notebook can be odd in its layout."""
    import copy

    def changed(what, change):
        odd = copy.deepcopy(data)
        change(odd)
        return what, odd
    code, markdown = 1, 0
    yield changed("no metadata", lambda nb: nb.pop("metadata"))
    yield changed("metadata a list", lambda nb: nb.update(metadata=[]))
    yield changed("no nbformat_minor", lambda nb: nb.pop("nbformat_minor"))
    yield changed("a cell that is text", lambda nb: nb["cells"].append("def f(): pass"))
    yield changed("a cell without metadata", lambda nb: nb["cells"][code].pop("metadata"))
    yield changed("cell metadata text", lambda nb: nb["cells"][code].update(metadata="x"))
    yield changed("no source", lambda nb: nb["cells"][code].pop("source"))
    yield changed("source a number", lambda nb: nb["cells"][code].update(source=3))
    yield changed("source lines with a number", lambda nb: nb["cells"][code]["source"].append(3))
    yield changed("source null", lambda nb: nb["cells"][code].update(source=None))
    yield changed("attachments a list", lambda nb: nb["cells"][markdown].update(attachments=[]))
    yield changed("an attachment text",
                  lambda nb: nb["cells"][markdown]["attachments"].update({"b.png": "x"}))
    yield changed("outputs text", lambda nb: nb["cells"][code].update(outputs="none"))
    yield changed("outputs an object", lambda nb: nb["cells"][code].update(outputs={"a": 1}))
    yield changed("outputs empty object", lambda nb: nb["cells"][code].update(outputs={}))
    yield changed("an output a number", lambda nb: nb["cells"][code]["outputs"].append(1))
    yield changed("output data a list", lambda nb: nb["cells"][code]["outputs"][1].update(data=[]))
    yield changed("output data null",
                  lambda nb: nb["cells"][code]["outputs"][1].update(data=None))
    yield changed("output text lines with a number",
                  lambda nb: nb["cells"][code]["outputs"][0].update(text=["a", 1]))
    yield changed("output text a number",
                  lambda nb: nb["cells"][code]["outputs"][0].update(text=1))
    yield changed("outputs on a markdown cell",
                  lambda nb: nb["cells"][markdown].update(outputs="x"))
    yield changed("no cell_type", lambda nb: nb["cells"][code].pop("cell_type"))
    yield changed("nbformat 4.0 (a float)", lambda nb: nb.update(nbformat=4.0))
    yield changed("minor version 99", lambda nb: nb.update(nbformat_minor=99))
    yield changed("nbformat 3", lambda nb: nb.update(nbformat=3))
    yield changed("nbformat 5", lambda nb: nb.update(nbformat=5))


def test_a_notebook_as_jupyter_saves_it_is_read_without_nbformat():
    """Plain format-4 notebooks, every one Jupyter saves, skip nbformat, which takes a grading
    process 0.1-0.15 s to import; they give what nbformat gives."""
    import json
    from grader.extract.cells import nbformat_cells, plain_format_4_cells
    data = _saved_by_jupyter()
    plain = plain_format_4_cells(data)
    assert plain == nbformat_cells(json.dumps(data))
    assert plain[0] == (0, "import numpy as np\ndef relu(Z):\n    return np.maximum(Z, 0)\n")
    assert [index for index, _ in plain] == [0, 1]


def test_reading_without_nbformat_gives_what_nbformat_gives_or_leaves_it_to_nbformat():
    """For every odd layout: the plain reading either declines (None: nbformat reads it, and
    refuses it if it must) or gives exactly nbformat's cells; never cells nbformat would refuse."""
    import json
    from grader.extract.cells import nbformat_cells, plain_format_4_cells
    declined = []
    for what, odd in _broken_ways(_saved_by_jupyter()):
        plain = plain_format_4_cells(odd)
        try:
            by_nbformat = nbformat_cells(json.dumps(odd))
        except Exception as error:
            by_nbformat = f"refused ({type(error).__name__})"
        if plain is None:
            declined.append(what)
        else:
            assert plain == by_nbformat, what
    # Most odd layouts go to nbformat; these few read the same either way.
    assert set(declined) >= {"no metadata", "a cell that is text", "cell metadata text",
                             "source lines with a number", "outputs text", "an output a number",
                             "output data null", "nbformat 3"}


def test_grading_a_plain_notebook_imports_neither_nbformat_nor_ipython(tmp_path):
    import subprocess
    import sys
    path = notebook(tmp_path, "def relu(Z):\n    return Z * (Z > 0)\n")
    script = ("import sys; from grader.extract import extract_file; "
              f"assert 'relu' in extract_file({str(path)!r}).definitions; "
              "print(sorted(m for m in sys.modules if m.split('.')[0] in "
              "('nbformat', 'jsonschema', 'fastjsonschema', 'IPython')))")
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True)
    assert shown.stdout.strip() == "[]"


#: Cells IPython's transformer changes although they parse as Python (IPython 8.12 strips the
#: prompt-like lines, even inside strings; 9.19 still some), and cells that do not start as plain
#: Python: each must go to IPython, as before, so that extraction stays what that version does.
CHANGED_BY_IPYTHON = ["s = '''\n... a\n'''\n", "x = 1\n...\n", "s = '''\nIn [1]: x\n'''",
                      "d = {\n    ...: 1}\n", "s = '''\n>>> x\n'''\n", "\x0cx = 1\n", "\rx = 1\n"]


def _every_cell_and_module() -> list[str]:
    """Every code cell of the kit's notebooks and every Python file of the kit (its own folders:
    not build/, which an install may leave)."""
    from pathlib import Path

    from grader.extract.cells import read_notebook_cells
    root = Path(__file__).resolve().parents[1]
    folders = [root / name for name in ("grader", "reference", "assignments", "benchmarks",
                                        "tests")]
    sources = [path.read_text() for folder in folders for path in folder.glob("**/*.py")]
    for path in (path for folder in folders for path in folder.glob("**/*.ipynb")):
        sources += [source for _, source in read_notebook_cells(path)]
    return sources


def test_plain_python_skips_ipythons_transformer_only_where_it_changes_nothing():
    from IPython.core.inputtransformer2 import TransformerManager

    from grader.extract import _plain_python, _transform_magics
    skipped = 0
    sources = _every_cell_and_module()
    for source in sources + CHANGED_BY_IPYTHON + ["x = 1", "x = 1   ", "y = 2\r\n"]:
        body = source.lstrip("\n \t")
        if _plain_python(body):     # what the transformer gave, before the plain cells skipped it
            skipped += 1
            leading = "\n" * source[:len(source) - len(body)].count("\n")
            assert _transform_magics(source) == (
                leading + TransformerManager().transform_cell(body), None), source[:80]
    for source in CHANGED_BY_IPYTHON:
        assert not _plain_python(source), source
    assert len(sources) > 500 and skipped >= 0.95 * len(sources)   # nearly all: 848 of 852


def test_py_files_split_on_percent_markers_with_file_line_numbers(tmp_path):
    path = tmp_path / "mnist_mlp.py"
    path.write_text("import numpy as np\n"
                    "# %%\n"
                    "def relu(Z):\n    return np.maximum(Z, 0)\n"
                    "# %% [markdown]\n"
                    "# Some text\n"
                    "# %%\n"
                    "def softmax(Z) oops\n"
                    "# %%\n"
                    "print(relu(-1))\n")
    extraction = extract_file(path)
    assert extraction.cell_indices == [0, 1]   # the markdown cell (index 2) holds no code
    assert extraction.cells[1].splitlines()[2] == "def relu(Z):"   # line 3 of the file
    assert extraction.problems == [
        "code cell 4 has a syntax error at line 8: expected ':'; nothing in this cell was graded"]
    assert summaries(extraction) == ["code cell 5, line 10: `print(relu(-1))` (a call)"]


def test_a_py_file_without_markers_is_one_cell(tmp_path):
    path = tmp_path / "solution.py"
    path.write_text("def relu(Z):\n    return Z\n\nrelu(3)\n")
    extraction = extract_file(path)
    assert len(extraction.cells) == 1 and summaries(extraction) == [
        "code cell 1, line 4: `relu(3)` (a call)"]


def test_constant_rule_rejects_calls_outside_the_allowlist():
    extraction = extract_cells([(0, "import numpy as np\n"
                                    "W = np.random.randn(784, 10)\n"          # random: not constant
                                    "rng = np.random.default_rng(0)\n"        # allowlisted
                                    "def max(*a):\n    return 0\n"
                                    "M = max(1, 2)\n"                         # rebound builtin
                                    "SIZES = [784] + [10] * 2\n")])
    assert [item.summary for item in extraction.skipped] == [
        "`W = np.random.randn(784, 10)` (an assignment that calls `np.random.randn`)",
        "`M = max(1, 2)` (an assignment that calls `max`)",
    ]
    assert {"rng", "SIZES"} <= set(extraction.definitions)


def test_pathological_cells_are_problems_not_crashes(tmp_path):
    deep = "X = " + "+".join(["1"] * 20000) + "\n"
    extraction = extract_file(notebook(tmp_path, "A = 1\x00\n", deep, "def relu(Z):\n    return Z\n"))
    assert extraction.problems == [
        "code cell 1 has a syntax error: source code string cannot contain null bytes; nothing in this "
        "cell was graded",
        "code cell 2 is too deeply nested to read; nothing in this cell was graded"]
    assert list(extraction.definitions) == ["relu"]


def test_every_definition_is_recorded_with_its_signature_and_where(tmp_path):
    """What the hints need: a function defined twice, and which definition is graded."""
    extraction = extract_file(notebook(
        tmp_path, "def init_params(n_input=784, n_hidden=128, n_output=10, seed=0):\n"
                  "    return {}\n",
        "EPOCHS = 3\nrelu = lambda Z: Z\n",
        "# pasted below\ndef init_params():\n    return {}\n"))
    first, last = extraction.defined_at["init_params"]
    assert (first.cell_index, first.line, first.text) == (
        0, 1, "init_params(n_input=784, n_hidden=128, n_output=10, seed=0)")
    assert (last.cell_index, last.line, last.text, last.where) == (
        2, 2, "init_params()", "code cell 3, line 2")
    assert last.source == "def init_params():\n    return {}"
    assert [(d.kind, d.text) for d in extraction.defined_at["EPOCHS"]] == [("constant", "EPOCHS = 3")]
    assert extraction.defined_at["relu"][0].kind == "function"
    assert extraction.definitions["init_params"] == 2   # the last one is the one that counts


def test_names_only_skipped_lines_set_are_recorded(tmp_path):
    """A function that reads one raises NameError when graded: the hint says where it is set."""
    extraction = extract_file(notebook(
        tmp_path, "import numpy as np\ndata = np.loadtxt('train.csv')\nm, n = data.shape\n"
                  "alpha = 0.1\n",
        "for epoch in range(3):\n    loss = 0.0\n"))
    assert set(extraction.unrun_names) == {"data", "m", "n", "epoch", "loss"}   # not alpha: kept
    assert str(extraction.unrun_names["m"]) == (
        "code cell 1, line 3: `m, n = data.shape` (uses `data`, which is not defined by the kept code)")
    assert extraction.unrun_names["loss"].summary.startswith("`for epoch in range(3): ...`")
