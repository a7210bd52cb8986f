"""Arrays every worker may read without their being sent: one copy in sealed shared memory.

The MNIST check trains on 12,000 or 20,000 of the training images. Sent through the channel,
that is 37–63 MB written and read for every submission, which cost more than the training's
arithmetic. Instead, the batch's fork server writes the training images once into a memfd
(`share_filled`; `share` copies an existing array), seals it, and every worker started from
then on inherits a file descriptor to it (`for_worker`, which the launcher passes on); a
request then names the array (`name_of`) and the rows it needs, and the worker maps it
read-only.

Why this is safe with untrusted code: the memfd is sealed (F_SEAL_WRITE, F_SEAL_GROW,
F_SEAL_SHRINK, F_SEAL_SEAL) before any worker gets it, and a sealed memfd cannot be written,
resized or mapped writable shared by anyone, its creator and root included, through this
descriptor or any reopened one: what one submission's worker is given, it cannot change for the
next (tests/test_shared_arrays.py tries). The arrays are public data (MNIST), nothing of the
grader's. Where memfds or seals do not exist (macOS), `share` returns the array itself and
requests carry the bytes, as before.

    images = share("train images", X)      # a read-only view on the sealed copy
    described, fds = for_worker()          # the worker's config entry, the fds to pass it
    name_of(images)                        # "train images": a request can name it, not send it
"""

from __future__ import annotations

import fcntl
import mmap
import os
from dataclasses import dataclass

import numpy as np

SEALS = ("F_SEAL_SHRINK", "F_SEAL_GROW", "F_SEAL_WRITE", "F_SEAL_SEAL")


@dataclass(frozen=True)
class SharedArray:
    """One array in a sealed memfd: `fd` (inheritable only through pass_fds), and `view`, a
    read-only ndarray on the grader's own mapping of it."""

    name: str
    fd: int
    view: np.ndarray


_SHARED: dict[str, SharedArray] = {}


def can_share() -> bool:
    """Whether this system has sealed memfds."""
    return hasattr(os, "memfd_create") and all(hasattr(fcntl, seal) for seal in SEALS)


def share(name: str, array: np.ndarray) -> np.ndarray:
    """A read-only copy of `array` (C order) in sealed shared memory, published under `name` for
    every worker started from now on; `array` itself where that cannot be done."""
    if array.dtype.hasobject:
        return array
    view, _ = share_filled(name, array.shape, array.dtype, lambda out: out.__setitem__(..., array))
    return view if view is not None else array


def share_filled(name: str, shape: tuple, dtype, fill) -> tuple[np.ndarray | None, object]:
    """Like `share`, for an array written straight into the shared memory by `fill(out)` (out:
    a writable C-ordered array of `shape` and `dtype`, of which fill keeps no reference): no
    private copy is made first, and its pages are touched once. Returns (the read-only view,
    what fill returned), or (None, None) where shared memory cannot be had (the caller then
    makes the array itself). Published once:
    another call with the same name returns the first view, and fill is not called."""
    if name in _SHARED:
        return _SHARED[name].view, None
    if not can_share():
        return None, None
    dtype = np.dtype(dtype)
    count = int(np.prod(shape))
    size = max(count * dtype.itemsize, 1)
    made = _mapped_memfd(f"nnkit-{name}", size)
    if made is None:
        return None, None
    fd, writable = made
    try:
        with writable:
            out = np.frombuffer(writable, dtype, count).reshape(shape)
            filled = fill(out)
            del out
        # Closed: no writable mapping may be left when F_SEAL_WRITE is added.
        seals = 0
        for seal in SEALS:
            seals |= getattr(fcntl, seal)
        _seal(fd, seals)
        readable = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ)
    except BaseException:
        os.close(fd)
        raise
    view = np.frombuffer(readable, dtype, count).reshape(shape)
    _SHARED[name] = SharedArray(name, fd, view)
    return view, filled


def for_worker() -> tuple[dict, tuple[int, ...]]:
    """What a worker started now is told about the shared arrays ({name: {"fd", "shape",
    "dtype"}}, for its config) and the descriptors to pass it."""
    described = {shared.name: {"fd": shared.fd, "shape": list(shared.view.shape),
                               "dtype": shared.view.dtype.str}
                 for shared in _SHARED.values()}
    return described, tuple(shared.fd for shared in _SHARED.values())


def name_of(array) -> str | None:
    """The name `array` is shared under, when it is exactly a shared array (the same memory,
    shape, dtype and C layout, e.g. a view of the view `share` returned); else None."""
    if not isinstance(array, np.ndarray) or not array.flags.c_contiguous:
        return None
    for shared in _SHARED.values():
        view = shared.view
        if (array.__array_interface__["data"][0] == view.__array_interface__["data"][0]
                and array.shape == view.shape and array.dtype == view.dtype):
            return shared.name
    return None


#: F_SEAL_FUTURE_WRITE (Linux 5.1): the mappings that exist may still write; no new one may.
F_SEAL_FUTURE_WRITE = getattr(fcntl, "F_SEAL_FUTURE_WRITE", 0x0010)


def request_region(size: int) -> tuple[int, mmap.mmap] | None:
    """A memfd of `size` bytes for one worker's requests (channel.into_region): (its fd, to pass
    to that worker, and this process's writable mapping), or None where it cannot be had (the
    requests then all go through the pipe). Sealed before the worker gets it: it can neither
    shrink nor grow, and nobody can write it but through the mapping made here (no new
    writable mapping, no write(), no reopening through /proc for writing, no mprotect of a
    read-only mapping). The worker only reads it; the grader only writes it, never reading
    anything back, so nothing a worker could do with it would reach the grader."""
    made = _mapped_memfd("nnkit-requests", size) if can_share() else None
    if made is None:
        return None
    fd, writable = made
    try:
        _seal(fd, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | F_SEAL_FUTURE_WRITE | fcntl.F_SEAL_SEAL)
    except OSError:             # e.g. a kernel before 5.1, without F_SEAL_FUTURE_WRITE
        writable.close()
        os.close(fd)
        return None
    return fd, writable


def _mapped_memfd(name: str, size: int) -> tuple[int, mmap.mmap] | None:
    """A new sealable memfd of `size` bytes and this process's writable mapping of it; None if
    either cannot be had."""
    fd = os.memfd_create(name, os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        os.ftruncate(fd, size)
        return fd, mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    except OSError:
        os.close(fd)
        return None


def _seal(fd: int, seals: int) -> None:
    """Add `seals` to the memfd and check that it keeps them all (OSError otherwise)."""
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
    if fcntl.fcntl(fd, fcntl.F_GET_SEALS) & seals != seals:
        raise OSError("the memfd did not keep its seals")
