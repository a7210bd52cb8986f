"""Writing a file so that readers see the old version or the complete new one, never half of it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, content: str | bytes) -> None:
    """Replace `path` with `content` (text is written as UTF-8) in one step (a temporary file in the same folder, then os.replace).

    The file is readable by everyone (0644): mkstemp makes temporary files private, but reports
    and run records are meant to be shared with students, TAs and gradebook tools.
    """
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove_leftovers(folder: Path) -> None:
    """Delete the temporary files a killed writer left in `folder` (`.<name>.<random>.tmp`):
    os.replace never ran for them, so they are half-written copies nobody will read."""
    if folder.is_dir():
        for leftover in folder.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)
