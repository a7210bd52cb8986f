"""The sandbox runs real worker processes here: with bubblewrap (installed on the dev machine and in
CI) and in plain "limits only" mode, so both paths are exercised. Where bubblewrap cannot run,
its tests skip with the reason on a developer's machine and fail in CI (env CI set).

Student code lives in tests/sandbox_cases/*.py, one file per theme; each file is one cell.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import io
import math
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import (Limits, MissingFunction, StudentCrashed, StudentProcess, StudentRaised,
                            StudentTimeout, UnsafeReply, channel)
from grader.sandbox import launcher, seccomp
from grader.sandbox.launcher import SANDBOX_USER, tasks_of_user
from grader.sandbox.confine import PR_GET_DUMPABLE, PR_SET_DUMPABLE, prctl
from hostile.deployments import require_user
from grader.sandbox.connection import hide_own_memory
from grader.sandbox.process import bubblewrap_problem

CASES = Path(__file__).with_name("sandbox_cases")
REPO = Path(__file__).resolve().parents[1]
MODES = ["bubblewrap", "plain"]
QUICK = Limits(call_seconds=5, load_seconds=5, total_seconds=60)


def cell(name: str) -> str:
    return (CASES / f"{name}.py").read_text()


def require_mode(mode: str) -> None:
    if mode == "bubblewrap" and bubblewrap_problem():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the sandbox in bubblewrap: {bubblewrap_problem()}",
                        pytrace=False)
        pytest.skip(f"bubblewrap cannot run here: {bubblewrap_problem()}")


@pytest.fixture(params=MODES)
def mode(request) -> str:
    require_mode(request.param)
    return request.param


@pytest.fixture(scope="module", params=MODES)
def friendly(request, tmp_path_factory):
    """A long-lived worker with well-behaved functions (none of them kills it)."""
    require_mode(request.param)
    cells = [cell("plain_data"), cell("mutation"), cell("unsafe")]
    with StudentProcess(cells, tmp_path_factory.mktemp("friendly"), QUICK,
                        isolation=request.param) as student:
        yield student


@pytest.fixture(scope="module", params=MODES)
def crashy(request, tmp_path_factory):
    """A long-lived worker with functions that kill it; each test needs it to come back."""
    require_mode(request.param)
    with StudentProcess([cell("crashes")], tmp_path_factory.mktemp("crashy"), QUICK,
                        isolation=request.param) as student:
        yield student


def start(tmp_path, mode, *cells, limits=QUICK) -> StudentProcess:
    return StudentProcess(list(cells), tmp_path / "scratch", limits, isolation=mode)


def descendants(pid: int) -> set[int]:
    """`pid` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        found.add(current)
        todo += children.get(current, [])
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of `pids` that still exist and are not zombies."""
    living = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            living.add(pid)
    return living


def worker_processes(student: StudentProcess) -> set[int]:
    return descendants(student._worker.proc.pid)


# ---- plain data both ways -----------------------------------------------------------------------

PLAIN_VALUES = {
    "float32 matrix": np.arange(12, dtype=np.float32).reshape(3, 4),
    "fortran order": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    "strided view": np.arange(20.0)[::3],
    "0-d": np.array(3.5),
    "empty": np.zeros((0, 10)),
    "bool": np.array([True, False]),
    "complex": np.array([1 + 2j]),
    "big-endian": np.arange(3, dtype=">i4"),
    "nan and inf": np.array([np.nan, np.inf, -np.inf, -0.0]),
    "scalars": (1, -2.5, True, None, "text", 2 ** 100, math.nan, math.inf, -0.0),
    "nested": {"W1": np.ones((2, 2)), "list": [1, (2, {"deep": 3})], "empty": {}},
}


def same(a, b) -> bool:
    """Equal in value and kind, NaN == NaN, arrays also in dtype and shape."""
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and \
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, dict):
        return type(b) is dict and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b and str(a) == str(b)   # str tells -0.0 from 0.0


@pytest.mark.parametrize("name", PLAIN_VALUES)
def test_plain_data_round_trips(friendly, name):
    value = PLAIN_VALUES[name]
    assert same(friendly.call("echo", value), value)


def test_numpy_scalars_come_back_as_python_scalars(friendly):
    assert same(friendly.call("numpy_scalars"), (1.5, 7, True, 0.25))
    assert same(friendly.call("echo", {"deep": [np.int8(3)]}), {"deep": [3]})


def test_keyword_arguments_and_a_typical_training_call(friendly):
    rng = np.random.default_rng(0)
    X = rng.random((64, 784), dtype=np.float32)
    params = {"W1": rng.random((784, 128), dtype=np.float32), "b1": np.zeros((1, 128), np.float32),
              "W2": rng.random((128, 10), dtype=np.float32), "b2": np.zeros((1, 10), np.float32)}
    grads = friendly.call("gradients_like", X, params=params)
    assert set(grads) == {"dW1", "db1", "dW2", "db2"}
    assert all(same(grads["d" + key], 2 * params[key]) for key in params)


# ---- loading ------------------------------------------------------------------------------------

def test_a_cell_that_raises_costs_only_what_it_defines(tmp_path, mode):
    with start(tmp_path, mode, "def first():\n    return 1\n", cell("load_raises"),
               "def third():\n    return first() + 2\n") as student:
        assert student.load_errors == [(1, "ZeroDivisionError: division by zero (line 3)")]
        assert {"first", "third", "defined_before_the_error"} <= set(student.functions)
        assert "defined_after_the_error" not in student.functions
        assert student.call("third") == 3
        assert "loading cell 1" in student.output


def test_a_syntax_error_names_its_cell_and_line(tmp_path):
    with start(tmp_path, "plain", "x = 1\n", "def broken(:\n    pass\n") as student:
        [(index, message)] = student.load_errors
        assert index == 1 and message.startswith("SyntaxError") and "<cell 1>, line 1" in message


def test_a_cell_whose_loading_never_ends_is_left_out(tmp_path, mode):
    limits = Limits(call_seconds=5, load_seconds=1)
    began = time.monotonic()
    with start(tmp_path, mode, "def f():\n    return 1\n", "while True:\n    pass\n",
               limits=limits) as student:
        assert time.monotonic() - began < 4
        [(index, message)] = student.load_errors
        assert index == 1 and "StudentTimeout" in message and "cell 1" in message
        assert "left this cell out" in message
        assert student.call("f") == 1


def test_a_load_that_keeps_stopping_the_worker_is_final(tmp_path, mode):
    limits = Limits(call_seconds=5, load_seconds=1)
    loops = ["while True:\n    pass\n"] * 4
    with start(tmp_path, mode, "def f():\n    return 1\n", *loops, limits=limits) as student:
        assert [index for index, _ in student.load_errors] == [1, 2, 3, 4]
        for _ in range(2):   # every call says so at once, without loading again
            began = time.monotonic()
            with pytest.raises(StudentTimeout, match="loading the submission took longer"):
                student.call("f")
            assert time.monotonic() - began < 0.5


# ---- errors the student gets --------------------------------------------------------------------

def test_missing_and_non_callable_names(friendly):
    with pytest.raises(MissingFunction, match="`softmax` was not found: it is not defined. "
                                              "Define `softmax` in its exercise cell"):
        friendly.call("softmax")
    with pytest.raises(MissingFunction, match="it is a int, not a function"):
        friendly.call("NOT_A_FUNCTION")


def test_a_traceback_shows_the_students_cells_only(tmp_path, mode):
    with start(tmp_path, mode, cell("raises"), "def outer(Z):\n    return inner(Z)\n") as student:
        with pytest.raises(StudentRaised) as raised:
            student.call("outer", np.zeros((2, 3)))
    error = raised.value
    assert error.exc_type == "ValueError"
    assert error.message == "ValueError: shapes do not match: (2, 3)"
    assert 'File "<cell 1>", line 2, in outer' in error.traceback
    assert 'File "<cell 0>", line 5, in inner' in error.traceback
    for internal in ("worker.py", "channel.py", "/opt/nnkit", str(REPO), "site-packages"):
        assert internal not in error.traceback


def test_an_endless_loop_times_out_and_the_next_call_works(crashy):
    began = time.monotonic()
    with pytest.raises(StudentTimeout, match="`spin` used 1 s of CPU time without returning"):
        crashy.call("spin", timeout=1)
    assert time.monotonic() - began < 2
    assert crashy.call("fine") == "fine"


@pytest.mark.parametrize("function, message", [
    ("hard_exit", "exited with status 3"),
    ("soft_exit", r"called exit\(2\)"),
    ("kill_self", "SIGKILL"),
    ("segfault", "segmentation fault"),
])
def test_exits_and_signals_are_crashes_then_the_worker_restarts(crashy, function, message):
    with pytest.raises(StudentCrashed, match=message):
        crashy.call(function)
    assert crashy.call("fine") == "fine"


def test_a_cpu_time_that_cannot_be_read_mid_call_does_not_break_the_grader(crashy, monkeypatch):
    """A worker that dies during a call (its /proc entry gone before the channel says so) reads
    as no CPU time (None): the call goes on to what the channel says, never a TypeError."""
    worker = crashy._ready_worker()
    readings = iter([worker.cpu_seconds()])
    monkeypatch.setattr(worker, "cpu_seconds", lambda: next(readings, None))
    assert crashy.call("nap", 0.2) is None        # polled several times while it naps
    monkeypatch.undo()
    assert crashy.call("fine") == "fine"


def test_signalling_the_grader_is_refused(crashy):
    with pytest.raises(StudentRaised, match="PermissionError"):
        crashy.call("kill_parent")
    assert crashy.call("fine") == "fine"


def test_running_out_of_memory_is_a_crash_that_says_so(crashy):
    with pytest.raises(StudentCrashed, match="ran out of memory .the limit is 2 GiB."):
        crashy.call("hog_memory")
    assert crashy.call("fine") == "fine"


def test_a_file_over_the_size_limit_cannot_be_written(tmp_path, mode):
    limits = Limits(file_bytes=1 << 20)
    with start(tmp_path, mode, cell("crashes"), limits=limits) as student:
        with pytest.raises(StudentRaised, match="File too large"):
            student.call("write_big_file", 2 << 20)
        assert student.call("write_big_file", 1000) == 1000


def test_huge_output_is_truncated_without_slowing_the_call_down(crashy):
    outcome = crashy.call_detailed("shout", 100)     # 100 MB of output
    assert outcome.value == "done" and outcome.seconds < 5
    assert outcome.output.startswith("x" * 1000)
    assert "[output truncated: 100000100 bytes printed, the first 65536 shown]" in outcome.output
    assert len(outcome.output) < 70_000
    assert len(crashy.output) < 70_000


@pytest.mark.parametrize("function, errors", [
    ("scribble_on_fds", UnsafeReply),
    ("close_all_fds", (StudentCrashed, StudentTimeout)),
])
def test_garbage_on_the_channel_is_refused_then_the_worker_restarts(crashy, function, errors):
    with pytest.raises(errors):
        crashy.call(function, timeout=2)
    assert crashy.call("fine") == "fine"


def test_garbage_sent_between_calls_is_caught_by_the_next_call(crashy):
    crashy.call("scribble_later")       # its thread writes on every fd a moment later
    time.sleep(0.3)
    with pytest.raises(UnsafeReply, match="nobody asked for"):
        crashy.call("fine")
    assert crashy.call("fine") == "fine"


def test_cpu_time_is_capped_behind_the_wall_clock(tmp_path, mode):
    limits = Limits(call_seconds=10, cpu_seconds=1)
    with start(tmp_path, mode, cell("crashes"), limits=limits) as student:
        began = time.monotonic()
        with pytest.raises(StudentCrashed, match="used up its CPU time"):
            student.call("spin")
        assert time.monotonic() - began < 3


def test_the_submission_has_a_total_budget_of_cpu_time(tmp_path):
    limits = Limits(call_seconds=2, total_seconds=1.0)
    with start(tmp_path, "plain", cell("crashes"), limits=limits) as student:
        student.call("burn", 0.6)
        with pytest.raises(StudentTimeout, match="used up its total time of 1 s of CPU time"):
            student.call("burn", 0.6)
        with pytest.raises(StudentTimeout, match="total time"):
            student.call("fine")


def test_waiting_is_not_computing_but_has_a_wall_clock_backstop(tmp_path):
    """A nap uses no CPU time, so it does not count against the CPU limits; the wall-clock
    backstop (wall_factor × the limit + WALL_SLACK) still ends one that waits for ever."""
    limits = Limits(call_seconds=0.2, total_seconds=30, wall_factor=1.0)
    with start(tmp_path, "plain", cell("crashes"), limits=limits) as student:
        student.call("nap", 0.6)               # three times the call's CPU limit: fine
        began = time.monotonic()
        with pytest.raises(StudentTimeout, match="it was not computing: it was waiting"):
            student.call("nap", 60)
        assert time.monotonic() - began < limits.wall_seconds(0.2) + 2


def test_a_busy_machine_does_not_run_a_call_out_of_time(tmp_path):
    """The CPU time a call may use is what it computes, not how long it waits for a core: with
    both cores kept busy by other processes, a call of 0.6 s of work under a 1 s limit passes."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(4)]
    try:
        limits = Limits(call_seconds=1, total_seconds=30)
        with start(tmp_path, "plain", cell("crashes"), limits=limits) as student:
            for _ in range(3):
                student.call("burn", 0.6)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


# ---- what crosses back --------------------------------------------------------------------------

@pytest.mark.parametrize("function, message", [
    ("object_array", "dtype '|O'"),
    ("structured_array", "dtype '|V"),
    ("string_array", "dtype '<U"),
    ("million_items", "past the limit of 100000 values"),
    ("too_deep", "nested more than 8 levels deep"),
    ("long_string", "a string of 2000000 characters"),
    ("int_keys", "keys must be strings"),
    ("a_set", "the result is a set"),
    ("custom_object", r"the result\[1\] is a Opaque \(from submission\)"),
])
def test_results_that_are_not_plain_data_are_refused(friendly, function, message):
    with pytest.raises(UnsafeReply, match=message):
        friendly.call(function)


def test_array_like_objects_are_never_converted(friendly):
    trace = friendly.scratch_dir / "array_was_called"
    with pytest.raises(UnsafeReply, match="the result is a ArrayLike"):
        friendly.call("array_like")
    assert not trace.exists()
    friendly.call("convert_array_like_here")     # the trace does appear when it is converted
    assert trace.exists()
    trace.unlink()


def test_a_reply_over_the_size_limit_is_refused(tmp_path, mode):
    limits = Limits(reply_bytes=1 << 20)
    with start(tmp_path, mode, cell("unsafe"), limits=limits) as student:
        with pytest.raises(UnsafeReply, match="returned too much data: its arrays take 2097280 "
                                              "bytes, more than the grader's limit of 1048576"):
            student.call("big_array", 2)
        assert student.call("big_array", 0).shape == (0,)


# ---- mutated arguments and substitutes ----------------------------------------------------------

def test_changes_to_the_arguments_are_reported(friendly):
    params = {"W": np.ones((2, 2)), "b": np.array([np.nan, 1.0])}
    outcome = friendly.call_detailed("scale_in_place", np.ones(3), params, factor=2.0)
    assert outcome.mutated == ["args[0]", "args[1]", "args[1]['W']"]
    assert outcome.value is None and outcome.seconds > 0
    untouched = friendly.call_detailed("pure", np.array([np.nan]), {"W": np.ones(2)})
    assert untouched.mutated == [] and untouched.output == "computing\n"


def test_substitutes_stand_in_for_one_call_only(friendly):
    Z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 1000.0]])
    assert same(friendly.call("softmax_user", Z), Z)           # the student's softmax is wrong
    fixed = friendly.call("softmax_user", Z, substitutes={"my_softmax": "softmax_rows"})
    assert np.allclose(fixed.sum(axis=1), 1) and fixed[1, 2] == 1.0
    assert same(friendly.call("softmax_user", Z), Z)                 # and is back afterwards
    columns = friendly.call("softmax_user", Z.T, substitutes={"my_softmax": "softmax_columns"})
    assert np.allclose(columns, fixed.T)
    assert same(friendly.call("relu_user", np.array([-1.0, 2.0]), substitutes={"relu": "relu"}),
                np.array([0.0, 2.0]))
    with pytest.raises(StudentRaised, match="NameError"):          # relu was not theirs to keep
        friendly.call("relu_user", np.array([-1.0]))
    with pytest.raises(ValueError, match="unknown substitutes"):
        friendly.call("softmax_user", Z, substitutes={"my_softmax": "softmax_from_the_internet"})


# ---- processes ----------------------------------------------------------------------------------

def test_new_processes_are_refused(tmp_path, mode):
    with start(tmp_path, mode, cell("crashes")) as student:
        pids = worker_processes(student)
        began = time.monotonic()
        with pytest.raises(StudentRaised, match="PermissionError"):
            student.call("fork_bomb")
        with pytest.raises(StudentRaised, match="PermissionError"):
            student.call("run_a_program")
        assert time.monotonic() - began < 2
        assert worker_processes(student) == pids
    assert not alive(pids)


def test_a_fork_bomb_with_processes_allowed_is_capped_and_cleaned_up(tmp_path):
    require_mode("bubblewrap")
    if os.geteuid() != 0:
        pytest.skip("max_processes > 0 needs bubblewrap running as root")
    before = tasks_of_user(SANDBOX_USER[0])
    limits = Limits(max_processes=8, call_seconds=1)
    with start(tmp_path, "bubblewrap", cell("crashes"), limits=limits) as student:
        pids = worker_processes(student)
        began = time.monotonic()
        with pytest.raises(StudentTimeout):
            student.call("fork_bomb")
        assert time.monotonic() - began < 2.5
        assert student.call("fine") == "fine"
    deadline = time.monotonic() + 2
    while tasks_of_user(SANDBOX_USER[0]) > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert tasks_of_user(SANDBOX_USER[0]) <= before
    assert not alive(pids)


def test_a_closed_student_process_cannot_be_called(tmp_path):
    with start(tmp_path, "plain", cell("crashes")) as student:
        assert student.call("fine") == "fine"
    with pytest.raises(RuntimeError, match="closed"):
        student.call("fine")


def test_no_process_outlives_an_exception_or_a_forgotten_close(tmp_path, mode):
    with pytest.raises(RuntimeError):
        with start(tmp_path, mode, cell("crashes")) as student:
            pids = worker_processes(student)
            raise RuntimeError("the grader itself failed")
    assert not alive(pids)
    forgotten = start(tmp_path, mode, cell("crashes"))
    pids = worker_processes(forgotten)
    del forgotten
    gc.collect()
    assert not alive(pids)


# ---- isolation ----------------------------------------------------------------------------------

def test_isolation_says_how_the_worker_is_contained(tmp_path, mode, monkeypatch):
    monkeypatch.setenv("NNKIT_TEST_SECRET", "from the grader")
    with start(tmp_path, mode, cell("snoop")) as student:
        if mode == "bubblewrap":
            assert student.isolation == "bubblewrap + Landlock"
        else:
            assert student.isolation.startswith(
                "Landlock, without bubblewrap (plain mode was asked for")
        env = student.call("environment")
        assert "NNKIT_TEST_SECRET" not in env
        assert env["OPENBLAS_NUM_THREADS"] == "1" and env["PYTHONHASHSEED"] == "0"
        assert Path(student.call("where_am_i")).resolve() == (
            Path("/scratch") if mode == "bubblewrap" else student.scratch_dir)
        # A session of its own and no terminal: it cannot type into the grader's (TIOCSTI).
        # (Landlock refuses /dev/tty before the kernel can say there is no terminal.)
        assert student.call("terminal").startswith(("OSError: [Errno 6]",
                                                    "PermissionError: [Errno 13]"))


def test_the_environment_variable_chooses_the_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("NNKIT_SANDBOX", "plain")
    with StudentProcess([cell("crashes")], tmp_path, QUICK) as student:
        assert student.isolation.startswith("Landlock, without bubblewrap (plain mode was asked")
    monkeypatch.setenv("NNKIT_SANDBOX", "docker")
    with pytest.raises(ValueError, match="unknown sandbox isolation 'docker'"):
        StudentProcess([cell("crashes")], tmp_path, QUICK)


def test_without_bubblewrap_auto_falls_back_and_required_fails(monkeypatch):
    from grader.sandbox import process
    monkeypatch.setattr(process, "bubblewrap_problem", lambda: "bubblewrap (bwrap) is not installed")
    assert process.choose_isolation("auto") == (False, "bubblewrap (bwrap) is not installed")
    with pytest.raises(RuntimeError, match="required, but bubblewrap .bwrap. is not installed"):
        process.choose_isolation("bubblewrap")


def test_bubblewrap_hides_the_kit_and_everything_else(tmp_path):
    require_mode("bubblewrap")
    other = tmp_path / "other_submission"
    other.mkdir()
    (other / "secret.py").write_text("ANSWER = 42\n")
    with start(tmp_path, "bubblewrap", cell("snoop")) as student:
        for path in [REPO / "reference" / "network.py", REPO / "grader" / "checks" / "suites",
                     other / "secret.py", Path.home() / ".bashrc", tmp_path]:
            assert student.call("exists", str(path)) is False, path
        # The repository shows at most its virtualenv, when the interpreter lives there.
        assert student.call("listing", str(REPO)) in (None, [".venv"])
        if student.isolation == "bubblewrap + Landlock":    # Landlock refuses even to list them
            assert student.call("listing", "/") is None
            assert student.call("listing", "/opt/nnkit") is None
        else:
            assert set(student.call("listing", "/")) <= {
                "usr", "bin", "sbin", "lib", "lib64", "lib32", "libx32", "proc", "dev", "tmp",
                "opt", "scratch", *Path(os.path.realpath(os.sys.executable)).parts[1:2],
                REPO.parts[1]}
            assert student.call("listing", "/opt/nnkit") == sorted(launcher.WORKER_FILES)
        assert student.call("import_fails", "reference") and student.call("import_fails", "grader")
        assert student.call("parent_pid") == 1
        if os.geteuid() == 0:
            assert student.call("user_id") == SANDBOX_USER[0]


def test_bubblewrap_allows_writing_only_the_scratch_folder(tmp_path):
    require_mode("bubblewrap")
    marker = f"nnkit-sandbox-test-{os.getpid()}"
    with start(tmp_path, "bubblewrap", cell("snoop")) as student:
        assert student.call("write", f"/scratch/{marker}") == "written"
        assert (student.scratch_dir / marker).exists()
        assert student.call("write", f"/tmp/{marker}") == "written"    # a private tmpfs
        assert not Path("/tmp", marker).exists()
        for path in [REPO / marker, f"/usr/{marker}", f"/opt/nnkit/{marker}", f"/{marker}"]:
            assert student.call("write", str(path)).startswith("OSError"), path


def test_bubblewrap_has_no_network(tmp_path):
    require_mode("bubblewrap")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with start(tmp_path, "bubblewrap", cell("snoop")) as student:
            # Its own network namespace has no route to the grader's port; Landlock (ABI 4 and
            # later) refuses the connect before the kernel would even try.
            assert student.call("connect", port).startswith(("ConnectionRefusedError", "OSError",
                                                             "PermissionError"))
            assert student.call("interfaces") == ["lo"]


def test_landlock_alone_confines_files_network_and_signals(tmp_path):
    """Plain mode, where bubblewrap cannot run (macOS aside): Landlock keeps the kit, other
    folders and the network out of reach, whoever the worker runs as."""
    with start(tmp_path, "plain", cell("snoop")) as student:
        if not student.isolation.startswith("Landlock"):
            pytest.skip(f"this kernel has no Landlock: {student.isolation}")
        for path in [REPO / "reference" / "network.py", REPO / "grader" / "checks" / "rubric.toml",
                     Path.home() / ".bashrc", "/etc/shadow", "/etc/hostname"]:
            assert student.call("read_text", str(path)).startswith("PermissionError"), path
        assert student.call("listing", str(REPO)) is None
        assert student.call("import_fails", "reference") and student.call("import_fails", "grader")
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen()
            assert not student.call("connect", server.getsockname()[1]).startswith("connected")
        assert student.call("write", str(student.scratch_dir / "mine")) == "written"
        assert student.call("write", str(tmp_path / "outside")).startswith("OSError")


def test_a_worker_and_the_process_that_started_it_are_undumpable(tmp_path, mode):
    """Neither memory can be opened by another process of the same user (/proc/<pid>/mem): one
    worker cannot read or rewrite another's, nor the grader's score, where no Landlock scopes
    ptrace and the worker runs as the grader's own user."""
    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_DUMPABLE is Linux's")
    with start(tmp_path, mode, cell("snoop")) as student:
        assert student.call("dumpable") == 0
        assert prctl(PR_GET_DUMPABLE) == 0


def test_an_undumpable_grader_s_memory_is_closed_to_its_own_user():
    """What hide_own_memory buys, shown in a process of an unprivileged user: before it, another
    process of that user opens its /proc/<pid>/mem for writing; after it, it cannot."""
    user = require_user()
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:                                   # a grader run by `user` on a laptop
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
            prctl(PR_SET_DUMPABLE, 1)                # as a process this user starts is
            opened = [memory_opens_from_sibling(os.getpid())]
            hide_own_memory()
            opened.append(memory_opens_from_sibling(os.getpid()))
            os.write(write_end, repr(opened).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as reply:
        opened = reply.read()
    os.waitpid(child, 0)
    assert opened == "[True, False]"


def memory_opens_from_sibling(pid: int) -> bool:
    """Whether a process forked from `pid` (same user, no capabilities) opens pid's memory."""
    child = os.fork()
    if child == 0:
        try:
            os.close(os.open(f"/proc/{pid}/mem", os.O_RDWR))
            os._exit(0)
        except OSError:
            os._exit(1)
        finally:
            os._exit(2)
    return os.waitpid(child, 0)[1] == 0


def test_bubblewrap_shows_the_worker_the_bytecode_cached_beside_its_modules(tmp_path, monkeypatch):
    """So that a worker does not compile its modules again at every start: each cached .pyc
    beside a worker module (never worker.py's, which Python does not read) is bound read-only
    into /opt/nnkit/__pycache__/, and nothing when there is none."""
    import py_compile
    kit = tmp_path / "sandbox"
    kit.mkdir()
    for name in launcher.WORKER_FILES:
        shutil.copy(launcher.HERE / name, kit / name)
    monkeypatch.setattr(launcher, "HERE", kit)
    assert launcher.compiled_worker_files() == []
    cached = py_compile.compile(str(kit / "channel.py"), doraise=True)
    py_compile.compile(str(kit / "worker.py"), doraise=True)
    assert launcher.compiled_worker_files() == [cached]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    argv = launcher.build_launch(QUICK, scratch, 3, 4, bubblewrap=True).argv
    binds = list(zip(argv, argv[1:], argv[2:]))
    assert ("--ro-bind", cached, "/opt/nnkit/__pycache__/" + Path(cached).name) in binds
    assert not any(bind[2].endswith("/worker.cpython-311.pyc") for bind in binds)


def test_the_worker_runs_its_student_code_after_the_limits_are_set(tmp_path, mode):
    with start(tmp_path, mode, cell("snoop")) as student:
        limits = student.call("resource_limits")
    assert limits["RLIMIT_AS"] == QUICK.memory_bytes
    assert limits["RLIMIT_FSIZE"] == QUICK.file_bytes
    assert limits["RLIMIT_CORE"] == 0



# ---- the channel refuses malformed frames (what a subverted worker could send) ------------------

def npy_bytes(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


@pytest.mark.parametrize("blob, message", [
    (npy_bytes(np.array([1, "a"], dtype=object), allow_pickle=True), "dtype '|O'"),
    (npy_bytes(np.zeros(2, dtype=[("a", "i4")])), "dtype '|V4'"),
    (npy_bytes(np.array(["text"])), "dtype '<U4'"),
    (npy_bytes(np.zeros(4))[:-8], "as many bytes as its shape says"),
    (b"PICKLE" + bytes(100), "not in .npy format"),
])
def test_only_plain_npy_arrays_are_decoded(blob, message):
    with pytest.raises(channel.MalformedFrame, match=message):
        channel.read_npy(memoryview(blob))


@pytest.mark.parametrize("header, message", [
    (b"[1, 2]", "no kind"),
    (b'{"kind": "returned", "blobs": [64]}', "do not add up"),
    (b'{"kind": "returned", "blobs": [1], ' + b'"x": ' + b"9" * 50 + b"}", "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
])
def test_malformed_headers_are_refused(header, message):
    with pytest.raises(channel.MalformedFrame, match=message):
        channel.parse_header(header, 0)


def test_frame_prefixes_are_checked_before_anything_is_allocated():
    with pytest.raises(channel.MalformedFrame, match="does not start like a frame"):
        channel.parse_prefix(channel.PREFIX.pack(b"HTTP", 10, 0), 1 << 20)
    with pytest.raises(channel.ReplyTooLarge, match="numbers and text take"):
        channel.parse_prefix(channel.PREFIX.pack(channel.MAGIC, 1 << 30, 0), 1 << 20)
    with pytest.raises(channel.ReplyTooLarge):
        channel.parse_prefix(channel.PREFIX.pack(channel.MAGIC, 10, 1 << 40), 1 << 20)


@pytest.mark.parametrize("tree, message", [
    ({"a": 0, "extra": 1}, "not plain data"),
    ({"x": 1}, "not plain data"),
    ({"t": [{"a": 0}, {"a": 0}]}, "not plain data"),            # one array used twice
    ({"a": 5}, "not plain data"),
    (functools.reduce(lambda tree, _: [tree], range(20), 1), "nested more than 8 levels"),
    ([0] * 100_001, "more than 100000 parts"),
])
def test_trees_from_the_worker_are_checked(tree, message):
    with pytest.raises(channel.MalformedFrame, match=message):
        channel.from_tree(tree, [np.zeros(1)])


# ---- the seccomp filter, run by a small BPF interpreter (so the aarch64 rules are checked too) ----

def run_filter(program: list[tuple], arch: int, nr: int, arg0: int = 0) -> int:
    """What the kernel would answer: the filter's return value for one syscall."""
    data = {0: nr, 4: arch, 16: arg0}
    accumulator, pc = 0, 0
    while True:
        code, jt, jf, k = program[pc]
        if code == 0x20:
            accumulator = data[k]
        elif code == 0x06:
            return k
        else:
            taken = {0x15: accumulator == k, 0x35: accumulator >= k, 0x45: accumulator & k}[code]
            pc += jt if taken else jf
        pc += 1


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_the_seccomp_filter_blocks_processes_and_foreign_signals(machine):
    numbers, arch = seccomp.SYSCALLS[machine], seccomp.AUDIT_ARCH[machine]
    ALLOW, EPERM, ENOSYS = 0x7FFF0000, 0x00050001, 0x00050026
    blocking = seccomp.seccomp_program(machine, own_pid=2, block_processes=True)
    permissive = seccomp.seccomp_program(machine, own_pid=2, block_processes=False)
    assert run_filter(blocking, arch, 0) == ALLOW                     # read (x86_64) / io_setup
    assert run_filter(blocking, arch, numbers["clone"], seccomp.CLONE_THREAD | 0x100) == ALLOW
    assert run_filter(blocking, arch, numbers["clone"], 0x11) == EPERM      # fork via clone
    assert run_filter(permissive, arch, numbers["clone"], 0x11) == ALLOW
    assert run_filter(blocking, arch, numbers["clone3"]) == ENOSYS
    assert run_filter(blocking, arch, numbers["kill"], 2) == ALLOW
    assert run_filter(permissive, arch, numbers["kill"], 1) == EPERM
    assert run_filter(blocking, arch, numbers["tgkill"], 7) == EPERM
    for name in seccomp.ALWAYS_DENIED:
        assert run_filter(permissive, arch, numbers[name]) == EPERM, name
    assert run_filter(blocking, arch + 1, 0) == EPERM                 # another ABI's syscalls
    if machine == "x86_64":
        assert run_filter(blocking, arch, numbers["fork"]) == EPERM
        assert run_filter(blocking, arch, 0x40000000 | numbers["clone"]) == EPERM   # x32


def test_an_interpreter_under_tmp_is_bound_over_the_private_tmp(monkeypatch, tmp_path):
    """A venv in /tmp (as CI makes one) must stay visible: bind it after /tmp becomes a tmpfs."""
    from grader.sandbox import launcher

    real = launcher.runtime()
    numpy_in_tmp = "/tmp/some-venv/lib/python3.11/site-packages/numpy"
    monkeypatch.setattr(launcher, "runtime", lambda: dataclasses.replace(
        real, numpy_dirs=[numpy_in_tmp]))
    args = launcher.bubblewrap_args(tmp_path, as_root=True)
    tmpfs_at = next(i for i, a in enumerate(args) if a == "--tmpfs" and args[i + 1] == "/tmp")
    bind_at = next(i for i, a in enumerate(args) if a == "--ro-bind" and args[i + 1] == numpy_in_tmp)
    assert tmpfs_at < bind_at
