"""The worker's own confinement, applied before any student code runs (worker side).

The channel's pipes move out of the student's way, the resource limits go down, and a worker
started by a root grader becomes an unprivileged user for good (or, where that user could not
read the interpreter, stays uid 0 with every capability gone). The seccomp filter (seccomp.py)
and Landlock (landlock.py) come after this.

Only the standard library may be imported here: this file runs inside the sandbox.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import resource
import sys

CHANNEL_FD_FLOOR = 100        # the pipes move above the fds student code usually gets


def move_channel(fd_in: int, fd_out: int) -> tuple[int, int]:
    """Duplicate the pipes to high, close-on-exec fds and close the originals."""
    moved = tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, CHANNEL_FD_FLOOR)
                  for fd in (fd_in, fd_out))
    os.close(fd_in)
    os.close(fd_out)
    return moved


def apply_limits(config: dict) -> list[str]:
    """Lower the resource limits (never above a hard limit the grader itself runs under);
    the names of those this system refused (macOS cannot limit RLIMIT_AS, for one)."""
    refused = []
    for name, (soft, hard) in config["rlimits"].items():
        which = getattr(resource, name)
        ceiling = resource.getrlimit(which)[1]
        if ceiling != resource.RLIM_INFINITY:
            soft, hard = min(soft, ceiling), min(hard, ceiling)
        try:
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError):
            refused.append(name)
    if config["die_with_parent"] and sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        prctl(PR_SET_PDEATHSIG, 9)
        if os.getppid() == 1:          # the grader died before we asked to follow it
            os._exit(1)
    return refused


def prctl(option: int, *args: int) -> int:
    """prctl(2) with every argument passed as a full unsigned long, as the kernel reads them."""
    libc = ctypes.CDLL(None, use_errno=True)
    values = [ctypes.c_ulong(value) for value in (option, *args, 0, 0, 0, 0)[:5]]
    return libc.prctl(*values)


PR_GET_DUMPABLE, PR_SET_DUMPABLE = 3, 4


def make_undumpable() -> None:
    """No other process of the same user may open this one's memory (/proc/<pid>/mem) or
    attach to it: one student's worker can then neither read nor change another's, even where
    there is no Landlock to scope ptrace. Set after dropping privileges, which resets it."""
    if sys.platform.startswith("linux") and prctl(PR_SET_DUMPABLE, 0) != 0:
        raise SystemExit("nnkit worker: could not make itself undumpable")


def forbid_new_privileges() -> None:
    """no_new_privs: nothing this process runs can gain privileges, and Landlock and seccomp may
    be applied without CAP_SYS_ADMIN. Set once, it cannot be unset."""
    PR_SET_NO_NEW_PRIVS = 38
    if sys.platform.startswith("linux") and prctl(PR_SET_NO_NEW_PRIVS, 1) != 0:
        raise SystemExit("nnkit worker: could not set no_new_privs")


def enter_scratch(folder: str, drop_to) -> None:
    """chdir into the scratch folder and drop privileges, in the order that works: in plain mode
    a parent of the folder may be closed to nobody, so enter first; under bubblewrap, root has
    no capabilities left and may not enter nobody's folder, so drop first."""
    try:
        os.chdir(folder)
    except PermissionError:
        drop_privileges(drop_to)
        os.chdir(folder)
    else:
        drop_privileges(drop_to)


def drop_privileges(uid_gid) -> None:
    """Become an unprivileged user for good: setuid from root clears every capability. A worker
    that must stay root (plain mode, `nobody` cannot read the interpreter) keeps uid 0 but loses
    every capability: it can no longer raise its hard limits or bypass file permissions."""
    if uid_gid is None:
        if os.geteuid() == 0 and sys.platform.startswith("linux"):
            drop_capabilities()
        return
    uid, gid = uid_gid
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid or os.getegid() != gid:
        raise SystemExit("nnkit worker: could not drop privileges")


def drop_capabilities() -> None:
    """Empty the effective, permitted and inheritable capability sets (capset(2)), after locking
    root's special treatment off (securebits), so neither an exec nor anything else gives them
    back."""
    PR_SET_SECUREBITS, SECBIT_NOROOT, SECBIT_NOROOT_LOCKED = 28, 1 << 0, 1 << 1
    prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED)   # needs CAP_SETPCAP: may fail

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    LINUX_CAPABILITY_VERSION_3 = 0x20080522
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.capset(ctypes.byref(Header(LINUX_CAPABILITY_VERSION_3, 0)), (Data * 2)()) != 0:
        raise SystemExit("nnkit worker: could not drop capabilities")
