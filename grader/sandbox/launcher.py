"""How a sandbox worker is started: its limits, environment and command (bubblewrap or plain).

Either way the worker is the real interpreter started with `-s -S -P` (its import path is the
standard library; NumPy is imported from its own folder, see allowlist.py), with a scrubbed
environment, resource limits, and Landlock rules that let it read only the standard library,
NumPy and the system's libraries and write only its scratch folder, with no TCP and no signals
to anyone outside (where the kernel has Landlock), and a seccomp filter.

Under bubblewrap the worker also sees a new root built from the same allowlist: /usr, the
interpreter, the standard library and NumPy's own folders (read-only), its modules at
/opt/nnkit, the submission's scratch folder at /scratch, and private /tmp, /dev/shm, /dev and
/proc. The kit, home folders, other submissions and the grader's temporary files are simply not
there. It has no network and its own PID namespace.

When the grader runs as root, the worker becomes a dedicated unprivileged user right after
starting (WORKER_USER), unless that user could not read the interpreter's files.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox import shared
from grader.sandbox.allowlist import (PACKAGE_FOLDERS, SYSTEM_FOLDERS, hidden_paths,
                                      landlock_paths, readable_by_others, runtime)

HERE = Path(__file__).resolve().parent
WORKER_FILES = ("worker.py", "channel.py", "confine.py", "seccomp.py", "landlock.py",
                "training.py")
INSIDE_WORKER_DIR = "/opt/nnkit"
INSIDE_SCRATCH = "/scratch"
#: The user and group a worker started by a root grader becomes: no account on the system has
#: them (nobody is shared with other daemons), so the worker owns nothing but its scratch folder.
WORKER_USER = (2_000_000_000 - 65534, 2_000_000_000 - 65534)
SANDBOX_USER = WORKER_USER
THREAD_HEADROOM = 16            # threads a worker may need on top of its main thread
TMPFS_BYTES = 64 << 20          # each of the private /tmp and /dev/shm
SYSTEM_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Times are seconds of CPU time, sizes bytes.

    call_seconds, load_seconds, total_seconds: CPU time a call, the loading, and the whole
    submission may use. CPU time, not the wall clock: on a busy machine a worker waits for a core
    without using any, so load cannot cost a student points. Each also has a wall-clock backstop,
    wall_factor times as long plus WALL_SLACK seconds, for code that waits instead of computing
    (a sleep, input(), a lock).
    memory_bytes caps the address space (RLIMIT_AS); NumPy with one BLAS thread needs ~150 MB.
    max_processes: child processes the student's code may start. 0 (the default) refuses every
    fork with a seccomp filter, threads still work; more needs bubblewrap running as root, where
    the worker has a user of its own whose process count RLIMIT_NPROC can cap.
    cpu_seconds: RLIMIT_CPU, the kernel's own backstop (default: total + 10 s).
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
    wall_factor: float = 3.0

    def wall_seconds(self, cpu_seconds: float) -> float:
        """The wall-clock backstop of a limit of `cpu_seconds` of CPU time."""
        return cpu_seconds * self.wall_factor + WALL_SLACK

    def cpu_limit(self) -> int:
        """RLIMIT_CPU's soft limit: SIGXCPU there, SIGKILL two seconds later."""
        return self.cpu_seconds or int(self.total_seconds) + 10


#: Seconds added to every wall-clock backstop: starting a worker on a busy machine.
WALL_SLACK = 5.0


@dataclass(frozen=True)
class Launch:
    """Everything `subprocess.Popen` needs to start one worker."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    bubblewrap: bool
    pass_fds: tuple[int, ...] = ()     # besides the channel's: the shared arrays' (shared.py)
    shared: frozenset[str] = frozenset()   # the names of the shared arrays the worker can map


def build_launch(limits: Limits, scratch_dir: Path, fd_in: int, fd_out: int,
                 bubblewrap: bool) -> Launch:
    """The command that starts a worker reading requests on `fd_in`, replying on `fd_out`."""
    drop_to = sandbox_user(bubblewrap)
    if limits.max_processes > 0 and not (bubblewrap and drop_to):
        # A user of its own caps the count; the PID namespace takes every process down with it.
        raise ValueError("Limits.max_processes > 0 can only be enforced when bubblewrap runs as "
                         "root (the worker then has a user of its own); leave it at 0 here")
    scratch = INSIDE_SCRATCH if bubblewrap else str(scratch_dir)
    readable, writable = landlock_paths(scratch, PRIVATE_TMPFS if bubblewrap else ())
    described, shared_fds = shared.for_worker()
    config = {"rlimits": _rlimits(limits, drop_to), "drop_to": drop_to, "cwd": scratch,
              "die_with_parent": not bubblewrap,  # bubblewrap does it with --die-with-parent
              "block_processes": limits.max_processes == 0,
              "block_network": not bubblewrap,   # bubblewrap gives the worker no network
              "numpy_parent": runtime().numpy_parent, "readable": readable, "writable": writable,
              "shared": described}
    worker_dir = INSIDE_WORKER_DIR if bubblewrap else str(HERE)
    command = [runtime().python, "-s", "-S", "-P", "-B", f"{worker_dir}/worker.py", str(fd_in),
               str(fd_out), json.dumps(config, separators=(",", ":"))]
    if drop_to:
        os.chown(scratch_dir, *drop_to)
    if not bubblewrap:
        return Launch(command, worker_env(str(scratch_dir), str(scratch_dir)), str(scratch_dir),
                      False, shared_fds, frozenset(described))
    argv = bubblewrap_args(scratch_dir, as_root=drop_to is not None) + ["--"] + command
    return Launch(argv, worker_env(INSIDE_SCRATCH, "/tmp"), str(scratch_dir), True, shared_fds,
                  frozenset(described))


def sandbox_user(bubblewrap: bool) -> tuple[int, int] | None:
    """The user a worker drops to after starting, or None (it stays the grader's user).

    WORKER_USER whenever the grader runs as root (a root worker could raise its own limits,
    write any file and read any process's memory): under bubblewrap, which shows it the
    interpreter through world-readable mounts, and in plain mode on Linux if other users can
    read the interpreter's files where they are (a pyenv under a private /root cannot be read;
    the worker then stays uid 0 without any capability, and says so in the isolation it
    reports)."""
    if os.geteuid() != 0:
        return None
    if bubblewrap or (sys.platform.startswith("linux") and python_readable_by_all()):
        return WORKER_USER
    return None


def python_readable_by_all() -> bool:
    """Whether any user can run the interpreter and import the standard library and NumPy."""
    rt = runtime()
    return readable_by_others([rt.python, *rt.stdlib, *rt.numpy_dirs, *rt.libraries])


def _rlimits(limits: Limits, drop_to) -> dict[str, tuple[int, int]]:
    cpu = limits.cpu_limit()
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
    """bwrap's options for a worker whose only writable host folder is `scratch_dir`: a new root
    holding the system's folders, the interpreter, the standard library (its site-packages
    emptied) and NumPy's own folders, all read-only, with the kit covered wherever it shows."""
    args = ["bwrap", "--die-with-parent", "--unshare-ipc", "--unshare-pid", "--unshare-net",
            "--unshare-uts", "--unshare-cgroup-try"]
    if as_root:   # no user namespace: the worker keeps just enough to drop to its user, then does
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
    rt = runtime()
    for path in [rt.python, *rt.libraries]:
        if not mounts.shows(path):
            mounts.bind(path)
    for folder in rt.stdlib:
        if not mounts.shows(folder):
            mounts.bind(folder)
        for name in PACKAGE_FOLDERS:     # a pyenv's or python.org's site-packages lives here
            mounts.hide(os.path.join(folder, name), keep_writable=True)
    for folder in rt.numpy_dirs:
        mounts.bind(folder)
    for path in hidden_paths():          # a kit installed under /usr, or beside NumPy
        if not any(_inside(folder, path) for folder in rt.numpy_dirs):
            mounts.hide(path)
    mounts.seal()
    for name in WORKER_FILES:
        mounts.bind(str(HERE / name), f"{INSIDE_WORKER_DIR}/{name}")
    for cached in compiled_worker_files():
        mounts.bind(cached, f"{INSIDE_WORKER_DIR}/__pycache__/{os.path.basename(cached)}")
    mounts.bind(str(scratch_dir), INSIDE_SCRATCH, writable=True)
    # The worker enters /scratch itself once it is the scratch folder's owner.
    return args + ["--remount-ro", "/", "--chdir", "/"]


def compiled_worker_files() -> list[str]:
    """The bytecode of each module the worker imports whose bytecode is cached beside
    it (pip compiles an installed kit; an editable one has it once imported), for bubblewrap to
    show at /opt/nnkit/__pycache__/: otherwise every worker compiles them again (26 ms here).
    They are the kit's own files, as the sources are, and Python uses one only if its header
    matches the bound source's size and time; the worker writes none (-B, a read-only tree)."""
    compiled = []
    for name in WORKER_FILES:
        if name == "worker.py":            # the script itself: Python never reads its cache
            continue
        cached = importlib.util.cache_from_source(str(HERE / name))
        if os.path.isfile(cached):
            compiled.append(cached)
    return compiled


class _Mounts:
    """Appends bind/tmpfs options, creating each parent folder world-readable (bwrap's default
    for the folders it creates is 0700, which the dropped-to user could not enter)."""

    def __init__(self, args: list[str], made=()):
        self.args = args
        self.made: set[str] = set(made)
        self.bound: list[str] = []
        self.unsealed: list[str] = []

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

    def shows(self, path: str) -> bool:
        return any(_inside(path, bound) for bound in self.bound)

    def hide(self, path: str, keep_writable: bool = False) -> bool:
        """Cover `path` with an empty tmpfs if it is visible; True if it was. It is made
        read-only at once, or by `seal` once what must show inside it is bound (keep_writable)."""
        if not self.shows(path) or not os.path.isdir(path):
            return False
        self.args += ["--size", str(TMPFS_BYTES), "--tmpfs", path]
        if keep_writable:
            self.unsealed.append(path)
        else:
            self.args += ["--remount-ro", path]
        return True

    def seal(self) -> None:
        for path in self.unsealed:
            self.args += ["--remount-ro", path]
        self.unsealed = []


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")
