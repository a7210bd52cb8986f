"""A live worker process and framed exchanges with it, each under a deadline (the grader's side).

The worker is untrusted: nothing here ever blocks on it. Requests are written and replies read
on non-blocking pipes driven by poll() with a deadline; its stdout/stderr are drained meanwhile
into a capped buffer; replies are parsed stage by stage with every size checked (by `channel`)
before anything is allocated. Stopping a worker kills its whole process group and waits until
bubblewrap's PID namespace is gone, so nothing the student started outlives it.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import subprocess
import sys
import time
import weakref
from pathlib import Path

from grader.sandbox import channel, shared
from grader.sandbox.confine import PR_GET_DUMPABLE, PR_SET_DUMPABLE, prctl
from grader.sandbox.launcher import Limits

PIPE_BYTES = 1 << 20        # pipe capacity asked for: a ~1 MB array crosses in one write
#: Each worker's request region (shared.request_region): a request whose arrays take at least
#: REGION_MIN_BODY bytes, and fit, has them copied there instead of written on the pipe. Its
#: pages are only allocated as they are first written.
REGION_BYTES = 32 << 20
REGION_MIN_BODY = 16 << 10
STARTUP_SECONDS = 60.0      # the worker importing NumPy; not the student's time
#: How often a call's CPU time is read while it runs (a short call is read only before and after).
CPU_POLL_SECONDS = 0.05
#: How long a worker that closed its channel may take to exit before the grader kills it.
EXIT_GRACE_SECONDS = 5.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

SIGNAL_MEANINGS = {
    signal.SIGKILL: ("it was killed (SIGKILL) by something outside the grader: the system's "
                     "out-of-memory killer, or a person or program on the grading machine"),
    signal.SIGXCPU: "it used up its CPU time",
    signal.SIGSEGV: "it crashed with a segmentation fault",
    signal.SIGABRT: "it aborted (SIGABRT)",
    signal.SIGXFSZ: "it wrote a file larger than the limit",
}


class WorkerTimedOut(Exception):
    """The exchange went over its limit: its CPU time (`.cpu` True) or its wall-clock deadline."""

    def __init__(self, cpu: bool = False):
        super().__init__("CPU time" if cpu else "wall-clock deadline")
        self.cpu = cpu


class WorkerGone(Exception):
    """The worker closed the channel: it exited or was killed."""


class CapturedOutput:
    """The first `limit` bytes of a stream, and how many bytes it had in all."""

    def __init__(self, limit: int):
        self.limit, self.data, self.total = limit, bytearray(), 0

    def add(self, chunk) -> None:
        self.total += len(chunk)
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]

    def text(self) -> str:
        text = self.data.decode("utf-8", errors="replace")
        if self.total > len(self.data):
            text += (f"\n[output truncated: {self.total} bytes printed, "
                     f"the first {self.limit} shown]")
        return text


class Connection:
    """One live worker process, its three pipes, and exchanges with a deadline."""

    def __init__(self, make_launch, limits: Limits, output: CapturedOutput, wait: bool = True):
        """Start a worker; `make_launch(fd_in, fd_out)` builds its command. Waits for its hello,
        unless `wait` is False: `ready()` then waits, which lets the worker start up (import
        NumPy, confine itself) while the grader does other work."""
        hide_own_memory()
        request_read, self.request_fd = os.pipe()     # not inheritable; pass_fds hands two over
        self.reply_fd, reply_write = os.pipe()
        region = shared.request_region(REGION_BYTES)
        region_fds = (region[0],) if region else ()
        try:
            launch = make_launch(request_read, reply_write)
            self.proc = subprocess.Popen(
                launch.argv, env=launch.env, cwd=launch.cwd, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                pass_fds=(request_read, reply_write, *region_fds, *launch.pass_fds),
                start_new_session=True)
        except BaseException:
            os.close(self.request_fd)
            os.close(self.reply_fd)
            if region:
                region[1].close()
            raise
        finally:
            os.close(request_read)
            os.close(reply_write)
            for fd in region_fds:
                os.close(fd)
        # The worker maps the region when the first request comes (after the "region" frame
        # that names it) and closes its descriptor, before any student code runs.
        self.region = region[1] if region else None
        self._unsent = (channel.pack({"kind": "region", "fd": region[0], "bytes": REGION_BYTES},
                                     []) if region else [])
        self.bubblewrap = launch.bubblewrap
        self.shared = launch.shared          # the shared arrays it can map (shared.py)
        self.output_fd = self.proc.stdout.fileno()
        self.limits, self.output, self.call_output = limits, CapturedOutput(8192), None
        self.worker_pid = self.proc.pid      # until the hello: bubblewrap's own process
        self.killed_by_grader = False
        self.cpu_at_end: float | None = None
        # bubblewrap's child is the init of the worker's PID namespace: once it is gone, so is
        # every process the student could have started. Filled in once the worker said hello.
        self.namespace_init: list[int] = []
        self._fds = [self.request_fd, self.reply_fd]     # closed when it stops
        self._stat: tuple[int, int | None] = (0, None)   # (pid, its /proc/<pid>/stat open)
        self._stop = weakref.finalize(self, _stop_and_close, self.proc, self._fds,
                                      self.namespace_init, self.region)
        for fd in (self.request_fd, self.reply_fd, self.output_fd):
            os.set_blocking(fd, False)
            try:
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
            except (OSError, AttributeError):
                pass   # a smaller pipe only costs speed
        self.output_open = True
        self._student_output = output
        self.hello: dict | None = None
        if wait:
            self.ready()

    def ready(self, output: CapturedOutput | None = None) -> Connection:
        """Wait for the worker's hello (once); what it prints from then on goes to `output`, or
        to the one given when it was started. RuntimeError if it did not start."""
        if self.hello is not None:
            return self
        try:
            self.hello, _ = self.exchange([], time.monotonic() + STARTUP_SECONDS)
            if self.hello["kind"] != "hello":
                raise channel.MalformedFrame(f"it said {self.hello['kind'][:50]!r} first")
        except (WorkerTimedOut, WorkerGone, channel.MalformedFrame) as error:
            status = self.stop(grace=1.0)
            said = self.output.text().strip()[-2000:] or "nothing"
            raise RuntimeError(f"the sandbox worker did not start ({type(error).__name__}, exit "
                               f"status {status}); it said: {said}") from None
        self.output = output or self._student_output   # from here on, the student's
        if self.bubblewrap:
            self.namespace_init += _children(self.proc.pid)
        self.worker_pid = _deepest_child(self.proc.pid) if self.bubblewrap else self.proc.pid
        return self

    def cpu_seconds(self) -> float | None:
        """CPU time the worker has used so far (its threads, and its children when it may have
        some), or None where it cannot be read (no /proc: limits then fall back to the wall
        clock)."""
        if self.limits.max_processes == 0:      # read a few hundred times a submission
            return self._own_cpu_seconds()
        pids = _descendants(self.worker_pid)
        total = 0.0
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat", "rb") as stat:
                    total += _stat_cpu_seconds(stat.read())
            except (OSError, IndexError, ValueError):
                if pid == self.worker_pid:
                    return self.cpu_at_end
        return total

    def _own_cpu_seconds(self) -> float | None:
        """cpu_seconds of the worker alone, from /proc/<pid>/stat kept open: reading an open file
        costs a third of opening it again, and the open file stays the worker's own (a pid
        reused after it died reads as an error, not as someone else's time)."""
        if not self.alive:                      # its files are closed, their numbers reusable
            return self.cpu_at_end
        if self._stat[0] != self.worker_pid:
            try:
                fd = os.open(f"/proc/{self.worker_pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                return self.cpu_at_end
            if self._stat[1] is not None:
                self._fds.remove(self._stat[1])
                os.close(self._stat[1])
            self._stat = (self.worker_pid, fd)
            self._fds.append(fd)                # closed with the channel's
        try:
            return _stat_cpu_seconds(os.pread(self._stat[1], 4096, 0))
        except (OSError, IndexError, ValueError):
            return self.cpu_at_end

    @property
    def alive(self) -> bool:
        return self._stop.alive

    def exchange(self, buffers: list, deadline: float, on_progress=None,
                 cpu_limit: float | None = None, cpu_start: float | None = None,
                 restart=None, on_need=None):
        """Send one frame and return the reply's (header, arrays).

        Frames of kind "loading" go to `on_progress` while waiting. Raises WorkerTimedOut once
        the worker has used `cpu_limit` seconds of CPU on it, or at the wall-clock `deadline` (a
        backstop for a worker that waits instead of computing); with `restart`, a progress frame
        starts the clock again: restart(CPU time now) gives the new (cpu_limit, deadline), for
        a request of several calls that each have limits of their own (StudentProcess.losses);
        a frame of kind "need" is answered with the frame on_need(header, arrays) returns.
        WorkerGone when the worker closes
        the channel, channel.MalformedFrame on garbage. On a busy machine a worker waits for a
        core without using CPU time, so load alone never runs a call out of time.
        """
        if cpu_limit is not None and cpu_start is None:
            cpu_start = self.cpu_seconds()
        pending = self._outgoing(buffers)
        if pending:
            self._check_quiet()
        reader = FrameReader(self.limits.reply_bytes)
        polled = False          # the CPU time is read only once the worker had time to use some
        poller = select.poll()
        poller.register(self.reply_fd, select.POLLIN)
        if self.output_open:
            poller.register(self.output_fd, select.POLLIN)
        if pending:
            poller.register(self.request_fd, select.POLLOUT)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerTimedOut()
            if cpu_start is not None and polled:
                used = self.cpu_seconds()       # None: it just died; the poll below says so
                if used is not None and used - cpu_start > cpu_limit:
                    raise WorkerTimedOut(cpu=True)
            if cpu_start is not None:
                remaining = min(remaining, CPU_POLL_SECONDS)
            polled = True
            for fd, events in poller.poll(max(1, int(remaining * 1000) + 1)):
                if fd == self.output_fd:
                    self._drain_output(poller)
                elif fd == self.request_fd:
                    pending = self._write(pending, events)
                    if not pending:
                        poller.unregister(self.request_fd)
                else:
                    try:
                        frame = reader.feed(fd)
                    except EOFError:
                        raise WorkerGone() from None
                    if frame is None:
                        continue
                    if pending:
                        raise channel.MalformedFrame("the worker replied before it had the "
                                                     "whole request")
                    if frame[0]["kind"] == "need" and on_need is not None:
                        # The worker waits for an answer (training with functions replaced by
                        # the reference's): written while this exchange goes on.
                        pending = self._outgoing(on_need(*frame))
                        if pending:
                            poller.register(self.request_fd, select.POLLOUT)
                        continue
                    if frame[0]["kind"] in ("loading", "called") and on_progress:
                        on_progress(frame[0])
                        if restart is not None:
                            cpu_start = self.cpu_seconds()
                            cpu_limit, deadline = restart(cpu_start)
                            if cpu_limit <= 0:
                                raise WorkerTimedOut(cpu=True)
                        continue
                    self._drain_output(poller)
                    return frame

    def _outgoing(self, buffers: list) -> list:
        """What to write on the pipe for the frame `buffers`: its body goes into the request
        region when it is large and fits (channel.into_region), after the frame naming the
        region if this is the first request. Nothing for no frame (waiting for the hello)."""
        if not buffers:
            return []
        if self.region is not None and \
                REGION_MIN_BODY <= channel.body_length(buffers) <= len(self.region):
            buffers = channel.into_region(buffers, self.region)
        buffers, self._unsent = self._unsent + buffers, []
        return [memoryview(buffer).cast("B") for buffer in buffers if len(buffer)]

    def _check_quiet(self) -> None:
        """Between exchanges the worker must be silent: data now means something of the
        student's (a thread, say) writes on the channel, and EOF that the worker died."""
        if select.select([self.reply_fd], [], [], 0)[0]:
            if not os.read(self.reply_fd, 1):
                raise WorkerGone()
            raise channel.MalformedFrame("the worker sent something nobody asked for")

    def _write(self, pending: list, events: int) -> list:
        if events & (select.POLLERR | select.POLLHUP):
            raise WorkerGone()
        try:
            return channel.consume(pending, os.writev(self.request_fd, pending[:512]))
        except BlockingIOError:
            return pending
        except BrokenPipeError:
            raise WorkerGone() from None

    def _drain_output(self, poller) -> None:
        while self.output_open:
            try:
                chunk = os.read(self.output_fd, 1 << 20)
            except BlockingIOError:
                return
            if not chunk:
                self.output_open = False
                if poller:
                    poller.unregister(self.output_fd)
                return
            self.output.add(chunk)
            if self.call_output is not None:
                self.call_output.add(chunk)

    def stop(self, grace: float = 0.0) -> int:
        """Let the worker exit for up to `grace` s, then kill its process group; its exit status.
        Whether the grader had to kill it is kept in `killed_by_grader`, and the CPU time it had
        used in `cpu_at_end`, for `death()`."""
        if self.alive:
            if grace:
                _wait_without_reaping(self.proc, grace)
            self.cpu_at_end = self.cpu_seconds()
            self.killed_by_grader = self.proc.returncode is None and not _exited(self.proc)
            _kill_group(self.proc)
            self._drain_output(None)    # the last words, e.g. why it could not start
        self._stop()
        return self.proc.returncode

    def death(self) -> str:
        """Why the worker ended, as a student reads it; it stops the worker if it still runs.
        Each cause is told apart: the memory limit, the CPU limit, the grader stopping a worker
        that would not exit, and a signal from outside."""
        status = self.stop(grace=EXIT_GRACE_SECONDS)
        signum = -status if status < 0 else status - 128 if self.bubblewrap and status > 128 else 0
        if status == channel.EXIT_OUT_OF_MEMORY:
            return f"it ran out of memory (the limit is {size_text(self.limits.memory_bytes)})"
        if self.killed_by_grader:
            return (f"it closed its channel to the grader but did not exit within "
                    f"{EXIT_GRACE_SECONDS:g} s, so the grader stopped it; do not close or write "
                    "to file descriptors your code did not open")
        if signum == signal.SIGKILL and self.cpu_at_end is not None and \
                self.cpu_at_end >= self.limits.cpu_limit():
            signum = signal.SIGXCPU         # the hard CPU limit kills with SIGKILL
        if signum:
            try:
                name = signal.Signals(signum).name
            except ValueError:
                name = f"signal {signum}"
            return SIGNAL_MEANINGS.get(signum, f"it was killed by {name}")
        return (f"it exited with status {status}; do not call os._exit() or exit() in the cells "
                "the grader runs")


class FrameReader:
    """Reads frames from a non-blocking fd, one stage at a time, never past the current frame."""

    def __init__(self, max_body: int):
        self.max_body = max_body
        self._start("prefix", channel.PREFIX.size)

    def _start(self, stage, size):
        self.stage, self.buffer, self.filled = stage, bytearray(size), 0

    def feed(self, fd: int):
        """Read what is available; (header, arrays) once a frame is complete, else None."""
        while True:
            if self.filled < len(self.buffer):
                try:
                    got = os.readv(fd, [memoryview(self.buffer)[self.filled:]])
                except BlockingIOError:
                    return None
                if got == 0:
                    raise EOFError("the channel closed")
                self.filled += got
                continue
            if self.stage == "prefix":
                header_length, self.body_length = channel.parse_prefix(bytes(self.buffer),
                                                                       self.max_body)
                self._start("header", header_length)
            elif self.stage == "header":
                self.header = channel.parse_header(bytes(self.buffer), self.body_length)
                self._start("body", self.body_length)
            else:
                frame = self.header, channel.unpack_arrays(self.header, self.buffer)
                self._start("prefix", channel.PREFIX.size)
                return frame


def hide_own_memory() -> None:
    """Make this process undumpable before it starts a worker: no process of the same user can
    then open its memory (/proc/<pid>/mem, which can be written too) or attach to it. Landlock
    already keeps a worker from it; this is what stops one where there is no Landlock and the
    worker runs as the grader's own user (a laptop without bubblewrap), which could otherwise
    rewrite a score in this process. Inherited by fork, so grading processes set it once."""
    if sys.platform.startswith("linux") and prctl(PR_GET_DUMPABLE) != 0 and \
            prctl(PR_SET_DUMPABLE, 0) != 0:
        raise RuntimeError("could not make the grading process undumpable (prctl failed), so "
                           "student code could read its memory; not grading")


def _stat_cpu_seconds(stat: bytes) -> float:
    """The CPU seconds in a /proc/<pid>/stat line: utime + stime, and cutime + cstime (the
    children it has waited for)."""
    fields = stat.rsplit(b")", 1)[1].split()
    return sum(int(field) for field in fields[11:15]) / CLOCK_TICKS


def _wait_without_reaping(proc: subprocess.Popen, seconds: float) -> None:
    """Wait until `proc` exits, leaving it a zombie so its pid (and group id) cannot be reused."""
    deadline = time.monotonic() + seconds
    while proc.returncode is None and time.monotonic() < deadline:
        if not hasattr(os, "waitid"):       # macOS before Python 3.13: reaping is all there is
            proc.poll()
        else:
            try:
                if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
                    return
            except ChildProcessError:
                return
        time.sleep(0.005)


def _exited(proc: subprocess.Popen) -> bool:
    """Whether `proc` has exited (a zombie), without reaping it."""
    try:
        return bool(os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT))
    except (ChildProcessError, AttributeError):
        return proc.poll() is not None


def _deepest_child(pid: int) -> int:
    """The last process in the chain of first children below `pid`: under bubblewrap, the
    worker (bwrap → the namespace's init → the worker)."""
    while True:
        children = _children(pid)
        if not children:
            return pid
        pid = children[0]


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += _children(current)
    return found


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in
                Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _wait_until_gone(pids: list[int], seconds: float) -> None:
    """Wait (a few ms, normally) until each of `pids` has exited: gone from /proc, or a zombie."""
    deadline = time.monotonic() + seconds
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                break
            if state in ("Z", "X"):
                break
            time.sleep(0.002)


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the worker's process group (bubblewrap then takes its namespace down), reap it.

    Killing before reaping matters: an unreaped leader keeps its pid, so the group id cannot
    have been handed to someone else's processes."""
    if proc.returncode is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.kill()     # in case it left its group (it is still our unreaped child)
        proc.wait()


def _stop_and_close(proc: subprocess.Popen, fds: list[int], namespace_init: list[int],
                    region) -> None:
    _kill_group(proc)
    _wait_until_gone(namespace_init, seconds=2.0)
    proc.stdout.close()
    for fd in fds:
        os.close(fd)
    if region is not None:
        region.close()


def size_text(n: int) -> str:
    return f"{n / (1 << 30):g} GiB" if n >= 1 << 30 else f"{n / (1 << 20):g} MiB"
