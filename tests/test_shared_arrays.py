"""The training images every worker maps instead of being sent (grader/sandbox/shared.py).

A worker gets a descriptor of a sealed memfd. These tests check that the student's code can
read it but change nothing in it (writing, resizing, mapping it writable, reopening it), in
both isolation modes; that training on the mapped images ends with the very parameters of
training on images sent through the channel, and of training call by call; and that the batch
(the fork server) shares the images, so a worker is sent their order, not 37 MB.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.checks import mnist_files
from grader.checks.plugin import MnistData
from grader.checks.scoring import numbered_cells
from grader.checks.suites import test_mnist_accuracy as accuracy
from grader.extract import extract_file
from grader.sandbox import StudentProcess, shared
from reference.notation import COLUMNS, ROWS
from test_sandbox import QUICK, require_mode
from test_training_in_worker import network_for

EXAMPLES = Path(__file__).parents[1] / "assignments" / "examples"

#: What a hostile submission tries on every descriptor it holds; each attempt must fail.
TAMPERING = '''
import mmap, os
def tamper():
    tried = []
    for fd in range(3, 256):
        try:
            os.fstat(fd)
        except OSError:
            continue
        for name, attempt in [
                ("write", lambda: os.pwrite(fd, b"\\xff" * 64, 0)),
                ("truncate", lambda: os.ftruncate(fd, 0)),
                ("grow", lambda: os.ftruncate(fd, 1 << 30)),
                ("map writable", lambda: mmap.mmap(fd, 4096, mmap.MAP_SHARED,
                                                  mmap.PROT_READ | mmap.PROT_WRITE)),
                ("reopen", lambda: os.pwrite(os.open(f"/proc/self/fd/{fd}", os.O_RDWR),
                                             b"\\xff" * 64, 0))]:
            try:
                attempt()
                tried.append(f"{fd} {name}: done")
            except (OSError, ValueError) as error:
                tried.append(f"{fd} {name}: refused ({type(error).__name__})")
    return tried

def read_first(fd):
    view = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ)
    return list(view[:16])
'''


@pytest.fixture
def published():
    """A shared array for the test, unpublished afterwards (nothing else leaks into workers)."""
    before = dict(shared._SHARED)
    shared._SHARED.clear()
    yield
    for name, array in list(shared._SHARED.items()):
        if name not in before:
            shared.os.close(array.fd)
    shared._SHARED.clear()
    shared._SHARED.update(before)


def test_a_shared_array_is_a_read_only_copy_found_by_its_memory(published):
    original = np.arange(24, dtype=np.float32).reshape(6, 4)
    view = shared.share("test-array", original)
    np.testing.assert_array_equal(view, original)
    assert not view.flags.writeable
    with pytest.raises(ValueError):
        view[0, 0] = 1
    assert shared.name_of(view) == "test-array"
    assert shared.name_of(view.T.T) == "test-array"       # another view of the same memory
    assert shared.name_of(original) is None
    assert shared.name_of(view[1:]) is None               # only the whole array
    described, fds = shared.for_worker()
    assert described == {"test-array": {"fd": fds[0], "shape": [6, 4], "dtype": "<f4"}}
    assert shared.share("test-array", original * 2) is view   # published once


@pytest.mark.parametrize("mode", ["bubblewrap", "plain"])
def test_the_students_code_can_read_the_shared_memory_and_change_nothing(tmp_path, mode,
                                                                        published):
    require_mode(mode)
    original = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    view = shared.share("test-array", original)
    (fd,) = shared.for_worker()[1]
    with StudentProcess([TAMPERING], tmp_path, QUICK, isolation=mode) as student:
        tried = student.call("tamper")
        assert f"{fd} write: refused (PermissionError)" in tried, tried
        assert not [attempt for attempt in tried if attempt.endswith("done")], tried
        assert student.call("read_first", fd) == list(original.tobytes()[:16])
    np.testing.assert_array_equal(view, original)
    assert fd in shared.for_worker()[1]


def _train(tmp_path: Path, example: str, train_split, replaced: tuple = ()):
    """train_in_worker's parameters for `example`, with the sizes of the exchanges it made."""
    assignment = example.split("/")[0]
    notation = COLUMNS if assignment.endswith("columns") else ROWS
    hidden = 10 if notation.name == "columns" else 128
    cells = numbered_cells(extract_file(EXAMPLES / example / f"{assignment}.ipynb"))
    sent: list[int] = []
    exchange = StudentProcess._exchange

    def measured(self, worker, request, *args, **kwargs):
        sent.append(sum(len(buffer) for buffer in request))
        return exchange(self, worker, request, *args, **kwargs)
    with StudentProcess(cells, tmp_path) as student:
        network = network_for(student, notation, replaced)
        StudentProcess._exchange = measured
        try:
            fast = accuracy.train_in_worker(network, notation, train_split,
                                            accuracy.RECIPES[hidden], hidden)
        finally:
            StudentProcess._exchange = exchange
        slow = accuracy.train(network, notation, train_split, accuracy.RECIPES[hidden], hidden)
    return fast, slow, sent


@pytest.mark.mnist
@pytest.mark.parametrize("example, replaced", [
    ("mnist_mlp/correct", ()),
    ("mnist_mlp_columns/correct", ()),
    ("mnist_mlp/missing_1_over_m", ("backprop",)),
    ("mnist_mlp_columns/init_params_unscaled", ("init_params",)),
])
def test_training_on_the_mapped_images_ends_where_training_on_sent_ones_ends(
        tmp_path, mnist_dir, published, example, replaced):
    notation = COLUMNS if example.startswith("mnist_mlp_columns") else ROWS
    X, labels = MnistData("rows").train
    sent_split = (notation.from_rows(X), labels)
    fast_sent, slow, sent = _train(tmp_path / "sent", example, sent_split, replaced)
    assert max(sent) > 30e6                      # the images went through the channel
    shared_split = (notation.from_rows(shared.share(mnist_files.TRAIN_IMAGES, X)), labels)
    fast_mapped, slow_mapped, sent = _train(tmp_path / "mapped", example, shared_split,
                                            replaced)
    assert max(sent) < 1e6                       # only their order did
    assert fast_sent is not None and fast_mapped is not None
    for name in slow:
        for params in (fast_sent, fast_mapped, slow_mapped):
            assert params[name].dtype == slow[name].dtype
            np.testing.assert_array_equal(params[name], slow[name])


@pytest.mark.mnist
def test_a_worker_started_before_the_images_were_shared_is_sent_them(tmp_path, mnist_dir,
                                                                      published):
    cells = numbered_cells(extract_file(EXAMPLES / "mnist_mlp/correct/mnist_mlp.ipynb"))
    X, labels = MnistData("rows").train
    with StudentProcess(cells, tmp_path) as student:
        images = shared.share(mnist_files.TRAIN_IMAGES, X)   # after the worker started
        assert mnist_files.TRAIN_IMAGES not in student._worker.shared
        network = network_for(student, ROWS)
        params = accuracy.train_in_worker(network, ROWS, (images, labels),
                                          accuracy.RECIPES[128], 128)
        assert params is not None
        np.testing.assert_array_equal(
            params["W1"], accuracy.train(network, ROWS, (images, labels),
                                         accuracy.RECIPES[128], 128)["W1"])


def shared_names() -> list[str]:
    """Run in a grading process of the batch: the arrays its workers are given."""
    return sorted(shared.for_worker()[0])


@pytest.mark.mnist
def test_the_batchs_grading_processes_give_their_workers_the_training_images(mnist_dir):
    from concurrent.futures import ProcessPoolExecutor

    from grader import batch
    with ProcessPoolExecutor(1, mp_context=batch._context()) as pool:
        assert pool.submit(shared_names).result() == [mnist_files.TRAIN_IMAGES]


@pytest.mark.mnist
def test_shared_training_images_are_the_images_read(mnist_dir, published):
    splits, error = mnist_files.load_mnist_splits(share_train=True)
    assert error is None
    images, _ = splits["train"]
    assert shared.name_of(images) == mnist_files.TRAIN_IMAGES
    assert images.shape == (mnist_files.TRAIN_USED, 784) and not images.flags.writeable
    np.testing.assert_array_equal(MnistData("rows").train[0], images)


# ---- the request region: large requests' arrays, written by the grader, read by the worker ----

#: What a hostile submission tries on the request region it finds in its own memory map.
REGION_TAMPERING = '''
import ctypes, mmap, os
def make_writable():
    """(permissions, mprotect's result, errno) for each mapping of the request region."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    tried = []
    for line in open("/proc/self/maps"):
        if "nnkit-requests" in line:
            start, end = (int(bound, 16) for bound in line.split()[0].split("-"))
            result = libc.mprotect(ctypes.c_void_p(start), end - start,
                                   mmap.PROT_READ | mmap.PROT_WRITE)
            tried.append((line.split()[1], result, ctypes.get_errno()))
    return tried

def total(X, params):
    return float(X.sum()), {name: float(value.sum()) for name, value in params.items()}
'''


def _large_request():
    rng = np.random.default_rng(3)
    return rng.random((300, 784)), {"W1": rng.random((784, 128)), "b1": rng.random((1, 128))}


def _expected_total(X, params):
    return float(X.sum()), {name: float(value.sum()) for name, value in params.items()}


@pytest.mark.parametrize("with_region", [True, False])
def test_large_requests_cross_in_the_request_region_and_arrive_the_same(tmp_path, monkeypatch,
                                                                       with_region):
    """A request of 2.7 MB of arrays is copied into the worker's region, not written on the
    pipe; without a region (no sealed memfds: macOS, a kernel before 5.1) it takes the pipe;
    the worker gets the very same arrays either way."""
    if not with_region:
        monkeypatch.setattr(shared, "request_region", lambda size: None)
    elif shared.request_region(1 << 12) is None:
        pytest.skip("no sealed memfds here")
    X, params = _large_request()
    with StudentProcess([REGION_TAMPERING], tmp_path, QUICK) as student:
        assert student.call("total", X, params) == _expected_total(X, params)
        region = student._worker.region
        if with_region:
            assert region.find(X.tobytes()[:4096]) >= 0         # the arrays went there
            assert region.find(params["W1"].tobytes()[-4096:]) >= 0
        else:
            assert region is None
        assert student.call("total", X[:2], {"b1": params["b1"]}) == _expected_total(
            X[:2], {"b1": params["b1"]})                       # small: on the pipe


@pytest.mark.parametrize("mode", ["bubblewrap", "plain"])
def test_the_students_code_cannot_write_the_request_region(tmp_path, mode):
    """The worker maps the region read-only and closes its descriptor before any student code
    runs; the memfd is sealed (F_SEAL_FUTURE_WRITE), so the kernel refuses to make that mapping
    writable, and no descriptor is left to map, write or reopen."""
    require_mode(mode)
    if shared.request_region(1 << 12) is None:
        pytest.skip("no sealed memfds here")
    X, params = _large_request()
    with StudentProcess([REGION_TAMPERING, TAMPERING], tmp_path, QUICK,
                        isolation=mode) as student:
        assert student.call("total", X, params) == _expected_total(X, params)
        tried = student.call("make_writable")
        assert [(permissions, result) for permissions, result, _ in tried] == [("r--s", -1)]
        assert not [attempt for attempt in student.call("tamper") if attempt.endswith("done")]
        X2, params2 = X[::-1].copy(), {"W1": params["W1"] * 2, "b1": params["b1"]}
        assert student.call("total", X2, params2) == _expected_total(X2, params2)
