"""How a sandbox worker is started: its limits, environment and command (bubblewrap or plain).

Under bubblewrap the worker sees a new root built from an allowlist: /usr (read-only), the Python
interpreter and the site-packages NumPy lives in (read-only), worker.py and channel.py at
/opt/nnkit, the submission's scratch folder at /scratch, and private /tmp, /dev/shm, /dev and
/proc. The kit's repository, the hidden suites, the reference, /root, /home, other submissions and
the grader's temporary files are simply not there. It has no network, its own PID namespace (it
cannot see or signal the grader; everything in it dies with it) and, when the grader runs as
root, it drops to the `nobody` user right after starting.

Without bubblewrap the worker runs as the grader's user (as `nobody` when that is root, on Linux)
with the same limits; only the resource limits, the seccomp filter (which then also refuses
sockets), the scrubbed environment and the process group contain it.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WORKER_FILES = ("worker.py", "channel.py")
INSIDE_WORKER_DIR = "/opt/nnkit"
INSIDE_SCRATCH = "/scratch"
SANDBOX_USER = (65534, 65534)   # nobody:nogroup, for a worker started by a root grader
THREAD_HEADROOM = 16            # threads a worker may need on top of its main thread
TMPFS_BYTES = 64 << 20          # each of the private /tmp and /dev/shm
SYSTEM_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Times are wall-clock seconds, sizes bytes.

    memory_bytes caps the address space (RLIMIT_AS); NumPy with one BLAS thread needs ~150 MB.
    max_processes: child processes the student's code may start. 0 (the default) refuses every
    fork with a seccomp filter, threads still work; more needs bubblewrap running as root, where
    the worker has a user of its own whose process count RLIMIT_NPROC can cap.
    cpu_seconds: RLIMIT_CPU, a backstop behind the wall-clock limits (default: total + 10 s).
    """

    call_seconds: float = 10.0
    load_seconds: float = 10.0
    total_seconds: float = 120.0
    memory_bytes: int = 2 << 30
    max_processes: int = 0
    output_bytes: int = 64 << 10
    reply_bytes: int = 256 << 20
    file_bytes: int = 64 << 20
    cpu_seconds: int | None = None


@dataclass(frozen=True)
class Launch:
    """Everything `subprocess.Popen` needs to start one worker."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    bubblewrap: bool


def build_launch(limits: Limits, scratch_dir: Path, fd_in: int, fd_out: int,
                 bubblewrap: bool) -> Launch:
    """The command that starts a worker reading requests on `fd_in`, replying on `fd_out`."""
    drop_to = sandbox_user(bubblewrap)
    if limits.max_processes > 0 and not (bubblewrap and drop_to):
        # A user of its own caps the count; the PID namespace takes every process down with it.
        raise ValueError("Limits.max_processes > 0 can only be enforced when bubblewrap runs as "
                         "root (the worker then has a user of its own); leave it at 0 here")
    config = {"rlimits": _rlimits(limits, drop_to), "drop_to": drop_to,
              "cwd": INSIDE_SCRATCH if bubblewrap else str(scratch_dir),
              "die_with_parent": not bubblewrap,  # bubblewrap does it with --die-with-parent
              "block_processes": limits.max_processes == 0,
              "block_network": not bubblewrap}   # bubblewrap gives the worker no network
    worker_dir = INSIDE_WORKER_DIR if bubblewrap else str(HERE)
    command = [sys.executable, "-s", "-B", f"{worker_dir}/worker.py", str(fd_in), str(fd_out),
               json.dumps(config, separators=(",", ":"))]
    if drop_to:
        os.chown(scratch_dir, *drop_to)
    if not bubblewrap:
        return Launch(command, worker_env(str(scratch_dir), str(scratch_dir)), str(scratch_dir),
                      False)
    argv = bubblewrap_args(scratch_dir, as_root=drop_to is not None) + ["--"] + command
    return Launch(argv, worker_env(INSIDE_SCRATCH, "/tmp"), str(scratch_dir), True)


def sandbox_user(bubblewrap: bool) -> tuple[int, int] | None:
    """The user a worker drops to after starting, or None (it stays the grader's user).

    `nobody` whenever the grader runs as root (a root worker could raise its own limits, write
    any file and read any process's memory): under bubblewrap, which shows it the interpreter
    through world-readable mounts, and in plain mode on Linux if `nobody` can read the
    interpreter's files where they are (a root-only pyenv cannot be; the worker then stays root,
    and says so in the isolation it reports)."""
    if os.geteuid() != 0:
        return None
    if bubblewrap or (sys.platform.startswith("linux") and python_readable_by_all()):
        return SANDBOX_USER
    return None


@functools.cache
def python_readable_by_all() -> bool:
    """Whether any user can import from the standard library and NumPy where they are."""
    folders = {os.path.dirname(os.__file__), os.path.dirname(os.path.realpath(np.__file__)),
               os.path.dirname(os.path.realpath(sys.executable))}
    folders |= {os.path.join(os.path.dirname(os.__file__), "lib-dynload")}
    for folder in folders:
        if not os.path.isdir(folder):
            continue
        mode = os.stat(folder).st_mode
        if not (mode & stat.S_IROTH and mode & stat.S_IXOTH):
            return False
        for parent in Path(folder).parents:
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return False
    return True


def _rlimits(limits: Limits, drop_to) -> dict[str, tuple[int, int]]:
    cpu = limits.cpu_seconds or int(limits.total_seconds) + 10
    rlimits = {"RLIMIT_AS": (limits.memory_bytes, limits.memory_bytes),
               "RLIMIT_FSIZE": (limits.file_bytes, limits.file_bytes),
               "RLIMIT_CORE": (0, 0),
               "RLIMIT_CPU": (cpu, cpu + 2)}   # SIGXCPU at the soft limit, SIGKILL at the hard one
    if drop_to:
        # RLIMIT_NPROC counts every task of the user, so other workers' count as well.
        allowed = tasks_of_user(drop_to[0]) + 1 + limits.max_processes + THREAD_HEADROOM
        rlimits["RLIMIT_NPROC"] = (allowed, allowed)
    return rlimits


def tasks_of_user(uid: int) -> int:
    """Processes and threads that `uid` runs right now (what RLIMIT_NPROC counts)."""
    count = 0
    for entry in os.scandir("/proc"):
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                count += len(os.listdir(f"/proc/{entry.name}/task"))
        except OSError:
            continue   # it exited meanwhile
    return count


def worker_env(home: str, tmp: str) -> dict[str, str]:
    """The worker's whole environment: nothing of the grader's is passed on."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": tmp, "LANG": "C.UTF-8",
        # One BLAS thread: many workers run side by side, and results do not depend on timing.
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg",
        # glibc serves blocks over 128 KiB with fresh mmaps while several are alive, so each
        # ~1 MB array costs page faults again; kept on the heap, call_detailed's copies of the
        # arguments take half the time (measured: 1.9 → 0.9 ms for a 0.6 MB training call).
        "MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(128 << 20),
    }


# ---- bubblewrap ---------------------------------------------------------------------------------

#: Folders the worker gets as its own small, empty, writable tmpfs.
PRIVATE_TMPFS = ("/tmp", "/dev/shm")

def bubblewrap_args(scratch_dir: Path, as_root: bool) -> list[str]:
    """bwrap's options for a worker whose only writable host folder is `scratch_dir`."""
    args = ["bwrap", "--die-with-parent", "--unshare-ipc", "--unshare-pid", "--unshare-net",
            "--unshare-uts", "--unshare-cgroup-try"]
    if as_root:   # no user namespace: the worker keeps just enough to drop to nobody, then does
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-user", "--disable-userns"]
    # The private /tmp and /dev/shm come first, so that an interpreter or venv that lives under
    # /tmp (a common place for one) is bound on top of them rather than buried beneath.
    args += ["--proc", "/proc", "--dev", "/dev"]
    for path in PRIVATE_TMPFS:
        args += ["--perms", "1777", "--size", str(TMPFS_BYTES), "--tmpfs", path]
    mounts = _Mounts(args, made=PRIVATE_TMPFS)
    mounts.bind("/usr")
    for path in SYSTEM_DIRS:
        mounts.system_dir(path)
    python = python_dirs()
    for path in python:
        mounts.bind(path)
    kit_root = str(HERE.parents[1])
    if mounts.hide(kit_root):           # the interpreter lives inside the kit: show it again
        for path in python:
            if _inside(path, kit_root):
                mounts.bind(path)
    for path in hidden_packages():      # an installed (not editable) kit has them in site-packages
        mounts.hide(path)
    for name in WORKER_FILES:
        mounts.bind(str(HERE / name), f"{INSIDE_WORKER_DIR}/{name}")
    mounts.bind(str(scratch_dir), INSIDE_SCRATCH, writable=True)
    # The worker enters /scratch itself once it is the scratch folder's owner.
    return args + ["--remount-ro", "/", "--chdir", "/"]


class _Mounts:
    """Appends bind/tmpfs options, creating each parent folder world-readable (bwrap's default
    for the folders it creates is 0700, which the dropped-to user could not enter)."""

    def __init__(self, args: list[str], made=()):
        self.args = args
        self.made: set[str] = set(made)
        self.bound: list[str] = []

    def _parents(self, path: str) -> None:
        parent = os.path.dirname(path)
        if parent in ("/", "") or parent in self.made or \
                any(_inside(parent, bound) for bound in self.bound):
            return
        self._parents(parent)
        self.args += ["--perms", "0755", "--dir", parent]
        self.made.add(parent)

    def bind(self, source: str, dest: str | None = None, writable: bool = False) -> None:
        dest = dest or source
        self._parents(dest)
        self.args += ["--bind" if writable else "--ro-bind", source, dest]
        self.bound.append(dest)

    def system_dir(self, path: str) -> None:
        if os.path.islink(path):
            self.args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            self.bind(path)

    def hide(self, path: str) -> bool:
        """Cover `path` with an empty read-only tmpfs if it is visible; True if it was."""
        if not any(_inside(path, bound) for bound in self.bound) or not os.path.isdir(path):
            return False
        self.args += ["--tmpfs", path, "--remount-ro", path]
        return True


@functools.cache
def python_dirs() -> list[str]:
    """The folders the interpreter and NumPy need, outside /usr, none inside another."""
    executable_prefix = os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))
    numpy_site = os.path.dirname(os.path.dirname(os.path.realpath(np.__file__)))
    candidates = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix,
                  executable_prefix, numpy_site}
    candidates |= {os.path.realpath(path) for path in candidates}
    kept = [path for path in sorted(candidates) if not _inside(path, "/usr")]
    return [path for path in kept if not any(other != path and _inside(path, other)
                                             for other in kept)]


@functools.cache
def hidden_packages() -> list[str]:
    """Folders of the packages a student must never read: the grader (suites) and the reference."""
    folders = [str(HERE.parent)]
    spec = importlib.util.find_spec("reference")
    if spec and spec.submodule_search_locations:
        folders += list(spec.submodule_search_locations)
    return folders


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")
