"""StudentProcess: the grader's handle on one submission running in a sandbox worker.

The worker is untrusted. Every exchange has a deadline enforced here (poll on the pipes, never a
blocking read), every reply is checked by `channel` before it is decoded, and any sign that the
worker broke the protocol gets it killed (its whole process group) and restarted before the next
call. Its stdout and stderr are drained during every exchange into a capped buffer.
"""

from __future__ import annotations

import fcntl
import functools
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox import (MissingFunction, StudentCrashed, StudentError, StudentRaised,
                            StudentTimeout, UnsafeReply, channel)
from grader.sandbox.launcher import Launch, Limits, build_launch

PIPE_BYTES = 1 << 20        # pipe capacity asked for: a ~1 MB array crosses in one write
STARTUP_SECONDS = 60.0      # the worker importing NumPy; not the student's time
ISOLATION_ENV = "NNKIT_SANDBOX"
ISOLATION_MODES = ("auto", "bubblewrap", "plain")
SIGNAL_MEANINGS = {
    signal.SIGKILL: "it was killed (SIGKILL), which usually means it ran out of memory",
    signal.SIGXCPU: "it used up its CPU time",
    signal.SIGSEGV: "it crashed with a segmentation fault",
    signal.SIGABRT: "it aborted (SIGABRT)",
    signal.SIGXFSZ: "it wrote a file larger than the limit",
}


@dataclass(frozen=True)
class CallOutcome:
    value: object
    mutated: list[str]      # argument paths changed in place, e.g. "args[1]['W1']"
    seconds: float          # wall-clock time of the call, measured by the grader
    output: str             # what the call printed (capped)


class _Timeout(Exception):
    pass


class _Gone(Exception):
    pass


class _Output:
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
            text += f"\n[output truncated: {self.total} bytes printed, the first {self.limit} shown]"
        return text


class _Worker:
    """One live worker process, its three pipes, and exchanges with a deadline."""

    def __init__(self, make_launch, limits: Limits, output: _Output):
        """Start a worker; `make_launch(fd_in, fd_out)` builds its command. Waits for its hello."""
        request_read, self.request_fd = os.pipe2(os.O_CLOEXEC)
        self.reply_fd, reply_write = os.pipe2(os.O_CLOEXEC)
        try:
            launch = make_launch(request_read, reply_write)
            self.proc = subprocess.Popen(
                launch.argv, env=launch.env, cwd=launch.cwd, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                pass_fds=(request_read, reply_write), start_new_session=True)
        except BaseException:
            os.close(self.request_fd)
            os.close(self.reply_fd)
            raise
        finally:
            os.close(request_read)
            os.close(reply_write)
        self.bubblewrap = launch.bubblewrap
        self.output_fd = self.proc.stdout.fileno()
        self.limits, self.output, self.call_output = limits, _Output(8192), None
        # bubblewrap's child is the init of the worker's PID namespace: once it is gone, so is
        # every process the student could have started. Filled in once the worker said hello.
        self.namespace_init: list[int] = []
        self._stop = weakref.finalize(self, _stop_and_close, self.proc,
                                      [self.request_fd, self.reply_fd], self.namespace_init)
        for fd in (self.request_fd, self.reply_fd, self.output_fd):
            os.set_blocking(fd, False)
            try:
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
            except (OSError, AttributeError):
                pass   # a smaller pipe only costs speed
        self.output_open = True
        try:
            self.hello, _ = self.exchange([], time.monotonic() + STARTUP_SECONDS)
            if self.hello["kind"] != "hello":
                raise channel.MalformedFrame(f"it said {self.hello['kind'][:50]!r} first")
        except (_Timeout, _Gone, channel.MalformedFrame) as error:
            status = self.stop(grace=1.0)
            said = self.output.text().strip()[-2000:] or "nothing"
            raise RuntimeError(f"the sandbox worker did not start ({type(error).__name__}, exit "
                               f"status {status}); it said: {said}") from None
        self.output = output   # from here on, what it prints is the student's
        if self.bubblewrap:
            self.namespace_init += _children(self.proc.pid)

    @property
    def alive(self) -> bool:
        return self._stop.alive

    def exchange(self, buffers: list, deadline: float, on_progress=None):
        """Send one frame and return the reply's (header, arrays).

        Frames of kind "loading" go to `on_progress` while waiting. Raises _Timeout at the
        deadline, _Gone when the worker closes the channel, channel.MalformedFrame on garbage.
        """
        pending = [memoryview(buffer).cast("B") for buffer in buffers if len(buffer)]
        if pending:
            self._check_quiet()
        reader = channel.FrameReader(self.limits.reply_bytes)
        poller = select.poll()
        poller.register(self.reply_fd, select.POLLIN)
        if self.output_open:
            poller.register(self.output_fd, select.POLLIN)
        if pending:
            poller.register(self.request_fd, select.POLLOUT)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Timeout()
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
                        raise _Gone() from None
                    if frame is None:
                        continue
                    if pending:
                        raise channel.MalformedFrame("the worker replied before reading the request")
                    if frame[0]["kind"] == "loading" and on_progress:
                        on_progress(frame[0])
                        continue
                    self._drain_output(poller)
                    return frame

    def _check_quiet(self) -> None:
        """Between exchanges the worker must be silent: data now means something of the
        student's (a thread, say) writes on the channel, and EOF that the worker died."""
        if select.select([self.reply_fd], [], [], 0)[0]:
            if not os.read(self.reply_fd, 1):
                raise _Gone()
            raise channel.MalformedFrame("the worker sent something nobody asked for")

    def _write(self, pending: list, events: int) -> list:
        if events & (select.POLLERR | select.POLLHUP):
            raise _Gone()
        try:
            return channel.consume(pending, os.writev(self.request_fd, pending[:512]))
        except BlockingIOError:
            return pending
        except BrokenPipeError:
            raise _Gone() from None

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
        """Let the worker exit for up to `grace` s, then kill its process group; its exit status."""
        if self.alive:
            if grace:
                _wait_without_reaping(self.proc, grace)
            _kill_group(self.proc)
            self._drain_output(None)    # the last words, e.g. why it could not start
        self._stop()
        return self.proc.returncode

    def death(self) -> str:
        """Why the worker ended, as a student reads it; it stops the worker if it still runs."""
        status = self.stop(grace=2.0)
        signum = -status if status < 0 else status - 128 if self.bubblewrap and status > 128 else 0
        if status == channel.EXIT_OUT_OF_MEMORY:
            return f"it ran out of memory (the limit is {_size(self.limits.memory_bytes)})"
        if signum:
            try:
                name = signal.Signals(signum).name
            except ValueError:
                name = f"signal {signum}"
            return SIGNAL_MEANINGS.get(signum, f"it was killed by {name}")
        return (f"it exited with status {status}; do not call os._exit() or exit() in the cells "
                "the grader runs")


def _wait_without_reaping(proc: subprocess.Popen, seconds: float) -> None:
    """Wait until `proc` exits, leaving it a zombie so its pid (and group id) cannot be reused."""
    deadline = time.monotonic() + seconds
    while proc.returncode is None and time.monotonic() < deadline:
        try:
            if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
                return
        except ChildProcessError:
            return
        time.sleep(0.005)


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
        proc.wait()


def _stop_and_close(proc: subprocess.Popen, fds: list[int], namespace_init: list[int]) -> None:
    _kill_group(proc)
    _wait_until_gone(namespace_init, seconds=2.0)
    proc.stdout.close()
    for fd in fds:
        os.close(fd)


def _size(n: int) -> str:
    return f"{n / (1 << 30):g} GiB" if n >= 1 << 30 else f"{n / (1 << 20):g} MiB"




class StudentProcess:
    """One submission loaded in a sandbox worker; see the package docstring for the API."""

    def __init__(self, cells: list[str], scratch_dir: Path, limits: Limits = Limits(), *,
                 isolation: str | None = None):
        """Start the worker and load `cells`. isolation: "auto" (the default, or $NNKIT_SANDBOX),
        "bubblewrap" (an error unless it works here) or "plain" (limits only)."""
        self.cells = [str(cell) for cell in cells]
        self.scratch_dir = Path(scratch_dir).resolve()
        self.scratch_dir.mkdir(parents=True, exist_ok=True)
        self.limits = limits
        self._bubblewrap, self.isolation = choose_isolation(
            isolation or os.environ.get(ISOLATION_ENV) or "auto")
        self.load_errors: list[tuple[int, str]] = []
        self.functions: list[str] = []
        self._output = _Output(limits.output_bytes)
        self._used = 0.0
        self._loaded = False
        self._load_failure: StudentError | None = None
        self._closed = False
        self._worker = self._start()

    @property
    def output(self) -> str:
        """Everything the submission printed so far, capped at limits.output_bytes."""
        return self._output.text()

    def __enter__(self) -> StudentProcess:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Kill the worker's process group and reap it; the StudentProcess cannot be used again."""
        self._closed = True
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    def call(self, name: str, *args, substitutes: dict | None = None,
             timeout: float | None = None, **kwargs):
        """What `name(*args, **kwargs)` returned in the worker: plain data only."""
        return self._call(name, args, kwargs, substitutes, timeout, check_mutation=False).value

    def call_detailed(self, name: str, *args, substitutes: dict | None = None,
                      timeout: float | None = None, **kwargs) -> CallOutcome:
        """Like `call`, plus the arguments it changed in place, its time and its output."""
        return self._call(name, args, kwargs, substitutes, timeout, check_mutation=True)

    def _call(self, name, args, kwargs, substitutes, timeout, check_mutation) -> CallOutcome:
        unknown = set((substitutes or {}).values()) - set(channel.KNOWN_GOOD_HELPERS)
        if unknown:
            raise ValueError(f"unknown substitutes {sorted(unknown)}; the worker has "
                             f"{', '.join(channel.KNOWN_GOOD_HELPERS)}")
        arrays = []
        request = channel.pack({
            "kind": "call", "name": name, "args": channel.to_tree(list(args), arrays, "args"),
            "kwargs": channel.to_tree(dict(kwargs), arrays, "kwargs"),
            "substitutes": dict(substitutes or {}), "check_mutation": check_mutation}, arrays)
        seconds = self.limits.call_seconds if timeout is None else timeout
        if self._used >= self.limits.total_seconds:
            raise self._over_budget()
        worker = self._ready_worker()
        worker.call_output = _Output(self.limits.output_bytes)
        started = time.monotonic()
        try:
            reply, arrays = self._exchange(worker, request, seconds)
        except _Timeout:
            raise StudentTimeout(f"`{name}` did not return within {seconds:g} s; look for an "
                                 "endless loop, or work that grows faster than it should.") from None
        except _Gone:
            raise StudentCrashed(f"`{name}` stopped the worker: {worker.death()}") from None
        except channel.ReplyTooLarge as error:
            raise UnsafeReply(f"`{name}` returned too much data: {error}.") from None
        except channel.WireError as error:
            raise UnsafeReply(f"`{name}` broke the grader's channel to it ({error}); do not write "
                              "to or close file descriptors your code did not open.") from None
        finally:
            output, worker.call_output = worker.call_output, None
        elapsed = time.monotonic() - started
        try:
            value, mutated = self._interpret(name, worker, reply, arrays)
        except channel.WireError as error:
            raise UnsafeReply(f"`{name}` returned something that is not plain data ({error}). "
                              "Return NumPy arrays, numbers, strings, or dicts, lists and tuples "
                              "of them.") from None
        return CallOutcome(value, mutated, elapsed, output.text())

    def _interpret(self, name: str, worker: _Worker, reply: dict, arrays: list):
        """(value, mutated) from a "returned" reply; the matching StudentError for any other."""
        kind = reply["kind"]
        if kind == "returned":
            return channel.from_tree(reply.get("value"), arrays), _texts(reply, "mutated")
        if kind == "raised":
            exc_type, message = _text(reply, "exc_type", 200), _text(reply, "message", 4000)
            if exc_type == "MemoryError":
                worker.stop()   # its heap may be in a sorry state; the next call gets a fresh one
                raise StudentCrashed(f"`{name}` ran out of memory (the limit is "
                                     f"{_size(self.limits.memory_bytes)}): {message}")
            raise StudentRaised(exc_type, message, _text(reply, "traceback", 16000))
        if kind == "exited":
            raise StudentCrashed(f"`{name}` called exit({_text(reply, 'code', 200)}); a function "
                                 "the grader calls must return its result instead.")
        if kind == "missing":
            raise MissingFunction(name, _text(reply, "detail", 200))
        if kind == "unsupported":
            raise UnsafeReply(
                f"`{name}` returned an object that is not plain data: "
                f"{_text(reply, 'message', 500)}. Return NumPy arrays, numbers, strings, or "
                "dicts, lists and tuples of them.")
        worker.stop()
        raise channel.MalformedFrame(f"a reply of unknown kind {kind[:50]!r}")

    # ---- the worker's life -----------------------------------------------------------------------

    def _ready_worker(self) -> _Worker:
        if self._closed:
            raise RuntimeError("this StudentProcess is closed; start a new one")
        if self._worker is None or not self._worker.alive:
            if self._load_failure is None:
                self._worker = self._start()
        if self._load_failure is not None:
            raise type(self._load_failure)(self._load_failure.message)
        return self._worker

    def _start(self) -> _Worker | None:
        """A fresh worker with the cells loaded, or None with _load_failure set."""
        worker = _Worker(self._launch, self.limits, self._output)
        if not self._bubblewrap and worker.hello.get("seccomp") != "on":
            self.isolation += f"; new processes are not blocked ({worker.hello.get('seccomp')})"
        running = {"cell": None}

        def progress(header):
            if type(header.get("cell")) is int:
                running["cell"] = header["cell"]
        request = channel.pack({"kind": "load", "cells": self.cells}, [])
        where = lambda: "" if running["cell"] is None else f" (cell {running['cell']} was running)"
        try:
            reply, _ = self._exchange(worker, request, self.limits.load_seconds, progress)
            errors, functions = _load_report(reply)
        except _Timeout:
            return self._failed_load(StudentTimeout(
                f"loading the submission took longer than {self.limits.load_seconds:g} s"
                f"{where()}. Keep slow work such as training out of the cells that define "
                "functions, or put it under `if __name__ == '__main__':`."), running["cell"])
        except _Gone:
            return self._failed_load(StudentCrashed(
                f"loading the submission stopped the worker{where()}: {worker.death()}"),
                running["cell"])
        except channel.WireError as error:
            worker.stop()
            return self._failed_load(UnsafeReply(
                f"loading the submission broke the grader's channel to it{where()}: {error}"),
                running["cell"])
        if not self._loaded:
            self.load_errors, self.functions, self._loaded = errors, functions, True
        return worker

    def _failed_load(self, failure: StudentError, cell: int | None) -> None:
        self._load_failure = failure
        if cell is not None:
            self.load_errors.append((cell, f"{type(failure).__name__}: {failure.message}"))
        return None

    def _launch(self, fd_in: int, fd_out: int) -> Launch:
        return build_launch(self.limits, self.scratch_dir, fd_in, fd_out, self._bubblewrap)

    def _exchange(self, worker: _Worker, request: list, seconds: float, on_progress=None):
        """One exchange within `seconds` and what is left of the submission's total time.

        The worker is killed on a timeout, on garbage, or if the grader itself is interrupted;
        on _Gone the caller reads its exit status first (worker.death()).
        """
        remaining = self.limits.total_seconds - self._used
        started = time.monotonic()
        try:
            return worker.exchange(request, started + min(seconds, remaining), on_progress)
        except _Gone:
            raise
        except _Timeout:
            worker.stop()
            if remaining < seconds:
                raise self._over_budget() from None
            raise
        except BaseException:
            worker.stop()
            raise
        finally:
            self._used += time.monotonic() - started

    def _over_budget(self) -> StudentTimeout:
        return StudentTimeout(f"the submission used up its total time of "
                              f"{self.limits.total_seconds:g} s; the remaining checks were not run.")


def _text(reply: dict, key: str, limit: int) -> str:
    value = reply.get(key)
    if type(value) is not str:
        raise channel.MalformedFrame(f"the reply's {key!r} is not text")
    return value[:limit]


def _texts(reply: dict, key: str, limit: int = 1000) -> list[str]:
    values = reply.get(key)
    if type(values) is not list or len(values) > limit or \
            not all(type(value) is str for value in values):
        raise channel.MalformedFrame(f"the reply's {key!r} is not a list of text")
    return [value[:300] for value in values]


def _load_report(reply: dict) -> tuple[list[tuple[int, str]], list[str]]:
    """(load_errors, functions) from a "loaded" reply, checked."""
    errors = reply.get("errors")
    if reply["kind"] != "loaded" or type(errors) is not list or not all(
            type(error) is list and len(error) == 2 and type(error[0]) is int
            and type(error[1]) is str for error in errors):
        raise channel.MalformedFrame("the worker's report on loading is malformed")
    return [(index, text[:4000]) for index, text in errors], _texts(reply, "functions", 10_000)


def choose_isolation(mode: str) -> tuple[bool, str]:
    """(use bubblewrap, the description `StudentProcess.isolation` shows) for a requested mode."""
    if mode not in ISOLATION_MODES:
        raise ValueError(f"unknown sandbox isolation {mode!r}; use one of "
                         f"{', '.join(ISOLATION_MODES)} (argument or ${ISOLATION_ENV})")
    if mode == "plain":
        return False, f"limits only: plain mode was asked for (isolation='plain' or ${ISOLATION_ENV})"
    problem = bubblewrap_problem()
    if problem is None:
        return True, "bubblewrap"
    if mode == "bubblewrap":
        raise RuntimeError(f"bubblewrap isolation was required, but {problem}")
    return False, f"limits only: {problem}"


@functools.cache
def bubblewrap_problem() -> str | None:
    """Why bubblewrap cannot run a worker here (None when it can); probed once per process."""
    if not sys.platform.startswith("linux"):
        return "bubblewrap needs Linux"
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    scratch = Path(tempfile.mkdtemp(prefix="nnkit-probe-"))
    try:
        _Worker(lambda fd_in, fd_out: build_launch(Limits(), scratch, fd_in, fd_out, True),
                Limits(), _Output(0)).stop()
        return None
    except (RuntimeError, OSError) as error:
        return "bubblewrap does not work here: " + " ".join(str(error).split())[:300]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
