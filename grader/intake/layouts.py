"""Layouts: what a PATH given to `grade` holds → the submissions in it, each with a name.

An instructor points `grade` at whatever they have after the deadline:

    one submission        alice/ (its notebook at the top, or below it), alice.ipynb, alice.py
    a class folder        submissions/ whose sub-folders are submissions (alice/, bob/, ...):
                          two or more sub-folders, however many of them hold a notebook (one
                          that holds none is a student who handed in nothing); a folder with
                          exactly one sub-folder is one submission, its notebook below it
                          (alice/work/mnist_mlp.ipynb, or Gradescope's submission/ holding the
                          folder a student uploaded)
    an nbgrader course    course/ or course/submitted/: submitted/<student>/<assignment>/<notebook>
    an LMS download       a .zip of notebooks, one per student, the student named in the file
                          name (Canvas, Moodle, Blackboard or plain `<student>.ipynb`), or the
                          same files unzipped into one folder

Each is expanded into `Source`s (a path `grader.intake.submission.read_submission` reads, and the name its
reports go under). Archives are unpacked into `unpack_dir`, never beside them: a zip's member
names are the students' choice, so each is reduced to a safe file name, and members that are not
notebooks, or that are implausibly large, are left in the archive.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.assignments import ASSIGNMENTS

#: A member of an LMS zip bigger than this is not unpacked (a notebook with outputs is a few MB).
MAX_MEMBER_BYTES = 256 * 1024 * 1024

#: LMS file names → (student, the file's own name). Canvas: `doejane_LATE_123_456_mnist_mlp.ipynb`;
#: Blackboard: `Assignment_doejane_attempt_2026-11-22-23-59-59_mnist_mlp.ipynb`; Moodle puts each
#: student's files in a folder `Jane Doe_123_assignsubmission_file_/`.
LMS_FILE_PATTERNS = (
    re.compile(r"^(?P<student>[^_/]+)_(?:LATE_)?\d+_\d+_(?P<file>.+)$"),
    re.compile(r"^.+?_(?P<student>[^_/]+)_attempt_[\d-]+(?:_(?P<file>.+))?$"),
)
MOODLE_FOLDER = re.compile(r"^(?P<student>.+?)_\d+_assignsubmission_\w+?_?$")


@dataclass(frozen=True)
class Source:
    path: Path            # a submission folder or a notebook file
    name: str | None      # the submission's name; None: the folder's name or the file's stem


def expand(path: Path, unpack_dir: Path, assignment_id: str | None = None) -> list[Source]:
    """The submissions at `path`, in a stable (sorted) order."""
    if path.is_file() and path.suffix.lower() == ".zip":
        return expand_lms_zip(path, unpack_dir / _safe_name(path.stem))
    if not path.is_dir():
        return [Source(path, None)]
    if (path / "submitted").is_dir() and not _notebooks_at_top(path):
        path = path / "submitted"                       # an nbgrader course root
    if _notebooks_at_top(path):
        if _is_lms_folder(path):
            return _lms_sources(path)
        return [Source(path, None)]
    students = _sub_folders(path)
    if students and all(student.name in ASSIGNMENTS for student in students):
        return [Source(path, None)]                     # one student's nbgrader folder
    if _is_nbgrader_submitted(students):
        return _nbgrader_sources(students, assignment_id)
    if len(students) >= 2:
        # A class, counted by folders and not by notebooks: a class where only one student
        # handed anything in is still a class, and the others get a "no notebook" row.
        return [Source(student, None) for student in students]
    # One submission: its notebook in its one sub-folder (alice/work/mnist_mlp.ipynb, or
    # Gradescope's submission/ holding an uploaded folder), or no notebook at all.
    return [Source(path, None)]


# --- class folders and nbgrader ----------------------------------------------------------------

def _nbgrader_sources(students: list[Path], assignment_id: str | None) -> list[Source]:
    """submitted/<student>/<assignment>/: one submission per student and assignment, named after
    the student (and the assignment too when the folder holds several assignments)."""
    wanted = [assignment_id] if assignment_id else sorted(ASSIGNMENTS)
    pairs = [(student, student / assignment) for student in students for assignment in wanted
             if (student / assignment).is_dir()]
    several = len({folder.name for _, folder in pairs}) > 1
    return [Source(folder, f"{student.name}-{folder.name}" if several else student.name)
            for student, folder in pairs]


def _is_nbgrader_submitted(students: list[Path]) -> bool:
    return any((student / assignment).is_dir() for student in students for assignment in ASSIGNMENTS)


def _sub_folders(path: Path) -> list[Path]:
    return sorted(child for child in path.iterdir()
                  if child.is_dir() and not child.name.startswith((".", "__")))


def _notebooks_at_top(path: Path) -> list[Path]:
    return sorted(child for child in path.glob("*.ipynb") if child.is_file())


# --- LMS downloads ---------------------------------------------------------------------------

def lms_student(member: str) -> tuple[str, str] | None:
    """(student, file name) for an LMS download's member path, or None if it follows no LMS
    naming scheme. `member` uses `/` between folders, as zip files do."""
    parts = [part for part in member.split("/") if part]
    if len(parts) >= 2:
        moodle = MOODLE_FOLDER.match(parts[-2])
        if moodle:
            return moodle["student"], parts[-1]
    for pattern in LMS_FILE_PATTERNS:
        match = pattern.match(parts[-1]) if parts else None
        if match:
            return match["student"], match["file"] or parts[-1]
    return None


def _is_lms_folder(path: Path) -> bool:
    """Several notebooks at the top, all named the LMS way: an unzipped LMS download."""
    notebooks = _notebooks_at_top(path)
    return len(notebooks) > 1 and all(lms_student(notebook.name) for notebook in notebooks)


def _lms_sources(path: Path) -> list[Source]:
    named = [(lms_student(notebook.name)[0], notebook) for notebook in _notebooks_at_top(path)]
    return [Source(notebook, student) for student, notebook in sorted(named)]


def expand_lms_zip(archive: Path, destination: Path) -> list[Source]:
    """Unpack an LMS download's notebooks into destination/<student>/<file> and return one
    submission folder per student. A member whose name follows no LMS scheme is its own student:
    `alice.ipynb` → alice, `alice/mnist_mlp.ipynb` → alice.

    Shards of one class (grader.batch.shards) unpack the same zip into the same place, one after the
    other (grade holds DIR's lock meanwhile), and one may already be grading from the files the
    next one unpacks again: so each file is replaced atomically (a reader sees the old copy or
    the new one, never half of one), and only what the zip no longer holds is removed after."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = [info for info in bundle.infolist() if _is_notebook_member(info)]
            written = {_unpack_member(bundle, info, destination) for info in members}
            _remove_all_but(destination, written)        # the zip is the truth: no stale files
    except (zipfile.BadZipFile, OSError):
        return [Source(archive, None)]                   # graded as a non-notebook: a clear report
    return [Source(folder, None) for folder in _sub_folders(destination)] if destination.exists() \
        else []


def _unpack_member(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, destination: Path) -> Path:
    """Write one member to destination/<student>/<file> atomically; returns that path."""
    student, filename = _zip_member_student(info.filename)
    target = destination / _safe_name(student) / _safe_name(filename)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".tmp")
    try:
        with bundle.open(info) as stream, os.fdopen(handle, "wb") as copy:
            shutil.copyfileobj(stream, copy)
        os.chmod(temporary, 0o644)         # mkstemp's files are private; an unzipped one is not
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _remove_all_but(destination: Path, kept: set[Path]) -> None:
    """Delete every file below destination that is not in `kept` (a member the zip no longer
    holds, a temporary file of a killed unpacker), then the folders that are left empty."""
    for path in sorted(destination.rglob("*"), reverse=True):    # a folder's files before it
        if path in kept:
            continue
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
        else:
            path.unlink()


def _zip_member_student(member: str) -> tuple[str, str]:
    named = lms_student(member)
    if named:
        return named
    parts = [part for part in member.split("/") if part]
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    return Path(parts[-1]).stem, parts[-1]


def _is_notebook_member(info: zipfile.ZipInfo) -> bool:
    name = info.filename
    return (not info.is_dir() and name.lower().endswith(".ipynb")
            and not any(part.startswith((".", "__MACOSX")) for part in name.split("/"))
            and info.file_size <= MAX_MEMBER_BYTES)


def _safe_name(name: str) -> str:
    """A name that is one plain path component whatever the archive says (no `..`, no `/`)."""
    return re.sub(r"[^A-Za-z0-9._ -]+", "_", name).strip(" ._") or "submission"
