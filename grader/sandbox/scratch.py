"""Emptying a worker's scratch folder, whatever the student left in it.

A submission can make its folder hard to delete: directories nested thousands deep (a recursive
delete runs out of stack, and their paths out of PATH_MAX), directories without permissions,
symbolic links to the grader's files, named pipes. `empty_folder` works on directory file
descriptors only, never follows a link, and flattens deep trees instead of recursing into them,
so its stack and its open file descriptors stay constant however deep the tree.
"""

from __future__ import annotations

import itertools
import os
import stat
import uuid
from pathlib import Path

_OPEN_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def empty_folder(folder: Path) -> None:
    """Remove everything inside `folder` (which stays). Subdirectories are made searchable and
    their own subdirectories hoisted up to `folder` before they are removed, one level at a
    time. A folder that does not exist is left alone."""
    try:
        os.chmod(folder, stat.S_IRWXU)      # the student may have locked its own folder
        top = os.open(folder, _OPEN_DIRECTORY)
    except FileNotFoundError:
        return
    prefix = f".nnkit-hoisted-{uuid.uuid4().hex}"   # a name the student cannot have taken
    hoisted = (f"{prefix}-{number}" for number in itertools.count())
    try:
        while True:
            entries = list(os.scandir(top))
            if not entries:
                return
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    _empty_one_level(top, entry.name, hoisted)
                    os.rmdir(entry.name, dir_fd=top)
                else:
                    os.unlink(entry.name, dir_fd=top)
    finally:
        os.close(top)


def _empty_one_level(top: int, name: str, hoisted) -> None:
    """Unlink the files of top/name and move its subdirectories up into top."""
    os.chmod(name, stat.S_IRWXU, dir_fd=top)      # a directory (checked), not a link
    directory = os.open(name, _OPEN_DIRECTORY, dir_fd=top)
    try:
        for entry in list(os.scandir(directory)):
            if entry.is_dir(follow_symlinks=False):
                # Moving a directory to another parent rewrites its "..": a grader that is not
                # root needs write permission on it, which the student may have taken away.
                os.chmod(entry.name, stat.S_IRWXU, dir_fd=directory)
                os.rename(entry.name, next(hoisted), src_dir_fd=directory, dst_dir_fd=top)
            else:
                os.unlink(entry.name, dir_fd=directory)
    finally:
        os.close(directory)
