"""The kit's own source files, listed one way for the two places that need exactly them: what a
grade's fingerprint covers (grader.batch) and what a Gradescope bundle ships (grader.instructor.bundle)."""

from __future__ import annotations

from pathlib import Path

#: The suffixes of the files the packages install: the suites are .py, the rubric .toml.
SOURCE_SUFFIXES = (".py", ".toml")


def source_files(folder: Path) -> list[Path]:
    """Every source file below `folder`, sorted; hidden files and __pycache__ left out."""
    return sorted(path for path in folder.rglob("*")
                  if path.is_file() and path.suffix in SOURCE_SUFFIXES
                  and not any(part.startswith(".") or part == "__pycache__"
                              for part in path.relative_to(folder).parts))
