"""Read a submission's code cells: a notebook (any nbformat version, upgraded to 4) or a `.py`
file split on `# %%` lines. The extract step (`grader.extract`) keeps their definitions."""

from __future__ import annotations

import json
import re
import sys
import warnings
from pathlib import Path

_PY_CELL_MARKER = re.compile(r"^# ?%%")


def import_nbformat():
    """nbformat, imported on first use: it brings jsonschema (0.1 s), which only notebooks need,
    so that a batch's fork server, whose start every grading process waits for, does without
    it; a grading process imports it while its first worker starts (grader.batch)."""
    # jsonschema builds a grammar for IRI checking at import time (~1.4 s) when rfc3987_syntax
    # is installed; notebook schemas never check IRIs, and jsonschema treats it as optional.
    sys.modules.setdefault("rfc3987_syntax", None)
    import nbformat
    return nbformat


class UnreadableNotebook(Exception):
    """The file cannot be read as a notebook; `str(error)` says why, in words for a student."""


def read_notebook_cells(path: Path) -> list[tuple[int, str]]:
    """(code cell index, source) of every code cell, any nbformat version upgraded to 4. Code
    cells are counted alone, as a student scrolling through them does ("code cell 9"), not with
    the Markdown cells between them, which no one counts."""
    text = _read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        reason = "it is empty" if not text.strip() else f"line {error.lineno}: {error.msg}"
        raise UnreadableNotebook(f"{path.name} is not valid notebook JSON ({reason}); "
                                 "re-download or re-save the notebook from Jupyter") from None
    except RecursionError:   # json parses nested arrays and objects recursively
        raise UnreadableNotebook(f"{path.name} is not a notebook: its JSON is nested thousands "
                                 "of levels deep; submit the .ipynb file saved by Jupyter") \
            from None
    if not isinstance(data, dict) or "nbformat" not in data:
        raise UnreadableNotebook(f"{path.name} is JSON but not a Jupyter notebook (no 'nbformat' "
                                 "field); submit the .ipynb file saved by Jupyter")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            notebook = import_nbformat().reads(text, as_version=4)
        code_cells = [cell for cell in notebook.cells if cell.get("cell_type") == "code"]
        return [(index, _cell_source(cell)) for index, cell in enumerate(code_cells)]
    except Exception as error:  # nbformat raises many kinds for malformed notebooks
        raise UnreadableNotebook(f"{path.name} could not be read as a notebook "
                                 f"({type(error).__name__}); open and re-save it in Jupyter") from None


def read_py_cells(path: Path) -> list[tuple[int, str]]:
    """Split a .py file into cells on `# %%` lines (else one cell). Each cell is padded with the
    blank lines before it, so its line numbers are the file's."""
    lines = _read_text(path).splitlines(keepends=True)
    starts = [0] + [number for number, line in enumerate(lines) if _PY_CELL_MARKER.match(line)]
    bounds = sorted(set(starts)) + [len(lines)]
    return [(index, "\n" * start + "".join(lines[start:end]))
            for index, (start, end) in enumerate(zip(bounds, bounds[1:]))
            if not (start < len(lines) and "[markdown]" in lines[start])]


def _read_text(path: Path) -> str:
    """The file's text; a UTF-8 byte-order mark (some Windows editors add one) is dropped."""
    try:
        return Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableNotebook(f"{Path(path).name} is not a text file (it is not UTF-8); "
                                 "submit the notebook saved by Jupyter") from None
    except OSError as error:
        raise UnreadableNotebook(f"{Path(path).name} could not be read ({error.strerror})") from None


def _cell_source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)
