"""The ways instructors really run the kit, for the hostile corpus to be graded in each.

Three deployments, each with the kit installed editable (a source checkout) and regularly
(`pip install .`: the kit then sits in the very site-packages NumPy comes from):

- bubblewrap: Linux where bubblewrap works, graded as root (CI's set-up);
- plain as root: where bubblewrap cannot make namespaces (a container, Gradescope), forced with
  NNKIT_SANDBOX=plain;
- plain as a user: a laptop or WSL without bubblewrap, `grade` run by an unprivileged account
  (USER, made by .ci/run with useradd), NNKIT_SANDBOX=plain.

The installs other than the test run's own editable one use Debian's /usr/bin/python3.11, which
every user can run (the tests' own interpreter may live under a private /root), in virtual
environments under VENVS: one with the kit installed regularly, one with it editable from a copy
of the checkout that USER can read. They are built once per machine and refreshed (the kit only,
without its dependencies) at the start of every test session.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from hostile.harness import ROOT

USER = "nnkit-grader"
SYSTEM_PYTHON = "/usr/bin/python3.11"
VENVS = Path("/var/tmp/nnkit-test-installs")


@dataclass(frozen=True)
class Deployment:
    sandbox: str          # "bubblewrap", or "plain" (limits, Landlock)
    as_user: bool         # graded by USER instead of the test's own user
    install: str          # "editable" or "regular"

    @property
    def id(self) -> str:
        who = "-user" if self.as_user else ""
        return f"{self.sandbox}{who}-{self.install}"


DEPLOYMENTS = [Deployment(sandbox, as_user, install)
               for sandbox, as_user in (("bubblewrap", False), ("plain", False), ("plain", True))
               for install in ("editable", "regular")]


@dataclass(frozen=True)
class Install:
    python: str           # the interpreter `python -m grader` runs with
    kit: Path             # where the kit's packages lie: a checkout, or a site-packages


def install_for(deployment: Deployment) -> Install:
    """The interpreter and kit for a deployment, built or refreshed on first use."""
    if deployment.install == "editable" and not deployment.as_user:
        return Install(sys.executable, ROOT)
    require_system_python()
    if deployment.install == "regular":
        return _installed("regular", editable=False)
    return _installed("editable", editable=True)


_REFRESHED: dict[str, Install] = {}


def _installed(name: str, editable: bool) -> Install:
    if name in _REFRESHED:
        return _REFRESHED[name]
    venv = VENVS / name
    python = venv / "bin" / "python"
    if not python.exists():
        _run([SYSTEM_PYTHON, "-m", "venv", str(venv)])
        _run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"])
        _run([str(python), "-m", "pip", "install", "-q", *kit_dependencies()])
    if editable:
        source = VENVS / "kit-source"
        copy_checkout(source)
        _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
              "-e", str(source)])
        kit = source
    else:
        _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
              str(ROOT)])
        kit = Path(subprocess.run([str(python), "-c", "import grader, os; print(os.path.dirname("
                                   "os.path.dirname(grader.__file__)))"], check=True,
                                  capture_output=True, text=True).stdout.strip())
    for folder in (VENVS, venv):
        folder.chmod(0o755)
    _REFRESHED[name] = Install(str(python), kit)
    return _REFRESHED[name]


def kit_dependencies() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return list(project["dependencies"])


def copy_checkout(target: Path) -> None:
    """The checkout's files (tracked, and new ones not ignored, as in the working tree) under
    `target`, readable by all."""
    shutil.rmtree(target, ignore_errors=True)
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target / name)
    subprocess.run(["chmod", "-R", "a+rX", str(target)], check=True)


def require_system_python() -> None:
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        _missing(f"{SYSTEM_PYTHON} (Debian's python3.11 and python3.11-venv) is not installed")


def require_user() -> pwd.struct_passwd:
    """USER's account; the test fails in CI and skips elsewhere where it cannot be had."""
    if os.geteuid() != 0:
        _missing("grading as another user needs the tests to run as root")
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        _missing(f"no account {USER!r}: make it with `useradd --system {USER}` (.ci/run does)")


def _missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"CI must grade the hostile corpus in every deployment: {reason}",
                    pytrace=False)
    pytest.skip(reason)


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout[-2000:]}"
                           f"{result.stderr[-3000:]}")
