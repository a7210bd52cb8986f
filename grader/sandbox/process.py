"""StudentProcess: the grader's handle on one submission running in a sandbox worker.

It turns what the worker reports into plain values or `StudentError`s a student can act on, and
owns the worker's life: started with the cells loaded, killed on a timeout, a crash or garbage on
the channel, started again (cells reloaded) before the next call. A cell whose loading stops
the worker (an exit, a crash, an endless loop) is left out and the others loaded again, as a
syntax error costs only its own cell; past MAX_CELLS_LEFT_OUT such cells, or when no cell was
running, the failed load is final: every later call reports it. Calls also share a total time
budget.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox import (MissingFunction, StudentCrashed, StudentError, StudentRaised,
                            StudentTimeout, UnsafeReply, channel, shared)
from grader.sandbox.allowlist import Runtime, adopt_runtime, known_runtime
from grader.sandbox.connection import (CapturedOutput, Connection, WorkerGone, WorkerTimedOut,
                                       size_text)
from grader.sandbox.launcher import Launch, Limits, build_launch
from grader.sandbox.scratch import empty_folder

ISOLATION_ENV = "NNKIT_SANDBOX"
ISOLATION_MODES = ("auto", "bubblewrap", "plain")
#: Cells left out, one at a time, because loading them stopped the worker (see _start): each
#: costs a restart and, for an endless loop, Limits.load_seconds of the submission's total time.
MAX_CELLS_LEFT_OUT = 3


@dataclass(frozen=True)
class CallOutcome:
    value: object
    mutated: list[str]      # argument paths changed in place, e.g. "args[1]['W1']"
    seconds: float          # wall-clock time of the call, measured by the grader
    output: str             # what the call printed (capped)


class StudentProcess:
    """One submission loaded in a sandbox worker; see the package docstring for the API."""

    def __init__(self, cells: list[str], scratch_dir: Path, limits: Limits = Limits(), *,
                 isolation: str | None = None, started: Connection | None = None):
        """Start the worker and load `cells`. isolation: "auto" (the default, or $NNKIT_SANDBOX),
        "bubblewrap" (an error unless it works here) or "plain" (limits only). started: a worker
        already starting for `scratch_dir` with these limits and isolation (a SpareWorker's),
        used as the first one instead of starting another."""
        self.cells = [str(cell) for cell in cells]
        self.scratch_dir = Path(scratch_dir).resolve()
        self.scratch_dir.mkdir(parents=True, exist_ok=True)
        self.limits = limits
        self._bubblewrap, self._why_plain = choose_isolation(
            requested_isolation(isolation))
        self.isolation = "not started"
        self.load_errors: list[tuple[int, str]] = []
        self.functions: list[str] = []
        self._output = CapturedOutput(limits.output_bytes)
        self._used = 0.0           # CPU seconds of the submission's total (wall where unreadable)
        self._wall_used = 0.0      # wall-clock seconds, for the total's backstop
        self._loaded = False
        self._load_failure: StudentError | None = None
        self._left_out: list[tuple[int, str]] = []    # cells whose loading stopped the worker
        self._closed = False
        self._started = started
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
        """Kill the worker's process group and reap it, then empty the scratch folder (however
        deep or locked the student left it); the StudentProcess cannot be used again."""
        self._closed = True
        if self._started is not None:       # the worker started ahead failed before its hello
            self._started.stop()
            self._started = None
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        with contextlib.suppress(OSError):   # what is left, the folder's owner still removes
            empty_folder(self.scratch_dir)

    def call(self, name: str, *args, substitutes: dict | None = None,
             timeout: float | None = None, **kwargs):
        """What `name(*args, **kwargs)` returned in the worker: plain data only."""
        return self._call(name, args, kwargs, substitutes, timeout, check_mutation=False).value

    def call_detailed(self, name: str, *args, substitutes: dict | None = None,
                      timeout: float | None = None, **kwargs) -> CallOutcome:
        """Like `call`, plus the arguments it changed in place, its time and its output."""
        return self._call(name, args, kwargs, substitutes, timeout, check_mutation=True)

    def train(self, recipe: dict, X_rows, labels, seconds: float, reference=None,
              rows_of: tuple | None = None):
        """The MNIST check's training, run in the worker next to the student's functions
        (training.py): the final parameters as sent back, not yet validated; or None when the
        grader must train call by call instead (anything unexpected, a crash, a timeout: the
        call-by-call training then explains it to the student).

        recipe: as training.run takes it; X_rows (images, 784) and labels (images,), shuffled.
        recipe["replaced"] names the functions the worker asks the grader for: reference(name,
        args, kwargs, batch_dtype) computes each (the reference's, trusted, here), or raises to
        refuse the arguments, which makes the worker fall back. The batch, X (and Y), is not
        among args: the caller has it; batch_dtype is the dtype the worker has it in. An
        argument may be a value `reference` gave earlier and kept, named ({"kept": name}, see
        training.kept): `reference` resolves it to its own copy. A request that says "keep"
        is answered without the value, which `reference` keeps for such a later argument.
        rows_of: (images, order) with X_rows == images[order], where `images` may be an array
        the workers share (shared.py): a worker that maps it is sent `order` instead of X_rows,
        which may then be a function that gathers them, called only when they must be sent.
        """
        def on_need(header: dict, arrays: list) -> list:
            try:
                value = channel.from_tree(header.get("value"), arrays)
                name = header.get("name")
                if reference is None or name not in recipe.get("replaced", ()) or \
                        type(value) is not dict or set(value) != {"args", "kwargs"}:
                    raise ValueError("not a function the grader stands in for")
                given: list = []
                computed = reference(name, value["args"], value["kwargs"],
                                     str(header.get("batch_dtype"))[:10])
                if header.get("keep") is True:
                    return channel.pack({"kind": "given"}, given)
                return channel.pack({"kind": "given", "value": channel.to_tree(computed, given)},
                                    given)
            except Exception:   # Feedback on the arguments, or garbage: the worker falls back
                return channel.pack({"kind": "refused"}, [])
        try:
            if self._over():
                return None
            worker = self._ready_worker()
            arrays: list = []
            images = shared.name_of(rows_of[0]) if rows_of is not None else None
            if images in worker.shared:
                X, rows = {"shared": images}, channel.to_tree(rows_of[1], arrays, "rows")
            else:
                X = channel.to_tree(X_rows() if callable(X_rows) else X_rows, arrays, "X")
                rows = None
            request = channel.pack({
                "kind": "train", "recipe": recipe, "X": X, "rows": rows,
                "labels": channel.to_tree(labels, arrays, "labels"),
                "known_good": known_good_source()},
                arrays)
            reply, arrays = self._exchange(worker, request, seconds, on_need=on_need)
            if reply["kind"] != "returned":
                return None
            return channel.from_tree(reply.get("value"), arrays)
        except (StudentError, WorkerTimedOut, WorkerGone, channel.WireError):
            if self._worker is not None:
                self._worker.stop()
            return None

    def losses(self, X, Y, params_list: list, *, substitutes: dict | None = None
               ) -> LossSteps | None:
        """cross_entropy(forward(X, params)[0], Y) for each of `params_list` in one exchange,
        the calls made as `call` makes them (forward with `substitutes`), in the same order, each
        with its own Limits.call_seconds (the worker says when each call ends). The worker stops
        where separate calls would: at a call that did not return, at an A2 that is not a
        float64 array, at a loss that is not one finite number. Nothing is checked here but
        the channel: the caller checks each step in order, as it would each call's value.

        None when the batch did not come back whole (a timeout, a crash, garbage): the caller
        then makes the calls one by one, so that what happens is exactly what they do."""
        _check_substitutes(substitutes)
        arrays: list = []
        calls = [[channel.to_tree(X, arrays, "X"), channel.to_tree(params, arrays, "params"),
                  channel.to_tree(Y, arrays, "Y")] for params in params_list]
        request = channel.pack({
            "kind": "losses", "calls": calls, "substitutes": dict(substitutes or {}),
            "known_good": known_good_source() if substitutes else ""}, arrays)
        if self._over():
            return None
        worker = self._ready_worker()
        calls_ended = [0]

        def call_ended(header) -> bool:
            if header.get("kind") != "called":
                raise channel.MalformedFrame("a frame that does not belong in a losses reply")
            calls_ended[0] += 1
            return True                  # the next call has a time limit of its own
        try:
            reply, arrays = self._exchange(worker, request, self.limits.call_seconds,
                                           call_ended, restart_on_progress=True)
            steps = _loss_steps(reply, arrays, len(params_list))
            if reply["kind"] == "returned":
                return LossSteps(steps, None, "")
            failed = "cross_entropy" if calls_ended[0] % 2 else "forward"
            try:
                self._interpret(failed, worker, dict(reply, value=None), [])
            except StudentError as error:
                return LossSteps(steps, error, failed)
            raise channel.MalformedFrame("a losses reply that stopped without saying why")
        except (StudentError, WorkerTimedOut, WorkerGone, channel.WireError):
            if self._worker is not None:
                self._worker.stop()
            return None

    def _call(self, name, args, kwargs, substitutes, timeout, check_mutation) -> CallOutcome:
        _check_substitutes(substitutes)
        arrays = []
        request = channel.pack({
            "kind": "call", "name": name, "args": channel.to_tree(list(args), arrays, "args"),
            "kwargs": channel.to_tree(dict(kwargs), arrays, "kwargs"),
            "substitutes": dict(substitutes or {}), "check_mutation": check_mutation,
            "known_good": known_good_source() if substitutes else ""}, arrays)
        seconds = self.limits.call_seconds if timeout is None else timeout
        if self._over():
            raise self._over_budget()
        worker = self._ready_worker()
        worker.call_output = CapturedOutput(self.limits.output_bytes)
        started = time.monotonic()
        try:
            reply, arrays = self._exchange(worker, request, seconds)
        except WorkerTimedOut as timed_out:
            if timed_out.cpu:
                raise StudentTimeout(
                    f"`{name}` used {seconds:g} s of CPU time without returning; look for an "
                    "endless loop, or work that grows faster than it should.") from None
            raise StudentTimeout(
                f"`{name}` did not return within {self.limits.wall_seconds(seconds):g} s, and "
                "it was not computing: it was waiting (a sleep, input(), a lock?).") from None
        except WorkerGone:
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

    def _interpret(self, name: str, worker: Connection, reply: dict, arrays: list):
        """(value, mutated) from a "returned" reply; the matching StudentError for any other."""
        kind = reply["kind"]
        if kind == "returned":
            return channel.from_tree(reply.get("value"), arrays), _texts(reply, "mutated")
        if kind == "raised":
            exc_type, message = _text(reply, "exc_type", 200), _text(reply, "message", 4000)
            if exc_type == "MemoryError":
                worker.stop()   # its heap may be in a sorry state; the next call gets a fresh one
                raise StudentCrashed(f"`{name}` ran out of memory (the limit is "
                                     f"{size_text(self.limits.memory_bytes)}): {message}")
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

    # ---- the worker's life ----------------------------------------------------------------------

    def _ready_worker(self) -> Connection:
        if self._closed:
            raise RuntimeError("this StudentProcess is closed; start a new one")
        if self._worker is None or not self._worker.alive:
            if self._load_failure is None:
                self._worker = self._start()
        if self._load_failure is not None:
            raise type(self._load_failure)(self._load_failure.message)
        return self._worker

    def _start(self) -> Connection | None:
        """A fresh worker with the cells loaded, or None with _load_failure set.

        A cell whose loading stops the worker (an exit, a crash, an endless loop, garbage on the
        channel) is left out and the cells are loaded again without it, up to
        MAX_CELLS_LEFT_OUT of them: like a syntax error, such a cell costs only what it defines.
        """
        while True:
            worker = self._connect()
            self.isolation = describe_isolation(self._bubblewrap, self._why_plain,
                                                worker.hello)
            try:
                errors, functions = self._load(worker)
            except _LoadStopped as stopped:
                if not self._may_leave_out(stopped.cell):
                    return self._failed_load(stopped.failure, stopped.cell)
                self._leave_out(stopped.cell, stopped.failure)
                continue
            if not self._loaded:
                self.load_errors = sorted(self._left_out + errors)
                self.functions, self._loaded = functions, True
            return worker

    def _connect(self) -> Connection:
        """A new worker that said hello: the one started ahead, the first time, if there is one."""
        started, self._started = self._started, None
        if started is not None:
            return started.ready(self._output)
        return Connection(self._launch, self.limits, self._output)

    def _load(self, worker: Connection) -> tuple[list[tuple[int, str]], list[str]]:
        """Load the cells in `worker`: (load errors, functions); _LoadStopped if it stopped."""
        running = {"cell": None}      # the cell being loaded, from the worker's progress frames

        def progress(header):
            if type(header.get("cell")) is int:
                running["cell"] = header["cell"]

        def where() -> str:
            return "" if running["cell"] is None else f" (code cell {running['cell']} was running)"
        request = channel.pack({"kind": "load", "cells": self.cells}, [])
        try:
            reply, _ = self._exchange(worker, request, self.limits.load_seconds, progress)
            return _load_report(reply)
        except WorkerTimedOut:
            failure = StudentTimeout(
                f"loading the submission took longer than {self.limits.load_seconds:g} s of CPU "
                f"time{where()}. Keep slow work such as training out of the cells that define "
                "functions, or put it under `if __name__ == '__main__':`.")
        except WorkerGone:
            failure = StudentCrashed(
                f"loading the submission stopped the worker{where()}: {worker.death()}")
        except channel.WireError as error:
            worker.stop()
            failure = UnsafeReply(
                f"loading the submission broke the grader's channel to it{where()}: {error}")
        raise _LoadStopped(failure, running["cell"])

    def _may_leave_out(self, cell: int | None) -> bool:
        return (cell is not None and 0 <= cell < len(self.cells) and bool(self.cells[cell])
                and len(self._left_out) < MAX_CELLS_LEFT_OUT
                and not self._over())

    def _leave_out(self, cell: int, failure: StudentError) -> None:
        self.cells[cell] = ""
        self._left_out.append((cell, f"{type(failure).__name__}: {failure.message} The grader "
                                     "left this cell out: nothing it defines was graded."))

    def _failed_load(self, failure: StudentError, cell: int | None) -> None:
        self._load_failure = failure
        stopped = [(cell, f"{type(failure).__name__}: {failure.message}")] if cell is not None \
            else []
        self.load_errors = sorted(self._left_out + stopped)
        return None

    def _launch(self, fd_in: int, fd_out: int) -> Launch:
        return build_launch(self.limits, self.scratch_dir, fd_in, fd_out, self._bubblewrap)

    def _exchange(self, worker: Connection, request: list, seconds: float, on_progress=None,
                  restart_on_progress: bool = False, on_need=None):
        """One exchange within `seconds` of CPU time and what is left of the submission's total,
        each with its wall-clock backstop (Limits.wall_seconds).

        The worker is killed on a timeout, on garbage, or if the grader itself is interrupted;
        on WorkerGone the caller reads its exit status first (worker.death()).
        """
        limits = self.limits
        remaining = limits.total_seconds - self._used
        cpu_limit = min(seconds, remaining)
        wall_remaining = limits.wall_seconds(limits.total_seconds) - self._wall_used
        started, cpu_before = time.monotonic(), worker.cpu_seconds()
        deadline = started + min(limits.wall_seconds(cpu_limit), wall_remaining)
        restart = None
        if restart_on_progress:         # each progress frame starts a call with its own limits
            def restart(cpu_now: float | None):
                used = 0.0 if None in (cpu_now, cpu_before) else cpu_now - cpu_before
                wall_used = time.monotonic() - started
                return (min(seconds, remaining - used),
                        time.monotonic() + min(limits.wall_seconds(seconds),
                                               wall_remaining - wall_used))
        try:
            return worker.exchange(request, deadline, on_progress, cpu_limit, cpu_before,
                                   restart, on_need)
        except WorkerGone:
            raise
        except WorkerTimedOut as timed_out:
            worker.stop()
            if (remaining < seconds) if timed_out.cpu else \
                    (wall_remaining < limits.wall_seconds(seconds)):
                raise self._over_budget(cpu=timed_out.cpu) from None
            raise
        except BaseException:
            worker.stop()
            raise
        finally:
            wall = time.monotonic() - started
            cpu_after = worker.cpu_seconds()
            self._wall_used += wall
            self._used += wall if None in (cpu_before, cpu_after) else cpu_after - cpu_before

    def _over(self) -> bool:
        """Whether the submission has used up its total CPU time, or its wall-clock backstop."""
        return (self._used >= self.limits.total_seconds or
                self._wall_used >= self.limits.wall_seconds(self.limits.total_seconds))

    def _over_budget(self, cpu: bool | None = None) -> StudentTimeout:
        total = self.limits.total_seconds
        if cpu if cpu is not None else self._used >= total:
            return StudentTimeout(f"the submission used up its total time of {total:g} s of CPU "
                                  "time; the remaining checks were not run.")
        return StudentTimeout(
            f"the submission used up its total time of {self.limits.wall_seconds(total):g} s "
            "while mostly waiting, not computing; the remaining checks were not run.")


def _check_substitutes(substitutes: dict | None) -> None:
    unknown = set((substitutes or {}).values()) - set(channel.KNOWN_GOOD_HELPERS)
    if unknown:
        raise ValueError(f"unknown substitutes {sorted(unknown)}; the worker has "
                         f"{', '.join(channel.KNOWN_GOOD_HELPERS)}")


@dataclass(frozen=True)
class LossSteps:
    """What a `losses` batch gave: for each params in order, until it stopped, forward's value
    and the loss ({"forward": value, "loss": value}, "loss" absent when cross_entropy was not
    called); `error` is the StudentError of the call that stopped it (`failed`: "forward" or
    "cross_entropy"), None when every params has its loss."""

    steps: list
    error: StudentError | None
    failed: str


def _loss_steps(reply: dict, arrays: list, expected: int) -> list[dict]:
    """The steps of a losses reply, their form checked (not their values: the caller's)."""
    steps = channel.from_tree(reply.get("value"), arrays)
    if type(steps) is not list or len(steps) > expected or not all(
            type(step) is dict and "forward" in step and set(step) <= {"forward", "loss"}
            for step in steps):
        raise channel.MalformedFrame("a losses reply of the wrong shape")
    return steps


class _LoadStopped(Exception):
    """Loading stopped the worker: `failure` says how, `cell` which cell was running (or None)."""

    def __init__(self, failure: StudentError, cell: int | None):
        super().__init__(failure.message)
        self.failure, self.cell = failure, cell


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


@functools.cache
def known_good_source() -> str:
    """The text of known_good.py, sent with each call that substitutes the kit's helpers."""
    return (Path(__file__).with_name("known_good.py")).read_text(encoding="utf-8")


def describe_isolation(bubblewrap: bool, why_plain: str, hello: dict) -> str:
    """What contained a worker, from what it said before any student code ran: the level first
    ("bubblewrap + Landlock", "bubblewrap", "Landlock", "limits only"; see isolation_level),
    then, after a colon or a semicolon, every gap, in words an instructor reads."""
    landlock = str(hello.get("landlock"))[:120]
    landlock_on = landlock.startswith("on")
    gaps = []
    if hello.get("seccomp") != "on":
        gaps.append(f"new processes are not blocked (seccomp {str(hello.get('seccomp'))[:80]})")
    if hello.get("uid") == 0:
        gaps.append("the worker runs as uid 0, without capabilities (other users cannot read "
                    "this interpreter's files)")
    refused = hello.get("refused_limits")
    if type(refused) is list and refused:
        gaps.append("this system refused " + ", ".join(str(name)[:20] for name in refused[:8]))
    if bubblewrap:
        level = "bubblewrap + Landlock" if landlock_on else f"bubblewrap (Landlock {landlock})"
    elif landlock_on:
        level = f"Landlock, without bubblewrap ({why_plain})"
    else:
        level = (f"limits only ({why_plain}; Landlock {landlock}): student code can read and "
                 "write whatever the grader's user can, the hidden suites included")
    return level + "".join(f"; {gap}" for gap in gaps)


@functools.cache
def available_isolation(mode: str | None = None) -> str:
    """The isolation a worker gets here, now: the `isolation` of a worker started with nothing to
    load (mode as for StudentProcess). A batch says it at its top, refuses to grade without it
    when asked (--require-isolation), and keeps its level in every fingerprint."""
    bubblewrap, why_plain = choose_isolation(requested_isolation(mode))
    if bubblewrap and _PROBED_HELLO:    # bubblewrap_problem's worker already said it
        return describe_isolation(True, "", _PROBED_HELLO[0])
    with tempfile.TemporaryDirectory(prefix="nnkit-probe-") as scratch, \
            StudentProcess([], Path(scratch), isolation=mode) as student:
        return student.isolation


def isolation_level(description: str) -> str:
    """"bubblewrap", "landlock" or "limits only": how strongly a worker was contained, from its
    `isolation` text. The first two keep student code away from the kit and the network."""
    if description.startswith("bubblewrap"):
        return "bubblewrap"
    if description.startswith("Landlock"):
        return "landlock"
    return "limits only"


def _load_report(reply: dict) -> tuple[list[tuple[int, str]], list[str]]:
    """(load_errors, functions) from a "loaded" reply, checked."""
    errors = reply.get("errors")
    if reply["kind"] != "loaded" or type(errors) is not list or not all(
            type(error) is list and len(error) == 2 and type(error[0]) is int
            and type(error[1]) is str for error in errors):
        raise channel.MalformedFrame("the worker's report on loading is malformed")
    return [(index, text[:4000]) for index, text in errors], _texts(reply, "functions", 10_000)


def requested_isolation(mode: str | None = None) -> str:
    """The isolation mode asked for: `mode`, else $NNKIT_SANDBOX, else "auto"."""
    return mode or os.environ.get(ISOLATION_ENV) or "auto"


def choose_isolation(mode: str) -> tuple[bool, str]:
    """(use bubblewrap, why not) for a requested mode; why not is "" when it is used."""
    if mode not in ISOLATION_MODES:
        raise ValueError(f"unknown sandbox isolation {mode!r}; use one of "
                         f"{', '.join(ISOLATION_MODES)} (argument or ${ISOLATION_ENV})")
    if mode == "plain":
        return False, f"plain mode was asked for (isolation='plain' or ${ISOLATION_ENV})"
    problem = bubblewrap_problem()
    if problem is None:
        return True, ""
    if mode == "bubblewrap":
        raise RuntimeError(f"bubblewrap isolation was required, but {problem}")
    return False, problem


#: What the worker bubblewrap_problem started said (its hello), for available_isolation.
_PROBED_HELLO: list[dict] = []
#: bubblewrap_problem() once known in this process: probed, or adopted (adopt_probes).
_BUBBLEWRAP_PROBLEM: list[str | None] = []


def bubblewrap_problem() -> str | None:
    """Why bubblewrap cannot run a worker here (None when it can): probed once per process (a
    worker started in it, 0.26 s), or what adopt_probes was given."""
    if not _BUBBLEWRAP_PROBLEM:
        _BUBBLEWRAP_PROBLEM.append(_probe_bubblewrap())
    return _BUBBLEWRAP_PROBLEM[0]


def probes() -> tuple[list[str | None], list[Runtime]]:
    """What this process has found out about the machine for its workers so far: the answers of
    bubblewrap_problem and allowlist.runtime, each a list of one, or empty where it has not
    asked. For the grading processes of its batch to adopt (adopt_probes) instead of each
    finding out again (0.4 s of every grading process's start). It asks nothing itself: the
    `grade` command has asked what its workers need (plain mode never probes bubblewrap)."""
    return list(_BUBBLEWRAP_PROBLEM), known_runtime()


def adopt_probes(found: tuple[list[str | None], list[Runtime]]) -> None:
    """Take what probes() gave in the `grade` process that started this one, moments ago: the
    same user, environment and machine; what it had not asked is found out here when needed.
    Should bubblewrap fail here after all, a worker does not start and the submission's grade
    says so; it never quietly gets weaker containment."""
    problems, runtimes = found
    if problems and not _BUBBLEWRAP_PROBLEM:
        _BUBBLEWRAP_PROBLEM.append(problems[0])
    for found_runtime in runtimes:
        adopt_runtime(found_runtime)


def _probe_bubblewrap() -> str | None:
    if not sys.platform.startswith("linux"):
        return "bubblewrap needs Linux"
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    scratch = Path(tempfile.mkdtemp(prefix="nnkit-probe-"))
    try:
        probe = Connection(lambda fd_in, fd_out: build_launch(Limits(), scratch, fd_in, fd_out,
                                                              True), Limits(), CapturedOutput(0))
        _PROBED_HELLO.append(probe.hello)
        probe.stop()
        return None
    except (RuntimeError, OSError) as error:
        return "bubblewrap does not work here: " + " ".join(str(error).split())[:300]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
