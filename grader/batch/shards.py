"""Shards: N `grade` processes (on N nodes of a cluster) grade one class into one shared DIR.

    grade submissions/ --shard 1/3 --out /shared/feedback     # on node 1
    grade submissions/ --shard 2/3 --out /shared/feedback     # on node 2, at the same time
    grade submissions/ --shard 3/3 --out /shared/feedback     # on node 3

Every shard is given the same PATHs and expands them into the same named submissions (the
names of their report folders); shard K of N then grades those whose name falls to K
(`shard_of`, a sha256 of the name: the same on every node, whatever Python's hash seed). The
name decides, not a position in the list, so a submission that one node sees and another does
not (a student folder added while the job array was queued) moves no other submission to
another shard. Each submission is graded by exactly one shard. The price is balance: m
submissions fall into N shards of m/N on average, give or take about √(m/N).

What the shards share in DIR is written safely. Each submission's reports go to its own folder,
written atomically by the one shard that grades it. The rest is written under DIR's lock
(`out_folder_lock`): LMS zips, which every shard unpacks into DIR/.unpacked/ (each file replaced
atomically, grader.intake.layouts, for the shards already grading from it), and DIR/grades.csv, which
each shard rewrites from every report.json in DIR when it ends; so the last shard to end reads
every report and writes the complete table, the one an unsharded run would have written.
"""

from __future__ import annotations

import argparse
import errno
import fcntl
import hashlib
import sys
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence, TypeVar

#: The lock file of an output folder, in a hidden folder of its own: no layout takes it for a
#: submission, and DIR's files stay the reports and the gradebook. It is never deleted: deleting
#: a lock file another process waits on would let a third one lock a new file beside it.
OUT_LOCK = Path(".locks") / "out.lock"

#: Errors that mean "this file system cannot lock", not "something is wrong with the folder".
NO_LOCKING = (errno.ENOLCK, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL)

Named = TypeVar("Named")


@dataclass(frozen=True)
class Shard:
    index: int    # K, 1-based, as Slurm's array task ids are
    count: int    # N

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """`K/N` → Shard(K, N), for argparse: 1 ≤ K ≤ N, whole numbers."""
    index, slash, count = text.strip().partition("/")
    if not (slash and index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
        raise argparse.ArgumentTypeError(
            f"give K/N, whole numbers with 1 <= K <= N (e.g. 2/4: the second of four shards), "
            f"not {text!r}")
    return Shard(int(index), int(count))


def shard_of(name: str, count: int) -> int:
    """The shard (1…count) that grades the submission called `name`: from sha256 of the name,
    the same on every machine and in every process (Python's own hash() is salted per process)."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def take(submissions: Sequence[Named], shard: Shard | None) -> list[Named]:
    """The submissions shard K of N grades, in their order; all of them without a shard.
    Each submission needs a `.name` (its report folder in DIR)."""
    if shard is None:
        return list(submissions)
    return [item for item in submissions if shard_of(item.name, shard.count) == shard.index]


def take_showing(submissions: Sequence[Named], shard: Shard | None, console) -> list[Named]:
    """take(), and for a shard one line on the (rich) console saying how much of the class it
    grades, so each node's log says what it did. A shard that takes none is no error: it still
    rewrites grades.csv from DIR, and it may be the last to end."""
    taken = take(submissions, shard)
    if shard is not None:
        console.print(f"  shard {shard}: {len(taken)} of the {len(submissions)} submission(s)"
                      + ("" if taken else "; nothing to grade here"),
                      style="dim", markup=False, highlight=False)
    return taken


# --- locks ---------------------------------------------------------------------------------

#: Lock files this process holds, so that taking one again inside itself does not deadlock.
_held: set[Path] = set()


@contextmanager
def locked(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock_file` (created if need be), waiting for any other process
    that holds it. flock(2): released by the kernel when the holder exits, even killed, so a
    crashed shard never leaves the folder locked; on Linux it works across the nodes of an NFS
    mount too (the client turns it into an NFS lock).

    Taking a lock this process already holds just goes on (no deadlock when the class report
    is written under the same lock as grades.csv). A file system that cannot lock at all (Lustre
    mounted without `flock`, say) gets a warning, and the work goes on unlocked."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    lock_file = lock_file.resolve()
    if lock_file in _held:
        yield
        return
    with open(lock_file, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError as error:
            if error.errno not in NO_LOCKING:
                raise
            print(f"grade: cannot lock {lock_file} here ({error.strerror}), going on without: "
                  "shards of one class that end at the same moment may each leave grades.csv "
                  "without the other's rows; once all have ended, run `grade` once more with the "
                  "same PATHs and no --shard (it reuses every report) to rewrite it",
                  file=sys.stderr)
        _held.add(lock_file)
        try:
            yield
        finally:
            _held.discard(lock_file)        # closing the file releases the lock


def out_folder_lock(out: Path) -> AbstractContextManager[None]:
    """The lock around everything a run rewrites from all of DIR's reports (grades.csv; the
    class report): whoever takes it last reads every report the others wrote before it."""
    return locked(Path(out) / OUT_LOCK)

