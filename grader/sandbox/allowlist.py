"""What a worker may see: the interpreter, the standard library, NumPy, the system's libraries and
its scratch folder — never the kit (hidden suites, rubric, reference), other submissions or the
grader's home (the grader's side).

One description serves both ways of confining a worker: bubblewrap builds the worker's file
tree from it (launcher.bubblewrap_args), Landlock turns it into rules (`landlock_paths`). Both
must work however the kit is installed:

- editable (`pip install -e .`): the kit is a source checkout, outside every site-packages;
- regular (`pip install .`, the Gradescope bundle): the kit's packages lie in the very
  site-packages NumPy comes from, so that folder is never shown whole: only NumPy's own folders;
- a pyenv or python.org build keeps site-packages inside the standard library's folder, which is
  therefore shown entry by entry, site-packages left out.

The worker starts the real interpreter with `-s -S -P` (no user site, no site-packages, no script
folder on the import path), so its import path is the standard library alone; NumPy is imported
from `Runtime.numpy_parent` before any student code runs and that folder is taken off again.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: Folders of the system (libc, libffi, OpenBLAS from Debian, …): read-only, the kit carved out.
SYSTEM_FOLDERS = ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin")
#: Single files and small folders the interpreter or NumPy may open while the student's code runs.
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/dev/null", "/dev/zero", "/dev/urandom",
                "/dev/random", "/sys/devices/system/cpu", "/proc/self")
#: Where installers put packages: never shown whole, wherever they sit.
PACKAGE_FOLDERS = ("site-packages", "dist-packages")
#: The kit's importable packages: what a student must never import or read, and whose source
#: decides a grade (a batch's fingerprints cover them: grader.batch.kit_digest).
KIT_PACKAGES = ("grader", "reference", "studentkit")
#: NumPy's own modules the worker imports up front; the rest load lazily from NumPy's folder.
NUMPY_MODULES = ("numpy", "numpy.linalg", "numpy.random", "numpy.fft")

_PROBE = """\
import json, sys
sys.path.insert(0, sys.argv[1])
import {modules}
sys.path.pop(0)
maps = open('/proc/self/maps').read().splitlines()
print(json.dumps({{"path": sys.path, "libraries": sorted({{line.split(None, 5)[5] for line in maps
    if len(line.split(None, 5)) == 6 and '.so' in line.split(None, 5)[5]}})}}))
""".format(modules=", ".join(NUMPY_MODULES))


@dataclass(frozen=True)
class Runtime:
    """The interpreter a worker runs, and what it loads. Paths are real (symlinks resolved)."""

    python: str                 # the interpreter's binary (a venv's python is a link to it)
    stdlib: list[str]           # the standard library's folders, as `python -s -S -P` lists them
    numpy_parent: str           # the folder holding numpy/ (often a site-packages)
    numpy_dirs: list[str]       # numpy/ and the libraries its wheel bundles (numpy.libs/)
    libraries: list[str]        # shared libraries it maps from outside SYSTEM_FOLDERS


#: runtime() once known in this process: asked, or adopted from the process that started it.
_RUNTIME: list[Runtime] = []


def runtime() -> Runtime:
    """What the real interpreter imports NumPy with: asked once per process (0.12 s: it starts
    the interpreter), or what adopt_runtime was given."""
    if not _RUNTIME:
        _RUNTIME.append(_ask_runtime())
    return _RUNTIME[0]


def known_runtime() -> list[Runtime]:
    """runtime()'s answer if this process has it already (a list of one), else []: asks nothing."""
    return list(_RUNTIME)


def adopt_runtime(found: Runtime) -> None:
    """Take `found`, what runtime() gave in the `grade` process that started this one (a batch's
    grading process: the same interpreter, NumPy and machine), instead of asking again."""
    if not _RUNTIME:
        _RUNTIME.append(found)


def _ask_runtime() -> Runtime:
    import numpy
    python = os.path.realpath(sys.executable)
    numpy_dir = os.path.dirname(os.path.realpath(numpy.__file__))
    numpy_parent = os.path.dirname(numpy_dir)
    found = {"path": [], "libraries": []}
    if sys.platform.startswith("linux"):
        probe = subprocess.run([python, "-s", "-S", "-P", "-B", "-c", _PROBE, numpy_parent],
                               capture_output=True, text=True, timeout=60, env=_probe_env())
        if probe.returncode == 0:
            found = json.loads(probe.stdout)
    stdlib = _outermost([os.path.realpath(path) for path in found["path"]
                         if os.path.isdir(path)])
    bundled = [path for path in (numpy_dir, f"{numpy_dir}.libs", os.path.join(numpy_dir, ".libs"))
               if os.path.isdir(path)]
    loaded = {os.path.realpath(path) for path in found["libraries"] if os.path.isfile(path)}
    loaded.add(python)
    libraries = sorted(path for path in loaded
                       if not any(_inside(path, folder) for folder in
                                  [*SYSTEM_FOLDERS, *stdlib, *bundled]))
    return Runtime(python, stdlib, numpy_parent, bundled, libraries)


def _probe_env() -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1"}


def package_folders(package: str) -> list[str]:
    """The folders of the top-level `package` ([] if it is not installed), found on the import
    path without importing it."""
    spec = importlib.util.find_spec(package)
    return list(spec.submodule_search_locations or []) if spec else []


@functools.cache
def hidden_paths() -> list[str]:
    """The kit's package folders, wherever they are installed, and its source checkout when it
    is one (an editable install: its examples and source notebooks hold the solutions)."""
    hidden = set()
    for package in KIT_PACKAGES:
        hidden |= {os.path.realpath(path) for path in package_folders(package)}
    here = Path(__file__).resolve()
    checkout = here.parents[2]
    if (checkout / "pyproject.toml").is_file() and checkout.name not in PACKAGE_FOLDERS:
        hidden.add(str(checkout))
    hidden.add(str(here.parents[1]))        # grader/, whichever way it is installed
    return sorted(hidden)


def landlock_paths(scratch: str, extra_writable: tuple[str, ...] = ()) -> tuple[list, list]:
    """(readable, writable) for landlock.prepare: what a worker may read, the kit and every
    site-packages left out; and its scratch folder (plus bubblewrap's private /tmp)."""
    rt, hidden = runtime(), hidden_paths()
    readable: list[str] = []
    for folder in rt.stdlib:
        readable += carve(folder, hidden, skip_names=PACKAGE_FOLDERS)
    for folder in rt.numpy_dirs:
        readable += carve(folder, hidden)
    for folder in (*SYSTEM_FOLDERS, *SYSTEM_FILES):
        if os.path.exists(folder):
            readable += carve(os.path.realpath(folder) if folder != "/proc/self" else folder,
                              hidden)
    readable += rt.libraries
    return sorted(set(readable)), [scratch, *extra_writable]


def carve(root: str, hidden: list[str], skip_names: tuple[str, ...] = ()) -> list[str]:
    """`root` as the fewest paths that cover all of it except the `hidden` paths (and entries
    named in `skip_names` directly inside it): `root` itself if nothing hidden lies inside,
    else its entries, each carved the same way."""
    if root in hidden:
        return []
    if not skip_names and not any(_inside(path, root) for path in hidden):
        return [root]
    if not os.path.isdir(root) or os.path.islink(root):
        return [root]
    kept = []
    for name in sorted(os.listdir(root)):
        if name in skip_names:
            continue
        kept += carve(os.path.join(root, name), hidden)
    return kept


def readable_by_others(paths: list[str]) -> bool:
    """Whether a user who is neither the owner nor in the group can read each of `paths` (and
    enter every folder above it): can a dropped-to worker import from there?"""
    import stat
    for path in paths:
        try:
            mode = os.stat(path).st_mode
            if not mode & stat.S_IROTH or (stat.S_ISDIR(mode) and not mode & stat.S_IXOTH):
                return False
            if not all(os.stat(parent).st_mode & stat.S_IXOTH for parent in Path(path).parents):
                return False
        except OSError:
            return False
    return True


def _outermost(paths: list[str]) -> list[str]:
    """The paths that are not inside another of them, in order."""
    return [path for path in dict.fromkeys(paths)
            if not any(other != path and _inside(path, other) for other in paths)]


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")
