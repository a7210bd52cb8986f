"""Collect what the class report is built from: the reports in DIR, and each notebook's own code
with its fingerprints.

    read_reports(out) -> (results, recorded notebook paths, unreadable names)
    own_codes(items) -> {name: Compared | None}

One process does it all. Reading the notebooks in a process per core was tried: on two busy
cores it was slower (15.8 s against 9.6 s for 1,000 notebooks), pickling the answers back costing
what the second core saved.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import NamedTuple

from grader.classreport.fingerprints import Place, fingerprints
from grader.classreport.owncode import OwnCode, own_code
from grader.results import SubmissionResult

REPORT = "report.json"


class Compared(NamedTuple):
    """A submission's own code and its fingerprints (fingerprints.fingerprints)."""

    code: OwnCode
    prints: dict[int, list[Place]]


def read_reports(out: Path) -> tuple[list[SubmissionResult], dict[str, Path], list[str]]:
    """(results, name → recorded notebook path, names whose report.json is unreadable)."""
    results, sources, unreadable = [], {}, []
    for path in sorted(Path(out).glob(f"*/{REPORT}")):
        try:
            data = json.loads(path.read_text("utf-8"))
            result = SubmissionResult.from_json_dict(data)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            unreadable.append(path.parent.name)
            continue
        results.append(result)
        if isinstance(data.get("source"), str) and data["source"]:
            sources[result.submission] = Path(data["source"])
    return results, sources, unreadable


def own_codes(items: list[tuple[str, Path | None, str | None]]) -> dict[str, Compared | None]:
    """(name, notebook or None, assignment id) → name → its Compared, None without a notebook."""
    return {name: compare(path, assignment) for name, path, assignment in items}


def compare(path: Path | None, assignment: str | None) -> Compared | None:
    """The own code at `path` and its fingerprints; None when there is nothing to read.
    Remembered for as long as the file keeps its size and modification time: `grade` compares
    each notebook as soon as it is graded (in a thread, while the others are graded), so that
    the report written after the last one finds them done: for 1,000 notebooks it then takes
    1.6-1.7 s instead of 4.9-5.1 (`python benchmarks/class_report.py --count 1000`)."""
    if path is None:
        return None
    path = Path(path)
    try:
        found = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(found.st_mode):
        return None
    key = (str(path.resolve()), found.st_size, found.st_mtime_ns, assignment)
    if key not in _COMPARED:
        _COMPARED[key] = _compare(path, assignment)
    return _COMPARED[key]


#: (notebook, size, mtime, assignment) → what `compare` found; the class report's own, in-process.
_COMPARED: dict[tuple, Compared | None] = {}


def _compare(path: Path, assignment: str | None) -> Compared | None:
    try:
        code = own_code(path, assignment)
    except Exception:   # a student's file is untrusted input: it may cost its own comparison,
        return None     # never the class report (grading has already said what is wrong with it)
    return None if code is None else Compared(code, fingerprints(code))
