"""Read: the paths given to `grade` → one `Submission` per student, each with its assignment.

A path is first expanded into submissions by grader.intake.layouts (a class folder, an nbgrader course, an
LMS zip). Each submission is a folder holding the assignment's notebook (looked for at the top of the
folder, then below it, as in nbgrader's `submitted/<student>/<assignment>/` layout), or a `.ipynb`
or `.py` file. The assignment comes from `--assignment`, else the notebook's metadata
(`metadata.nnkit.assignment`), else the notebook's file name, else the folder it sits in.

A path that does not exist is the user's mistake (`UsageError`); anything wrong *inside* a
submission (no notebook, several, an unknown assignment) becomes that submission's `problem`, so it
still gets a report and the batch goes on. A notebook graded as another assignment than its
metadata names (`--assignment` says so) is graded as asked, with a warning in its report.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

from grader.intake import layouts
from grader.assignments import ASSIGNMENTS, METADATA_KEY, Assignment, assignment_from_filename, \
    get_assignment

SUBMISSION_SUFFIXES = (".ipynb", ".py")


class UsageError(Exception):
    """The command line itself is wrong; `str(error)` says what to do instead."""


@dataclass(frozen=True)
class Submission:
    """One student's work. `problem` says why it cannot be graded (then it scores zero)."""

    name: str                       # the folder's name, or the file's stem; unique in a batch
    path: Path                      # what was given on the command line
    notebook_path: Path | None      # the .ipynb or .py file to grade
    assignment: Assignment | None
    kind: str | None                # "ipynb" or "py"
    problem: str | None = None
    warnings: tuple[str, ...] = ()  # graded anyway, but the report says this first
    skip_mnist: bool = False        # the instructor left mnist_accuracy out (grade --skip-mnist)


def find_submissions(paths: list[str | Path], assignment_id: str | None = None,
                     unpack_dir: Path | None = None) -> list[Submission]:
    """The submissions at `paths` (each expanded by grader.intake.layouts: a class folder, an nbgrader
    course, an LMS zip), in order; raises UsageError for a missing path or unknown id. LMS zips
    are unpacked into `unpack_dir` (default: a folder `.unpacked` in the current folder)."""
    forced = _forced_assignment(assignment_id)
    check_paths(paths)
    unpack_dir = unpack_dir or Path(".unpacked")
    sources = [source for path in paths
               for source in layouts.expand(Path(path), unpack_dir, assignment_id)]
    submissions = [read_submission(source.path, forced, source.name) for source in sources]
    return _with_unique_names(submissions)


def check_paths(paths: list[str | Path]) -> None:
    """Raise UsageError naming every path that does not exist."""
    missing = [str(path) for path in paths if not Path(path).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}; give a submission folder, "
                         "a .ipynb or a .py file, a class folder or an LMS zip")


def check_explicit_paths(paths: list[str | Path], allow_empty: bool = False) -> None:
    """Raise UsageError for what the user named but cannot be graded, before anything runs: a
    file that is neither a notebook, a .py nor an LMS zip, and a lone PATH holding no notebook
    at all (most likely the wrong folder; a zero row for it would only pollute the gradebook).
    With several PATHs, one without a notebook is a student who handed in nothing (a zero
    report), and so is a lone one with `allow_empty`."""
    for path in map(Path, paths):
        if path.is_file() and path.suffix.lower() not in (*SUBMISSION_SUFFIXES, ".zip"):
            raise UsageError(f"{path} is neither a notebook (.ipynb), a Python file (.py) nor an "
                             "LMS download (.zip); give one of those, or the folder that holds "
                             "the submissions")
    if len(paths) == 1 and Path(paths[0]).is_dir() and not allow_empty \
            and not _notebooks_in(Path(paths[0])):
        raise UsageError(f"{paths[0]} holds no notebook (.ipynb); give a submission folder, a "
                         "class folder, an nbgrader course or an LMS zip, or the .ipynb or .py "
                         "files themselves (--allow-empty grades it as a submission that handed "
                         "in nothing)")


def read_submission(path: Path, forced: Assignment | None = None,
                    name: str | None = None) -> Submission:
    """The Submission at `path` (a folder or a file); problems are recorded, never raised."""
    name = name or (path.name if path.is_dir() else path.stem)
    if path.is_dir():
        notebook, problem = find_notebook(path, forced)
    elif path.suffix in SUBMISSION_SUFFIXES:
        notebook, problem = path, None
    else:
        notebook, problem = None, (f"{path.name} is neither a notebook (.ipynb) nor a Python file "
                                   "(.py); submit the assignment's notebook")
    if notebook is None:
        return Submission(name, path, None, forced, None, problem)
    assignment, problem = recognise_assignment(notebook, forced)
    return Submission(name, path, notebook, assignment, notebook.suffix[1:], problem,
                      warnings=tuple(filter(None, [assignment_mismatch(notebook, forced)])))


def find_notebook(folder: Path, forced: Assignment | None = None) -> tuple[Path | None, str | None]:
    """The notebook to grade inside `folder`: (path, None), or (None, the reason there is none)."""
    candidates = _notebooks_in(folder)
    if len(candidates) == 1:
        return candidates[0], None
    if not candidates:
        return None, (f"no notebook (.ipynb) in {folder.name}/: no notebook submitted, so there "
                      "was nothing to grade; the folder should hold the assignment's notebook")
    wanted = [forced] if forced else list(ASSIGNMENTS.values())
    known = [path for path in candidates
             if any(path.name.lower() == assignment.notebook.lower() for assignment in wanted)]
    if len(known) == 1:
        return known[0], None
    names = ", ".join(str(path.relative_to(folder)) for path in candidates)
    expected = " or ".join(assignment.notebook for assignment in wanted)
    return None, (f"{len(candidates)} notebooks in {folder.name}/ ({names}) and not exactly one "
                  f"is named {expected}; keep only the assignment's notebook (if they are several "
                  "students' notebooks, grade each: grade FOLDER/*.ipynb)")


def _notebooks_in(folder: Path) -> list[Path]:
    """Notebooks at the top of `folder`, else anywhere below it (hidden folders and checkpoints
    excluded), sorted so the choice never depends on the file system's order."""
    top = sorted(path for path in folder.glob("*.ipynb") if path.is_file())
    if top:
        return top
    return sorted(path for path in folder.rglob("*.ipynb") if path.is_file() and not any(
        part.startswith(".") for part in path.relative_to(folder).parts))


def recognise_assignment(notebook: Path, forced: Assignment | None = None
                         ) -> tuple[Assignment | None, str | None]:
    """(assignment, None), or (None, what to do) when neither metadata nor names tell."""
    if forced:
        return forced, None
    named = _metadata_assignment(notebook) if notebook.suffix == ".ipynb" else None
    if named is not None:
        if named in ASSIGNMENTS:
            return ASSIGNMENTS[named], None
        return None, (f"{notebook.name} says it belongs to assignment {named!r}, which this kit "
                      f"does not know ({_known()}); grade it with --assignment ID")
    by_name = (assignment_from_filename(notebook.name) or ASSIGNMENTS.get(notebook.stem)
               or ASSIGNMENTS.get(notebook.parent.name))
    if by_name:
        return by_name, None
    return None, (f"cannot tell which assignment {notebook.name} is for (no nnkit metadata and an "
                  f"unknown file name); grade it with --assignment ID ({_known()})")


def assignment_mismatch(notebook: Path, forced: Assignment | None) -> str | None:
    """A warning when `--assignment` grades a notebook as another assignment than its metadata
    names: its checks may then fail for that reason alone (a samples-as-columns notebook graded
    as rows loses three quarters of its points), and the report must say so."""
    named = _metadata_assignment(notebook) if forced and notebook.suffix == ".ipynb" else None
    if named is None or named == forced.id:
        return None
    return (f"{notebook.name} says it is for assignment {named!r} (its metadata) but it was "
            f"graded as {forced.id!r}, as the instructor asked (--assignment {forced.id}); checks "
            f"written for {forced.id} may fail only because of that")


def _metadata_assignment(notebook: Path) -> str | None:
    """`metadata.nnkit.assignment` of a notebook, or None if absent or unreadable (the extract
    step reports unreadable notebooks)."""
    try:
        metadata = json.loads(notebook.read_bytes().decode("utf-8")).get("metadata", {})
        named = metadata.get(METADATA_KEY, {}).get("assignment")
    except (OSError, ValueError, AttributeError, RecursionError):
        return None
    return named if isinstance(named, str) else None


def _forced_assignment(assignment_id: str | None) -> Assignment | None:
    if assignment_id is None:
        return None
    try:
        return get_assignment(assignment_id)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _known() -> str:
    return "known: " + ", ".join(sorted(ASSIGNMENTS))


def _with_unique_names(submissions: list[Submission]) -> list[Submission]:
    """Names safe as folder names and unique in the batch: a name given twice is qualified by its
    parent folder (`mnist_mlp-correct`, `mnist_mlp_columns-correct`), then numbered if need be."""
    bases = [_safe(submission.name) for submission in submissions]
    repeated = {base for base in bases if bases.count(base) > 1}
    seen: set[str] = set()
    unique = []
    for submission, base in zip(submissions, bases):
        if base in repeated:
            base = _safe(f"{submission.path.resolve().parent.name}-{base}")
        name, count = base, 1
        while name in seen:
            count += 1
            name = f"{base}-{count}"
        seen.add(name)
        unique.append(replace(submission, name=name))
    return unique


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "submission"
