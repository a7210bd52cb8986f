"""A worker started ahead: while one submission is graded, the next one's worker starts up.

Starting a worker is mostly the interpreter importing NumPy (0.15–0.2 s), and it needs nothing
of the submission it will serve: only a scratch folder, the limits and the isolation. A grading
process with more submissions to come starts a SpareWorker for the next one as soon as it begins
grading the current one, so the import runs on another core meanwhile, and the next submission
finds its worker ready. The spare is a fresh process of its own, as every worker is: nothing of
the current submission ever reaches it.

    spare = SpareWorker.start(limits)            # returns at once
    ...
    if spare.fits(limits):
        StudentProcess(cells, spare.scratch_dir, limits, started=spare.connection)
    else:
        spare.discard()
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from grader.sandbox.connection import CapturedOutput, Connection
from grader.sandbox.launcher import Limits, build_launch


class SpareWorker:
    """A worker starting up for a scratch folder of its own, not yet serving anyone."""

    def __init__(self, limits: Limits, isolation: str, scratch_dir: Path, connection: Connection):
        self.limits, self.isolation = limits, isolation
        self.scratch_dir, self.connection = scratch_dir, connection

    @classmethod
    def start(cls, limits: Limits, isolation: str | None = None) -> SpareWorker:
        """Start one, for `limits` and the isolation mode (as StudentProcess takes it)."""
        from grader.sandbox.process import choose_isolation, requested_isolation
        mode = requested_isolation(isolation)
        bubblewrap, _ = choose_isolation(mode)
        scratch_dir = Path(tempfile.mkdtemp(prefix="nnkit-scratch-")).resolve()
        try:
            connection = Connection(
                lambda fd_in, fd_out: build_launch(limits, scratch_dir, fd_in, fd_out, bubblewrap),
                limits, CapturedOutput(limits.output_bytes), wait=False)
        except BaseException:
            shutil.rmtree(scratch_dir, ignore_errors=True)
            raise
        return cls(limits, mode, scratch_dir, connection)

    def fits(self, limits: Limits, isolation: str | None = None) -> bool:
        """Whether it was started for these limits and this isolation mode, and still runs."""
        from grader.sandbox.process import requested_isolation
        return (self.limits == limits and self.isolation == requested_isolation(isolation)
                and self.connection.alive)

    def discard(self) -> None:
        """Stop it and remove its scratch folder."""
        self.connection.stop()
        shutil.rmtree(self.scratch_dir, ignore_errors=True)
