"""Landlock for the worker: it may read only what it needs and write only its scratch (worker side).

Landlock (Linux 5.13 and later) lets an unprivileged process give up filesystem access for good:
after `enforce(prepare(...))` the worker can open only files beneath the folders it was given (the
standard library, NumPy, the system's libraries, its scratch folder), whoever owns them and
whatever their modes. From ABI 4 on it also refuses every TCP bind and connect, and from ABI 6
on every signal to, and every abstract UNIX socket of, a process outside the sandbox.

Why our own ctypes code and not PyPI's `landlock` binding: the worker may import only the
standard library and NumPy (its import path holds nothing else, by design), and that binding
covers filesystem rules only, not the TCP rules and scopes this module uses.

Files opened before `restrict` stay usable (the channel's pipes); stat() is not restricted, so
the worker can still learn that a path exists, never what it holds.
"""

from __future__ import annotations

import ctypes
import os
import platform

# Syscall numbers: the same on every architecture (asm-generic/unistd.h).
CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH = 1

# Filesystem rights (linux/landlock.h), and the ABI version that introduced each.
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR, MAKE_REG = 1 << 4, 1 << 5, 1 << 6, 1 << 7, 1 << 8
MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FS_RIGHTS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
READ = READ_FILE | READ_DIR
WRITE = (1 << 16) - 1 & ~EXECUTE      # everything but running programs (seccomp forbids it too)
# Network rights (ABI 4) and scopes (ABI 6).
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1


class RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class PathBeneathAttr(ctypes.Structure):
    _pack_ = 1                        # __attribute__((packed)) in linux/landlock.h
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def abi_version() -> int:
    """The kernel's Landlock ABI (1, 2, …), or 0 where there is none (not Linux, too old,
    disabled at boot, or refused by a container's seccomp profile)."""
    if platform.system() != "Linux":
        return 0
    version = _libc().syscall(CREATE_RULESET, None, ctypes.c_size_t(0),
                              ctypes.c_uint32(CREATE_RULESET_VERSION))
    return max(int(version), 0)


def fs_rights(abi: int) -> int:
    return FS_RIGHTS_BY_ABI[max(level for level in FS_RIGHTS_BY_ABI if level <= abi)]


def prepare(readable: list[str], writable: list[str]) -> int | str:
    """A ruleset letting this process read `readable` and read and write `writable` (each a file
    or a folder with all beneath it), no TCP, no signals out: its file descriptor, or why it
    cannot be had. Prepared before the worker gives up root: each path is opened now, and a
    folder that only root may cross (a grading process's private temporary folder above the
    scratch folder) could not be opened by the unprivileged user the worker becomes."""
    abi = abi_version()
    if abi < 1:
        return "unavailable: this kernel has no Landlock (Linux 5.13 or later, with Landlock on)"
    handled = fs_rights(abi)
    attr = RulesetAttr(handled, NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
                       SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8    # the struct as this ABI knows it
    libc = _libc()
    ruleset = libc.syscall(CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                           ctypes.c_uint32(0))
    if ruleset < 0:
        return f"unavailable: creating a ruleset failed ({os.strerror(ctypes.get_errno())})"
    try:
        for paths, rights in ((readable, READ), (writable, WRITE)):
            for path in paths:
                _allow(libc, ruleset, path, rights & handled)
    except OSError as error:
        os.close(ruleset)
        return f"unavailable: {error.strerror}"
    return int(ruleset)


def enforce(ruleset: int | str) -> str:
    """Confine this process (and anything it could start) to a `prepare`d ruleset, for good.
    Needs no_new_privs set first (or CAP_SYS_ADMIN). Returns "on (ABI N)", or why not: the
    caller reports it, and the grader decides whether grading may go on without it."""
    if isinstance(ruleset, str):
        return ruleset
    try:
        if _libc().syscall(RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            return f"unavailable: restricting failed ({os.strerror(ctypes.get_errno())})"
    finally:
        os.close(ruleset)
    return f"on (ABI {abi_version()})"


def _allow(libc, ruleset: int, path: str, rights: int) -> None:
    """Add `rights` beneath `path` (a file gets only the rights a file can have); a path that
    does not exist is skipped: what is not there needs no rule."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not os.path.isdir(path):
            rights &= FILE_RIGHTS
        rule = PathBeneathAttr(rights, fd)
        if libc.syscall(ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                        ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), f"Landlock refused a rule for {path}: "
                                              f"{os.strerror(ctypes.get_errno())}")
    finally:
        os.close(fd)
