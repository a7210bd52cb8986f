"""The sandbox worker: loads a submission's cells and runs its functions on request.

Started by the grader as a script (`python -s -S -P worker.py FD_IN FD_OUT CONFIG_JSON`) inside
bubblewrap or with limits only; it sees its own modules (this file, channel.py, confine.py,
seccomp.py, landlock.py) and nothing of the grader. Its import path is the standard library
alone: NumPy is imported from the folder the config names, which then leaves the path again.
Before any student code runs it moves the channel's pipes out of the way, applies the resource
limits, drops root (when asked), restricts itself with Landlock (files: the standard library,
NumPy, the system's libraries and its scratch folder; no TCP; no signals out) and installs a
seccomp filter that refuses new processes, sockets and signals to other processes. Then it
answers frames: "load" (run the cells in one fresh module), "call", "losses" (the gradient
check's evaluations of the loss, many in one frame) and "train" (the MNIST check's training).

NumPy is imported before the limits are applied and root is dropped; it is trusted code, and the
student's cells find it already loaded.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import linecache
import mmap
import os
import random
import sys
import traceback
import types
import unicodedata  # noqa: F401  (traceback needs it; loaded before the worker is confined)

if __name__ == "__main__":
    # Only for the imports below: this script's folder (its own modules) and NumPy's.
    sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)),
                    json.loads(sys.argv[3])["numpy_parent"]]

import numpy as np

if __package__:                          # imported by the kit's own tests, never in the sandbox
    from grader.sandbox import channel, confine, landlock, seccomp, training
else:                                    # the worker: its modules lie beside this script
    import channel
    import confine
    import landlock
    import seccomp
    import training

MAX_TEXT = 4000               # characters of an exception message sent back
MAX_TRACEBACK_FRAMES = 30


# ---- known-good helpers that `substitutes` may put in place of the student's own ----------------

class KnownGood:
    """The kit's relu, relu_derivative and softmax, which `substitutes` puts in place of the
    student's for one call. They are not in the worker until a call first needs them: their
    source comes with that call (known_good.py, read by the grader), and the suites grade the
    helpers' own exercises before any exercise that substitutes them, so a student's softmax can
    never return the kit's."""

    def __init__(self):
        self.helpers: dict | None = None

    def get(self, name: str, source: str):
        if self.helpers is None:
            namespace = {"np": np, "__name__": "nnkit_known_good"}
            exec(compile(source, "<nnkit known-good helpers>", "exec"), namespace)
            self.helpers = {helper: namespace[helper] for helper in channel.KNOWN_GOOD_HELPERS}
        return self.helpers[name]


# ---- what the student can import ------------------------------------------------------------------

class OnlyStandardLibraryAndNumpy(importlib.abc.MetaPathFinder):
    """Last on sys.meta_path: a top-level module nothing else found gets a message that says why
    (the worker's import path holds the standard library and NumPy, nothing else)."""

    def find_spec(self, name, path=None, target=None):
        if path is None:
            raise ModuleNotFoundError(
                f"No module named {name!r}: when grading, your functions run with Python's "
                "standard library and NumPy only", name=name)
        return None


# ---- randomness that repeats ---------------------------------------------------------------------

#: The seed every load and every call starts from.
SEED = 0


def make_randomness_repeatable() -> None:
    """A submission that draws random numbers without a seed of its own (`np.random.randn`,
    `random.random`, `np.random.default_rng()`) gets the same numbers on every grading: the
    global generators are seeded before each load and each call (`seed_generators`), and a
    generator made without a seed gets SEED. A grade must never depend on luck."""
    unseeded = np.random.default_rng

    def default_rng(seed=None):
        return unseeded(SEED if seed is None else seed)
    default_rng.__doc__ = unseeded.__doc__
    np.random.default_rng = default_rng


def seed_generators() -> None:
    random.seed(SEED)
    np.random.seed(SEED)


# ---- loading and calling ------------------------------------------------------------------------

class Worker:
    """The submission's module and the channel back to the grader."""

    def __init__(self, fd_in: int, fd_out: int, shared: dict | None = None):
        self.fd_in, self.fd_out = fd_in, fd_out
        self.shared = shared or {}      # {name: {"fd", "shape", "dtype"}}: see shared_array
        self.module = types.ModuleType("submission")
        sys.modules["submission"] = self.module
        self.known_good = KnownGood()
        self.region = None              # the grader's request region, read-only: see map_region

    def send(self, header: dict, value=None, has_value: bool = False) -> None:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                stream.flush()          # the grader reads output first; it must be in the pipe
            except Exception:
                pass
        arrays = []
        if has_value:
            try:
                header = dict(header, value=channel.to_tree(value, arrays, "the result"))
            except channel.NotPlainData as error:
                header, arrays = {"kind": "unsupported", "message": str(error)}, []
            except Exception as error:  # a container of the student's own broke while being read
                header, arrays = {"kind": "unsupported", "message": "the result could not be "
                                  f"read: {one_line(error)}"}, []
        channel.write_all(self.fd_out, channel.pack(header, arrays))

    def serve(self) -> None:
        while True:
            try:
                request, arrays = channel.read_frame(self.fd_in, region=self.region)
            except EOFError:
                return
            if request["kind"] == "region":
                self.map_region(request["fd"], request["bytes"])
            elif request["kind"] == "load":
                self.load(request["cells"])
            elif request["kind"] == "call":
                self.call(request, arrays)
            elif request["kind"] == "train":
                self.train(request, arrays)
            elif request["kind"] == "losses":
                self.losses(request, arrays)

    def load(self, cells: list[str]) -> None:
        errors = []
        seed_generators()
        for index, source in enumerate(cells):
            self.send({"kind": "loading", "cell": index})
            filename = f"<cell {index}>"
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            try:
                exec(compile(source, filename, "exec", dont_inherit=True), self.module.__dict__)
            except BaseException as error:  # noqa: B036 — a cell may even raise SystemExit
                errors.append([index, one_line(error)])
        functions = sorted(name for name, value in self.module.__dict__.items()
                           if callable(value) and not name.startswith("__"))
        self.send({"kind": "loaded", "errors": errors, "functions": functions})

    def call(self, request: dict, arrays: list) -> None:
        name = request["name"]
        function = self.module.__dict__.get(name)
        if function is None or not callable(function):
            detail = "it is not defined" if function is None else \
                f"it is a {channel.describe_type(function)}, not a function"
            return self.send({"kind": "missing", "name": name, "detail": detail})
        args = channel.from_tree(request["args"], arrays)
        kwargs = channel.from_tree(request["kwargs"], arrays)
        inputs = {"args": args, "kwargs": kwargs}
        snapshot = snapshot_inputs(inputs) if request["check_mutation"] else []
        saved = self.substitute(request["substitutes"], request.get("known_good", ""))
        seed_generators()
        try:
            value = function(*args, **kwargs)
        except SystemExit as error:
            return self.send({"kind": "exited", "code": str(error.code)[:200]})
        except BaseException as error:  # noqa: B036 — report whatever the student raised
            return self.send(describe_exception(error))
        finally:
            self.restore(saved)
        self.send({"kind": "returned", "mutated": changed_inputs(inputs, snapshot)}, value, True)

    def train(self, request: dict, arrays: list) -> None:
        """The MNIST check's training, here (training.py): the final parameters, or "fall back"
        (the grader then trains call by call)."""
        source = request.get("known_good", "")
        replaced = set(request["recipe"].get("replaced", ()))

        def call(name, args, kwargs, substitutes, keep):
            if name in replaced:
                return self.ask_grader(name, args, kwargs, keep)
            function = self.module.__dict__.get(name)
            if not callable(function):
                raise training.FallBack(f"{name} is not defined")
            saved = self.substitute(substitutes, source)
            seed_generators()
            try:
                return function(*args, **kwargs)
            finally:
                self.restore(saved)
        labels, order = (channel.from_tree(request.get(key), arrays) for key in ("labels", "rows"))
        try:
            X_rows = self.shared_array(request["X"]["shared"]) if "shared" in request["X"] \
                else channel.from_tree(request["X"], arrays)
            params = training.run(call, request["recipe"], X_rows, labels, order)
        except BaseException as error:  # noqa: B036 — anything at all: the grader trains itself
            return self.send({"kind": "fall back", "why": one_line(error)})
        self.send({"kind": "returned", "mutated": []}, params, True)

    def losses(self, request: dict, arrays: list) -> None:
        """cross_entropy(forward(X, params)[0], Y) for each of several params, as the grader's
        separate calls would run them, in the same order (forward, then cross_entropy, then the
        next forward), each on arguments of its own, the generators seeded before each call and
        forward's substitutes in place for it. A "called" frame follows each call, so that each
        gets its own time limit. The reply holds, per params, forward's whole value and the
        loss; it stops where the grader's calls would have: at a call that did not return, or
        at an A2 that is not a float64 array (cross_entropy is then not called). The grader
        checks every value itself, in order (StudentProcess.losses)."""
        source = request.get("known_good", "")
        forward, cross_entropy = (self.module.__dict__.get(name)
                                  for name in ("forward", "cross_entropy"))
        calls = channel.from_tree(request["calls"], arrays)
        steps = []

        def run(function, name, args, substitutes):
            if not callable(function):
                raise _Stopped({"kind": "missing", "name": name, "detail": "it is not defined"})
            saved = self.substitute(substitutes, source)
            seed_generators()
            try:
                value = function(*args)
            except SystemExit as error:
                raise _Stopped({"kind": "exited", "code": str(error.code)[:200]}) from None
            except BaseException as error:  # noqa: B036 — reported like a call's
                raise _Stopped(describe_exception(error)) from None
            finally:
                self.restore(saved)
            unsupported = not_plain_data(value)
            if unsupported:
                raise _Stopped({"kind": "unsupported", "message": unsupported})
            self.send({"kind": "called"})
            return value
        try:
            for X, params, Y in calls:
                step = {"forward": run(forward, "forward", (X, params), request["substitutes"])}
                steps.append(step)
                A2 = first_item(step["forward"])
                if type(A2) is not np.ndarray or A2.dtype != np.float64:
                    break                   # the grader's forward check stops here too
                step["loss"] = run(cross_entropy, "cross_entropy",
                                   (training.as_received(A2), Y), {})
                if not is_one_number(step["loss"]):
                    break                   # the grader's check of the loss stops here too
        except _Stopped as stopped:
            return self.send(stopped.reply, steps, True)
        self.send({"kind": "returned", "mutated": []}, steps, True)

    def map_region(self, fd: int, size: int) -> None:
        """Map the request region the grader names in its first frame, where it puts the arrays
        of large requests (channel.into_region), read-only (it is sealed: nothing here can
        write it), and close its descriptor: the student's code, which runs only later, finds
        neither."""
        self.region = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ)
        os.close(fd)

    def shared_array(self, name: str) -> np.ndarray:
        """The grader's shared array `name` (grader/sandbox/shared.py), mapped read-only: a
        sealed memfd this worker inherited, which nobody can write."""
        described = self.shared[name]
        dtype, shape = np.dtype(described["dtype"]), tuple(described["shape"])
        count = int(np.prod(shape))
        buffer = mmap.mmap(described["fd"], max(count * dtype.itemsize, 1), mmap.MAP_SHARED,
                           mmap.PROT_READ)
        return np.frombuffer(buffer, dtype, count).reshape(shape)

    def ask_grader(self, name: str, args: list, kwargs: dict, keep: bool = False):
        """The value of the reference's `name` on these arguments, which the grader computes
        (a function of the student's that lost points in its own exercise is replaced by the
        reference's for the MNIST check; the reference never enters the sandbox); None with
        `keep`, where the grader keeps it for a later call (training.kept). FallBack if the
        grader refuses the arguments: it then trains call by call and says why."""
        batch = BATCH_ARGUMENTS.get(name, 0)   # the grader has the batch: only its dtype goes
        dtype = args[0].dtype.str if batch else ""
        self.send({"kind": "need", "name": name, "batch_dtype": dtype, "keep": keep},
                  {"args": list(args[batch:]), "kwargs": dict(kwargs)}, True)
        answer, arrays = channel.read_frame(self.fd_in, region=self.region)
        if answer.get("kind") != "given":
            raise training.FallBack(f"the grader refused {name}'s arguments")
        return None if keep else channel.from_tree(answer.get("value"), arrays)

    def substitute(self, substitutes: dict, known_good_source: str) -> dict:
        namespace, missing = self.module.__dict__, object()
        saved = {name: namespace.get(name, missing) for name in substitutes}
        for name, helper in substitutes.items():
            namespace[name] = self.known_good.get(helper, known_good_source)
        return {name: (None if value is missing else value, value is missing)
                for name, value in saved.items()}

    def restore(self, saved: dict) -> None:
        for name, (value, was_missing) in saved.items():
            if was_missing:
                self.module.__dict__.pop(name, None)
            else:
                self.module.__dict__[name] = value


#: How many leading arguments of a training call are the batch (X, or X and Y), which the
#: grader, holding the same images, does not need sent back when it stands in for the call.
BATCH_ARGUMENTS = {"forward": 1, "backprop": 2}


class _Stopped(Exception):
    """A call of a `losses` request did not return; `.reply` says how, as `call` would."""

    def __init__(self, reply: dict):
        super().__init__(reply["kind"])
        self.reply = reply


def first_item(value):
    """forward's value[0] as the grader takes it from what it decodes: the first item of a
    tuple or list, the first row of an array; None where that fails or is not an array (the
    grader then stops without calling cross_entropy)."""
    if isinstance(value, (tuple, list)) and len(value) > 0:
        item = value[0]
    elif isinstance(value, np.ndarray) and value.ndim > 0 and len(value) > 0:
        item = training.as_received(value)[0]
    else:
        return None
    return np.asarray(item) if isinstance(item, np.ndarray) else None


def is_one_number(value) -> bool:
    """Whether the grader takes `value`, as it decodes it, for one finite real number (see
    grader.checks.expect.expect_float)."""
    if isinstance(value, np.ndarray):
        if value.size != 1 or value.dtype.kind not in "iuf":
            return False
        value = value.reshape(()).item()
    elif isinstance(value, np.generic):
        if value.dtype.kind not in "iuf":
            return False
        value = value.item()
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return bool(np.isfinite(float(value)))
    except (OverflowError, ValueError):
        return False


def not_plain_data(value) -> str:
    """Why `value` cannot be sent back ("" when it can), as `Worker.send` would say it."""
    try:
        channel.to_tree(value, [], "the result")
        return ""
    except channel.NotPlainData as error:
        return str(error)
    except Exception as error:  # a container of the student's own broke while being read
        return f"the result could not be read: {one_line(error)}"


def one_line(error: BaseException) -> str:
    """"ExcType: message (line N)" on one line, for a cell that failed to load."""
    message = " ".join(message_of(error).split())
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    frames = student_frames(error)
    if frames and not isinstance(error, SyntaxError):   # a SyntaxError names its line already
        text += f" (line {frames[-1].lineno})"
    return text[:MAX_TEXT]


def message_of(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:
        return "(its message could not be shown)"


def student_frames(error: BaseException) -> list:
    """The traceback's frames in the student's cells; the worker's own are never shown."""
    return [frame for frame in traceback.extract_tb(error.__traceback__)
            if frame.filename.startswith("<cell ")][-MAX_TRACEBACK_FRAMES:]


def describe_exception(error: BaseException) -> dict:
    """A "raised" frame whose traceback keeps only the student's own frames ("<cell N>")."""
    text = "Traceback (most recent call last):\n" \
        + "".join(traceback.format_list(student_frames(error))) \
        + "".join(traceback.format_exception_only(type(error), error))
    return {"kind": "raised", "exc_type": type(error).__name__[:200],
            "message": message_of(error)[:MAX_TEXT], "traceback": text[-4 * MAX_TEXT:]}


def snapshot_inputs(inputs: dict) -> list[tuple]:
    """Copies of every array and the members of every dict/list among the call's arguments."""
    snapshot = []

    def visit(value, path):
        if isinstance(value, np.ndarray):
            snapshot.append((path, value, value.copy()))
        elif isinstance(value, dict):
            snapshot.append((path, value, dict(value)))
            for key, item in value.items():
                visit(item, f"{path}[{key!r}]")
        elif isinstance(value, (list, tuple)):
            if isinstance(value, list):
                snapshot.append((path, value, list(value)))
            for index, item in enumerate(value):
                visit(item, f"{path}[{index}]")

    for index, value in enumerate(inputs["args"]):
        visit(value, f"args[{index}]")
    for key, value in inputs["kwargs"].items():
        visit(value, f"kwargs[{key!r}]")
    return snapshot


def changed_inputs(inputs: dict, snapshot: list[tuple]) -> list[str]:
    """Paths of the arrays whose bytes, shape or dtype changed, and of dicts/lists whose members
    were replaced, added or removed. Bits are compared, so an untouched NaN is unchanged."""
    changed = []
    for path, now, before in snapshot:
        if isinstance(before, np.ndarray):
            if not same_bits(now, before):
                changed.append(path)
        elif not same_members(now, before):
            changed.append(path)
    return changed


def same_members(now, before) -> bool:
    """Whether a dict/list still holds the very same objects (under the same keys)."""
    if len(now) != len(before):
        return False
    if isinstance(before, dict):
        return all(key in now and now[key] is value for key, value in before.items())
    return all(a is b for a, b in zip(now, before))


def same_bits(now: np.ndarray, before: np.ndarray) -> bool:
    try:
        if now.shape != before.shape or now.dtype != before.dtype:
            return False
        return bool(np.array_equal(_as_words(now), _as_words(before)))
    except Exception:
        return False


def _as_words(array: np.ndarray) -> np.ndarray:
    """The array's bytes as unsigned integers (8 at a time when they divide evenly)."""
    flat = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
    return flat.view(np.uint64) if flat.size % 8 == 0 else flat


def main(argv: list[str]) -> None:
    fd_in, fd_out = confine.move_channel(int(argv[1]), int(argv[2]))
    config = json.loads(argv[3])
    for folder in sys.path[:2]:          # this script's folder and NumPy's: see the imports
        sys.path_importer_cache.pop(folder, None)
    del sys.path[:2]
    refused_limits = confine.apply_limits(config)
    # Landlock's paths are opened while the worker may still cross every folder above them.
    ruleset = landlock.prepare(config["readable"], config["writable"])
    confine.enter_scratch(config["cwd"], config["drop_to"])
    confine.make_undumpable()
    # Landlock lets the standard library's folder be read but not listed (it holds
    # site-packages): list it now, for the import system's cache, while that is still allowed.
    importlib.machinery.PathFinder.find_spec("nnkit_worker_fills_import_caches")
    confine.forbid_new_privileges()
    files = landlock.enforce(ruleset)
    filter_status = seccomp.install_seccomp(config["block_processes"], config["block_network"])
    make_randomness_repeatable()
    sys.meta_path.append(OnlyStandardLibraryAndNumpy())
    worker = Worker(fd_in, fd_out, config.get("shared"))
    worker.send({"kind": "hello", "pid": os.getpid(), "uid": os.getuid(),
                 "seccomp": filter_status, "landlock": files, "refused_limits": refused_limits})
    try:
        worker.serve()
    except MemoryError:
        os._exit(channel.EXIT_OUT_OF_MEMORY)


if __name__ == "__main__":
    main(sys.argv)
