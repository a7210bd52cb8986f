"""A seccomp filter for the worker: no new processes, no signals to others, no sockets (worker side).

Written as classic BPF by hand: the worker may import only the standard library, and the filter
is small enough to read (tests/test_sandbox.py runs it through a tiny BPF interpreter, so the
aarch64 rules are checked on x86_64 too).
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys

if __package__:                      # imported by the kit's own tests
    from grader.sandbox.confine import prctl
else:                                # inside the worker: confine.py lies beside this file
    from confine import prctl

# Syscall numbers from the kernel headers: asm/unistd_64.h (x86_64), asm-generic/unistd.h (aarch64,
# which has no fork or vfork: libc forks with clone).
SYSCALLS = {
    "x86_64": {"socket": 41, "clone": 56, "fork": 57, "vfork": 58, "kill": 62, "ptrace": 101,
               "rt_sigqueueinfo": 129, "tkill": 200, "tgkill": 234, "unshare": 272,
               "rt_tgsigqueueinfo": 297, "setns": 308, "process_vm_readv": 310,
               "process_vm_writev": 311, "pidfd_send_signal": 424, "io_uring_setup": 425,
               "clone3": 435, "pidfd_getfd": 438},
    "aarch64": {"unshare": 97, "ptrace": 117, "kill": 129, "tkill": 130, "tgkill": 131,
                "rt_sigqueueinfo": 138, "socket": 198, "clone": 220, "rt_tgsigqueueinfo": 240,
                "setns": 268, "process_vm_readv": 270, "process_vm_writev": 271,
                "pidfd_send_signal": 424, "io_uring_setup": 425, "clone3": 435,
                "pidfd_getfd": 438},
}
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
#: Reaching into or signalling other processes, or leaving the namespaces: no exercise needs it.
#: Nor io_uring, whose requests (sockets included) the filter would never see.
ALWAYS_DENIED = ("ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "tkill",
                 "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal", "unshare", "setns",
                 "io_uring_setup")
CLONE_THREAD = 0x00010000


def seccomp_program(machine: str, own_pid: int, block_processes: bool,
                    block_network: bool = False) -> list[tuple]:
    """A classic-BPF seccomp filter as (code, jt, jf, k) instructions.

    Always: kill and tgkill only at this process, none of ALWAYS_DENIED (EPERM).
    With block_processes: fork, vfork and clone without CLONE_THREAD fail with EPERM, so threads
    still work; clone3 fails with ENOSYS, which makes libc fall back to clone, whose flags a
    filter can see (clone3 passes them in memory).
    With block_network: socket() fails with EPERM (for a worker that shares the grader's
    network: bubblewrap gives it none, and no exercise needs one).
    """
    LOAD, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06   # classic BPF opcodes
    ALLOW, EPERM, ENOSYS = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
    ARCH, NR, ARG0 = 4, 0, 16                                  # offsets in struct seccomp_data
    numbers, deny = SYSCALLS[machine], (RET, 0, 0, EPERM)

    def when(name: str, *block: tuple) -> list[tuple]:
        """Run `block` (it ends in a RET) if the syscall is `name`; else skip over it."""
        return [(JEQ, 0, len(block), numbers[name]), *block] if name in numbers else []

    def allow_if_arg0(test: int, value: int) -> list[tuple]:
        return [(LOAD, 0, 0, ARG0), (test, 0, 1, value), (RET, 0, 0, ALLOW), deny]

    program = [(LOAD, 0, 0, ARCH), (JEQ, 1, 0, AUDIT_ARCH[machine]), deny, (LOAD, 0, 0, NR)]
    if machine == "x86_64":                    # x32-ABI syscall numbers carry this bit
        program += [(JGE, 0, 1, 0x40000000), deny]
    for name in ALWAYS_DENIED:
        program += when(name, deny)
    if block_network:
        program += when("socket", deny)
    program += when("kill", *allow_if_arg0(JEQ, own_pid))
    program += when("tgkill", *allow_if_arg0(JEQ, own_pid))
    if block_processes:
        program += when("fork", deny) + when("vfork", deny)
        program += when("clone3", (RET, 0, 0, ENOSYS))
        program += when("clone", *allow_if_arg0(JSET, CLONE_THREAD))
    return program + [(RET, 0, 0, ALLOW)]


def install_seccomp(block_processes: bool, block_network: bool) -> str:
    """Install the filter; returns "on" or why it could not be."""
    machine = os.uname().machine
    if sys.platform != "linux" or machine not in SYSCALLS:
        return f"unavailable on {sys.platform}/{machine}"
    program = seccomp_program(machine, os.getpid(), block_processes, block_network)
    filters = b"".join(struct.pack("HBBI", *instruction) for instruction in program)
    buffer = ctypes.create_string_buffer(filters)
    fprog = ctypes.create_string_buffer(
        struct.pack("HxxxxxxP", len(program), ctypes.addressof(buffer)))  # struct sock_fprog
    PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
    if prctl(PR_SET_NO_NEW_PRIVS, 1) != 0:
        return f"unavailable: no_new_privs failed ({os.strerror(ctypes.get_errno())})"
    if prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog)) != 0:
        return f"unavailable: {os.strerror(ctypes.get_errno())}"
    return "on"
