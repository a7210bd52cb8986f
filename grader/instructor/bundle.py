"""`nnkit bundle --assignment ID [--out autograder.zip]`: the zip a course uploads to
Gradescope as a programming assignment's autograder.

Gradescope unpacks the zip into /autograder/source, runs `setup.sh` once (as root, on its Ubuntu
image) to build the grading image, then runs `run_autograder` for every submission with the
student's files in /autograder/submission; whatever `run_autograder` leaves in
/autograder/results/results.json is the grade (gradescope-autograders.readthedocs.io, /specs/).

    setup.sh          installs Python ≥ 3.11, bubblewrap and the kit (in /autograder/venv),
                      downloads and checks MNIST into /autograder/mnist, and closes the
                      kit's files to every user but root
    run_autograder    `grade /autograder/submission --assignment ID --allow-empty
                      --require-isolation`, then copies the
                      submission's results.json (grader.render.gradescope) to Gradescope; if grading
                      produced none, writes a zero that says so
    kit/              the kit's source, exactly what `pip install` needs: pyproject.toml, README.md
                      (pyproject names it), grader/ (with the hidden suites and the rubric),
                      reference/ and assignments/studentkit/; no tests, datasets or feedback

The zip is reproducible: entries sorted, timestamps fixed, modes explicit (the two scripts
executable), so the same tree and assignment give the same bytes. `NNKIT_AUTOGRADER_ROOT`
(default /autograder) moves everything the scripts touch, so a test can run them in a temporary
folder; `NNKIT_PYTHON` names the interpreter run_autograder grades with (default the venv's).
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from pathlib import Path

from grader.assignments import get_assignment
from grader.render.atomic import write_atomically
from grader.batch.kit import source_files

KIT_ROOT = Path(__file__).resolve().parents[2]
#: Where the kit's source sits inside the zip, so /autograder/source/kit after Gradescope unpacks it.
KIT_FOLDER = "kit"
#: What `pip install` of the kit reads: the project file and the README it names...
PROJECT_FILES = ("pyproject.toml", "README.md")
#: ...and the packages pyproject finds (where = [".", "assignments"]), their source files as
#: grader.batch.kit lists them.
PACKAGE_FOLDERS = ("grader", "reference", "assignments/studentkit")
#: The earliest time a zip can hold: every entry gets it, so the bytes do not depend on mtimes.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
EXECUTABLE, REGULAR = 0o755, 0o644

SETUP_SH = r"""#!/usr/bin/env bash
# nnkit's Gradescope setup: Gradescope runs this once, as root, when it builds the autograder's
# image. Everything grading needs is installed and downloaded here, so that run_autograder never
# needs the network.
set -euo pipefail
ROOT="$(mkdir -p "${NNKIT_AUTOGRADER_ROOT:-/autograder}" && cd "${NNKIT_AUTOGRADER_ROOT:-/autograder}" && pwd)"
KIT="$ROOT/source/kit"
VENV="$ROOT/venv"
# `python -c` puts the working folder first on sys.path: work from one that holds no kit.
cd /

export DEBIAN_FRONTEND=noninteractive
apt-get update
# bubblewrap isolates the student's code (grade falls back to limits alone where the container
# forbids user namespaces; each report says which ran).
apt-get install -y --no-install-recommends python3 python3-pip python3-venv bubblewrap

# The kit needs Python 3.11 or later (tomllib); Ubuntu 22.04's python3 is 3.10.
PYTHON=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
    PYTHON=python3.11
fi
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --upgrade pip
"$VENV/bin/python" -m pip install "$KIT"

# MNIST, downloaded and checked against the official checksums now; run_autograder points
# MNIST_DIR here, and grading never downloads.
"$VENV/bin/python" -c 'import sys; from studentkit.mnist import ensure_mnist; ensure_mnist(sys.argv[1])' "$ROOT/mnist"

# Fail the image build, not every submission, if the installed kit cannot grade.
"$VENV/bin/python" -c 'import grader.checks.scoring, grader.render.gradescope, reference, studentkit.mnist'

# Student code runs as an unprivileged user of its own, which must read the interpreter and
# NumPy and nothing of the kit: the kit's installed packages and its source are closed to every
# user but root. (Where the kernel has Landlock, it keeps them out of reach in any case.)
SITE="$("$VENV/bin/python" -c 'import grader, os; print(os.path.dirname(os.path.dirname(grader.__file__)))')"
chmod -R go-rwx "$SITE/grader" "$SITE/reference" "$SITE/studentkit" "$ROOT/source"
chmod go-rw "$ROOT"
chmod go+x "$ROOT"
echo "nnkit is installed in $VENV; MNIST is in $ROOT/mnist"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# nnkit's Gradescope autograder: Gradescope runs this for every submission, as root. It grades
# /autograder/submission as @ASSIGNMENT@ and puts Gradescope's results.json where Gradescope
# reads it. Whatever happens, a valid results.json is written: the grade, or a zero that says why.
# This script's output goes to Gradescope's stdout, which only the instructor sees.
set -u
ASSIGNMENT="@ASSIGNMENT@"
ROOT="$(cd "${NNKIT_AUTOGRADER_ROOT:-/autograder}" && pwd)"
PYTHON="${NNKIT_PYTHON:-$ROOT/venv/bin/python}"
SUBMISSION="$ROOT/submission"
RESULTS="$ROOT/results/results.json"
export MNIST_DIR="${MNIST_DIR:-$ROOT/mnist}"

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
mkdir -p "$ROOT/results"
# An empty working folder: `python -m` puts the working folder first on sys.path.
cd "$OUT"

"$PYTHON" -c 'import sys, grader; print(f"run_autograder: nnkit from {grader.__file__}, Python {sys.version.split()[0]}")'
# --allow-empty: an upload without a notebook is the student's, and gets a zero that says so.
# --require-isolation: where student code could not be contained (no bubblewrap and no
# Landlock in this container), grade nothing rather than grade work that could read the suites.
"$PYTHON" -m grader "$SUBMISSION" --assignment "$ASSIGNMENT" --out "$OUT/feedback" --jobs 1 --allow-empty --require-isolation
status=$?
WHY="grade exited with status $status and produced no result"
if [ "$status" -eq 3 ]; then
    WHY="this machine cannot isolate submissions from the grader, so none was graded"
fi

GRADED="$OUT/feedback/$(basename "$SUBMISSION")/results.json"
if [ -s "$GRADED" ]; then
    cp "$GRADED" "$RESULTS"
    echo "run_autograder: grade exited with status $status; results.json written"
else
    echo "run_autograder: grade exited with status $status and wrote no results.json; reporting a zero" >&2
    cat > "$RESULTS" <<EOF
{
  "score": 0,
  "output": "**The autograder could not grade this submission** ($WHY). This is a problem of the autograder, not a judgement of your work: tell your instructor, who can see the details in the autograder's output.",
  "output_format": "md",
  "visibility": "visible",
  "stdout_visibility": "hidden",
  "tests": []
}
EOF
fi
exit 0
"""


class BundleError(Exception):
    """The bundle cannot be built; `str(error)` says what to do instead."""


def kit_files(kit_root: Path = KIT_ROOT) -> list[tuple[str, Path]]:
    """(path inside the kit, file) for every file `pip install` of the kit needs, sorted."""
    if not (kit_root / "pyproject.toml").is_file():
        raise BundleError(f"{kit_root} is not the kit's source (no pyproject.toml there); run "
                          "nnkit bundle from a checkout of the kit")
    files = [(name, kit_root / name) for name in PROJECT_FILES]
    files += [(path.relative_to(kit_root).as_posix(), path) for folder in PACKAGE_FOLDERS
              for path in source_files(kit_root / folder)]
    return sorted(files)


def bundle_entries(assignment_id: str, kit_root: Path = KIT_ROOT) -> list[tuple[str, bytes, int]]:
    """(name in the zip, content, mode) for every entry, sorted by name."""
    assignment = get_assignment(assignment_id)   # ValueError for an unknown id
    entries = [("setup.sh", SETUP_SH.encode(), EXECUTABLE),
               ("run_autograder", RUN_AUTOGRADER.replace("@ASSIGNMENT@", assignment.id).encode(),
                EXECUTABLE)]
    entries += [(f"{KIT_FOLDER}/{name}", path.read_bytes(), REGULAR)
                for name, path in kit_files(kit_root)]
    return sorted(entries)


def zip_bytes(entries: list[tuple[str, bytes, int]]) -> bytes:
    """A zip of `entries` that depends on nothing else: fixed time, Unix modes, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content, mode in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.create_system = 3                       # Unix, so that unzip honours the mode
            info.external_attr = (0o100000 | mode) << 16   # a regular file with `mode`
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def write_bundle(assignment_id: str, out: Path, kit_root: Path = KIT_ROOT) -> int:
    """Build the zip for `assignment_id` into `out`; returns its number of entries. Raises
    ValueError (unknown assignment), BundleError (no kit source) or OSError (cannot write)."""
    entries = bundle_entries(assignment_id, kit_root)
    write_atomically(out, zip_bytes(entries))
    return len(entries)


EPILOG = """\
example:
  nnkit bundle --assignment mnist_mlp --out autograder.zip

then, on Gradescope: create a Programming Assignment worth 100 points (the rubric's total),
open Configure Autograder, upload the zip, and wait for the image to build (setup.sh installs
the kit and downloads MNIST). Students submit the assignment's notebook; each gets the kit's
feedback as Gradescope tests, one per rubric check.

exit status: 0 written, 2 usage error (unknown assignment, --out not writable)"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):   # one line, no usage dump
        raise BundleError(f"{message} (see `nnkit bundle --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nnkit bundle", epilog=EPILOG,
                     description="Build the autograder zip to upload to Gradescope.",
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", metavar="ID", required=True,
                        help="the assignment submissions are graded as (mnist_mlp, "
                             "mnist_mlp_columns)")
    parser.add_argument("--out", metavar="ZIP", type=Path, default=Path("autograder.zip"),
                        help="where to write the zip (default: autograder.zip)")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.out.is_dir():
            raise BundleError(f"--out {args.out} is a folder; give the zip's file name, "
                              f"such as {args.out / 'autograder.zip'}")
        count = write_bundle(args.assignment, args.out)
    except (BundleError, ValueError) as error:
        print(f"nnkit bundle: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"nnkit bundle: cannot write --out {args.out} ({error.strerror}); give a path in "
              "a folder you can write to", file=sys.stderr)
        return 2
    print(f"wrote {args.out} ({count} files) for {args.assignment}: upload it in Gradescope's "
          "Configure Autograder")
    return 0


if __name__ == "__main__":
    sys.exit(main())
