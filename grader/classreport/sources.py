"""Which notebook each submission in DIR was graded from, remembered across runs in DIR.

Reports do not record the path (report.json may reach the student, and the path is the
instructor's); the class report needs it to compare code, also for submissions graded by earlier
runs or by other shards. DIR/.notebooks.json maps submission name → notebook, merged run by run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

from grader.render.atomic import write_atomically

SOURCES = ".notebooks.json"


def remember(out: Path, notebooks: Mapping[str, Path] | None) -> dict[str, Path]:
    """DIR's recorded notebooks with `notebooks` added (the newer win); written back if changed."""
    path = Path(out) / SOURCES
    try:
        known = {str(name): str(source) for name, source in
                 json.loads(path.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError, AttributeError):
        known = {}
    merged = {**known, **{name: str(Path(source).resolve())
                          for name, source in (notebooks or {}).items()}}
    if merged != known:
        write_atomically(path, json.dumps(merged, indent=1, sort_keys=True) + "\n")
    return {name: Path(source) for name, source in merged.items()}
