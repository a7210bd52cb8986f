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
    """nbformat, imported on first use: it brings jsonschema (0.1 s), which only notebooks that
    are not plain format 4 need (plain_format_4_cells reads the others)."""
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
    plain = plain_format_4_cells(data)
    if plain is not None:
        return plain
    try:
        return nbformat_cells(text)
    except Exception as error:  # nbformat raises many kinds for malformed notebooks
        raise UnreadableNotebook(f"{path.name} could not be read as a notebook "
                                 f"({type(error).__name__}); open and re-save it in Jupyter") from None


def nbformat_cells(text: str) -> list[tuple[int, str]]:
    """read_notebook_cells' answer by nbformat, for any version; raises what nbformat raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        notebook = import_nbformat().reads(text, as_version=4)
    return _numbered_code_cells(notebook.cells)


def plain_format_4_cells(data: dict) -> list[tuple[int, str]] | None:
    """What read_notebook_cells gives, for a format-4 notebook laid out as Jupyter saves one;
    None for anything else, which nbformat reads (and may refuse). On these nbformat only joins
    the lines of sources and outputs (it validates too, but only logs what that finds), and
    importing it costs a grading process 0.1-0.15 s before its first submission. Everything on
    which nbformat's reading would fail is sent back to it (tests/test_extract.py compares)."""
    cells = data.get("cells")
    if data.get("nbformat") != 4 or type(data["nbformat"]) is not int \
            or type(data.get("metadata")) is not dict \
            or type(cells) is not list or not all(map(_plain_cell, cells)):
        return None
    return _numbered_code_cells(cells)


def _plain_cell(cell) -> bool:
    """A cell nbformat reads without fail: an object with object metadata, a text source,
    attachments (if any) an object of objects, and outputs (code cells) a list of objects whose
    data is an object and whose text is text."""
    if type(cell) is not dict or type(cell.get("metadata")) is not dict \
            or not _text(cell.get("source", "")):
        return False
    attachments = cell.get("attachments", {})
    if type(attachments) is not dict or not all(type(a) is dict for a in attachments.values()):
        return False
    outputs = cell.get("outputs", []) if cell.get("cell_type") == "code" else []
    return type(outputs) is list and all(
        type(output) is dict and type(output.get("data", {})) is dict
        and (type(output.get("text", "")) is not list or _text(output["text"]))
        for output in outputs)


def _text(value) -> bool:
    return type(value) is str or (type(value) is list and all(type(line) is str
                                                              for line in value))


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


def _numbered_code_cells(cells: list) -> list[tuple[int, str]]:
    """(index among the code cells, source) of each code cell: both readers' answer."""
    code_cells = [cell for cell in cells if cell.get("cell_type") == "code"]
    return [(index, _cell_source(cell)) for index, cell in enumerate(code_cells)]


def _cell_source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)
