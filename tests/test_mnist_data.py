"""The MNIST data layer (studentkit.mnist): strict IDX parsing, checksums, downloads, loading.

Everything but the last few tests runs on tiny hand-made IDX files in tmp_path and on fake
mirrors served by an injected opener, so no test touches the network.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import time
import urllib.error
import warnings
from pathlib import Path

import numpy as np
import pytest

from studentkit import mnist
from studentkit.mnist import (FILES, IMAGES_MAGIC, LABELS_MAGIC, MnistFormatError,
                              MnistUnavailableError, ensure_mnist, find_mnist_dir, load_mnist,
                              read_idx)

# The unofficial-copy warning is asserted where it matters; elsewhere tiny copies are expected.
pytestmark = pytest.mark.filterwarnings("ignore:The MNIST files in")

SIZES = {"train": 7, "test": 3}


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    """An IDX file's content: the magic number, each dimension (big-endian uint32), the bytes."""
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx(path: Path, array: np.ndarray, magic: int) -> Path:
    data = idx_bytes(array, magic)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def tiny_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n random 28x28 uint8 images (n, 28, 28) and labels (n,) in 0..9."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)


def write_tiny_mnist(folder: Path, gz: bool = True) -> dict:
    """All four files of a tiny MNIST in `folder`; returns {split: (images, labels)}."""
    folder.mkdir(parents=True, exist_ok=True)
    content = {}
    for seed, (split, (images_name, labels_name)) in enumerate(FILES.items()):
        images, labels = tiny_split(SIZES[split], seed)
        suffix = "" if gz else ".gz"
        write_idx(folder / images_name.removesuffix(suffix), images, IMAGES_MAGIC)
        write_idx(folder / labels_name.removesuffix(suffix), labels, LABELS_MAGIC)
        content[split] = images, labels
    return content


@pytest.fixture
def tiny(tmp_path) -> tuple[Path, dict]:
    folder = tmp_path / "mnist"
    return folder, write_tiny_mnist(folder)


class FakeMirrors:
    """An opener serving {url: bytes or exception}; records the URLs asked for, in order."""

    def __init__(self, responses: dict):
        self.responses, self.asked = responses, []

    def __call__(self, url: str, timeout: float):
        self.asked.append(url)
        response = self.responses.get(url, urllib.error.URLError("no route to host"))
        if isinstance(response, BaseException):
            raise response
        return io.BytesIO(response)


# ---------------------------------------------------------------------------------------------
# read_idx


@pytest.mark.parametrize("name", ["images.idx.gz", "images.idx"])
def test_read_idx_returns_the_header_shape_gzipped_or_not(tmp_path, name):
    images, _ = tiny_split(5, seed=1)
    array = read_idx(write_idx(tmp_path / name, images, IMAGES_MAGIC))
    assert array.dtype == np.uint8 and array.shape == (5, 28, 28)
    np.testing.assert_array_equal(array, images)


@pytest.mark.parametrize("cut", [3, 9, 100])   # inside the magic, inside the dimensions, in the data
@pytest.mark.parametrize("gz", [False, True])
def test_truncated_file_is_one_clear_error(tmp_path, cut, gz):
    images, _ = tiny_split(2, seed=0)
    data = idx_bytes(images, IMAGES_MAGIC)[:cut]
    path = tmp_path / ("cut.gz" if gz else "cut")
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(MnistFormatError, match="truncated|not an IDX") as error:
        read_idx(path)
    assert str(path) in str(error.value)


def test_cut_off_gzip_stream_is_reported_as_gzip(tmp_path):
    images, _ = tiny_split(50, seed=0)
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(idx_bytes(images, IMAGES_MAGIC))[:-40])
    with pytest.raises(MnistFormatError, match="not a readable gzip file"):
        read_idx(path)


def test_corrupt_gzip_is_one_clear_error(tmp_path):
    compressed = bytearray(gzip.compress(idx_bytes(tiny_split(3, 0)[0], IMAGES_MAGIC)))
    compressed[20:60] = bytes(40)            # keep the gzip header, ruin the deflate data
    path = tmp_path / "corrupt.gz"
    path.write_bytes(bytes(compressed))
    with pytest.raises(MnistFormatError, match=r"corrupt\.gz.*not a readable gzip file"):
        read_idx(path)


def test_extra_bytes_are_rejected(tmp_path):
    path = tmp_path / "long"
    path.write_bytes(idx_bytes(tiny_split(2, 0)[1], LABELS_MAGIC) + b"\x00")
    with pytest.raises(MnistFormatError, match="longer than its header says"):
        read_idx(path)


@pytest.mark.parametrize("magic", [0x00000802, 0x00000D03, 0x01000803])
def test_wrong_magic_is_rejected(tmp_path, magic):
    path = write_idx(tmp_path / "odd", tiny_split(2, 0)[0], magic)
    with pytest.raises(MnistFormatError, match="magic number|not an IDX"):
        read_idx(path)


def test_images_that_are_not_28x28_are_rejected(tmp_path):
    path = write_idx(tmp_path / "small", np.zeros((2, 27, 28), np.uint8), IMAGES_MAGIC)
    with pytest.raises(MnistFormatError, match="27x28"):
        read_idx(path)


# ---------------------------------------------------------------------------------------------
# A split's two files together


def test_labels_file_where_images_are_expected(tiny):
    folder, _ = tiny
    images_name, labels_name = FILES["test"]
    (folder / images_name).write_bytes((folder / labels_name).read_bytes())
    with pytest.raises(MnistFormatError, match="expected images.*labels file") as error:
        load_mnist("test", data_dir=folder, download=False)
    assert images_name in str(error.value)


def test_image_and_label_counts_must_agree(tiny):
    folder, _ = tiny
    write_idx(folder / FILES["train"][1], np.zeros(SIZES["train"] - 1, np.uint8), LABELS_MAGIC)
    with pytest.raises(MnistFormatError, match="7 images but .* 6 labels"):
        load_mnist("train", data_dir=folder, download=False)


def test_labels_above_nine_are_rejected(tiny):
    folder, _ = tiny
    write_idx(folder / FILES["test"][1], np.full(SIZES["test"], 12, np.uint8), LABELS_MAGIC)
    with pytest.raises(MnistFormatError, match="a label is 12"):
        load_mnist("test", data_dir=folder, download=False)


def test_a_copy_that_is_not_official_is_checked_whole_even_for_its_first_images(tiny):
    # Only the official files' checksums vouch for the bytes after the first images asked for.
    folder, _ = tiny
    labels = np.zeros(SIZES["train"], np.uint8)
    labels[-1] = 12
    write_idx(folder / FILES["train"][1], labels, LABELS_MAGIC)
    with pytest.raises(MnistFormatError, match="a label is 12"):
        load_mnist("train", data_dir=folder, download=False, count=1)


# ---------------------------------------------------------------------------------------------
# Loading


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_arrays_in_both_notations(tmp_path, gz):
    content = write_tiny_mnist(tmp_path, gz=gz)
    images, labels = content["train"]
    X, y = load_mnist("train", data_dir=tmp_path, download=False)
    assert X.shape == (7, 784) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(X, images.reshape(7, 784) / np.float32(255))
    np.testing.assert_array_equal(y, labels)
    Xc, Yc = load_mnist("train", notation="columns", one_hot=True, data_dir=tmp_path)
    assert Xc.shape == (784, 7) and Yc.shape == (10, 7) and Yc.dtype == np.float32
    np.testing.assert_array_equal(Xc, X.T)
    np.testing.assert_array_equal(Yc.argmax(axis=0), labels)
    assert Yc.sum() == 7


def test_loaded_arrays_are_the_callers_own(tiny):
    folder, _ = tiny
    X, y = load_mnist("test", data_dir=folder)
    X[:] = -1
    y[:] = -1
    X2, y2 = load_mnist("test", data_dir=folder)
    assert X2.min() >= 0 and y2.min() >= 0


@pytest.mark.parametrize("bad", [{"split": "validation"}, {"notation": "diagonal"}])
def test_unknown_split_or_notation(tiny, bad):
    with pytest.raises(ValueError, match="unknown"):
        load_mnist(data_dir=tiny[0], **bad)


def test_non_official_copy_is_used_with_one_warning(tiny):
    folder, content = tiny
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            X, _ = load_mnist("test", data_dir=folder)
    messages = [str(w.message) for w in caught if "not the official" in str(w.message)]
    assert len(messages) == 1 and str(folder.resolve()) in messages[0]
    assert X.shape == (SIZES["test"], 784)


def test_a_replaced_file_is_read_again(tiny):
    folder, _ = tiny
    load_mnist("test", data_dir=folder)
    write_idx(folder / FILES["test"][1], np.zeros(SIZES["test"] + 1, np.uint8), LABELS_MAGIC)
    with pytest.raises(MnistFormatError, match="3 images but .* 4 labels"):
        load_mnist("test", data_dir=folder)


# ---------------------------------------------------------------------------------------------
# Where the files are, and what happens when they are not there


def test_folder_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "env"))
    assert find_mnist_dir(tmp_path / "arg") == tmp_path / "arg"
    assert find_mnist_dir() == tmp_path / "env"
    monkeypatch.delenv("MNIST_DIR")
    assert find_mnist_dir().parts[-2:] in [("datasets", "mnist"), ("nnkit", "mnist")]


def test_offline_without_a_copy_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_DIR", raising=False)
    folder = tmp_path / "empty"
    offline = FakeMirrors({})
    with pytest.raises(MnistUnavailableError) as error:
        ensure_mnist(folder, mirrors=["https://a.example/", "https://b.example/"], opener=offline)
    message = str(error.value)
    assert str(folder) in message and "MNIST_DIR" in message and "internet" in message
    assert "no route to host" in message
    assert offline.asked == ["https://a.example/train-images-idx3-ubyte.gz",
                             "https://b.example/train-images-idx3-ubyte.gz"]
    assert not any(folder.iterdir())


def test_mnist_dir_without_the_files_is_an_error_not_a_download(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DIR", str(tmp_path))
    never = FakeMirrors({})
    with pytest.raises(MnistUnavailableError, match=r"MNIST_DIR is set to .*train-images") as error:
        ensure_mnist(opener=never)
    assert str(tmp_path) in str(error.value)
    assert never.asked == [] and list(tmp_path.iterdir()) == []


def test_download_switched_off(tmp_path):
    with pytest.raises(MnistUnavailableError, match="download=False"):
        ensure_mnist(tmp_path / "none", download=False, opener=FakeMirrors({}))


def served_copy(tmp_path, monkeypatch) -> dict[str, bytes]:
    """The four tiny files as a mirror would serve them, declared official for this test."""
    source = tmp_path / "source"
    write_tiny_mnist(source)
    files = {name: (source / name).read_bytes() for pair in FILES.values() for name in pair}
    for name, data in files.items():
        monkeypatch.setitem(mnist.OFFICIAL_MD5, name, hashlib.md5(data).hexdigest())
    return files


def test_checksum_mismatch_tries_the_next_mirror(tmp_path, monkeypatch):
    files = served_copy(tmp_path, monkeypatch)
    responses = {f"https://bad.example/{name}": data[:-1] + bytes([data[-1] ^ 1])
                 for name, data in files.items()}
    responses |= {f"https://good.example/{name}": data for name, data in files.items()}
    mirrors = FakeMirrors(responses)
    folder = tmp_path / "downloaded"
    with warnings.catch_warnings():
        warnings.simplefilter("error")           # the downloaded copy is official: no warning
        assert ensure_mnist(folder, mirrors=["https://bad.example", "https://good.example/"],
                            opener=mirrors) == folder
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)
    assert all((folder / name).read_bytes() == data for name, data in files.items())
    assert mirrors.asked[:2] == ["https://bad.example/train-images-idx3-ubyte.gz",
                                 "https://good.example/train-images-idx3-ubyte.gz"]


def test_checksum_mismatch_everywhere_is_a_clear_error(tmp_path, monkeypatch):
    files = served_copy(tmp_path, monkeypatch)
    responses = {f"https://{host}.example/{name}": b"not mnist" for name in files
                 for host in ("one", "two")}
    folder = tmp_path / "downloaded"
    with pytest.raises(MnistUnavailableError, match="(?s)one.example.*checksum.*two.example.*checksum"):
        ensure_mnist(folder, mirrors=["https://one.example/", "https://two.example/"],
                     opener=FakeMirrors(responses))
    assert list(folder.iterdir()) == []


class BrokenResponse(io.BytesIO):
    """A response that delivers a first chunk, then fails with `error`."""

    def __init__(self, data: bytes, error: BaseException):
        super().__init__(data)
        self.error, self.reads = error, 0

    def read(self, size=-1):
        self.reads += 1
        if self.reads > 1:
            raise self.error
        return super().read(min(size, 100))


@pytest.mark.parametrize("error", [ConnectionResetError("reset by peer"), KeyboardInterrupt()])
def test_interrupted_download_leaves_no_file(tmp_path, monkeypatch, error):
    files = served_copy(tmp_path, monkeypatch)
    folder = tmp_path / "downloaded"

    def opener(url, timeout):
        return BrokenResponse(files[url.rsplit("/", 1)[1]], error)

    with pytest.raises((MnistUnavailableError, KeyboardInterrupt)):
        ensure_mnist(folder, mirrors=["https://flaky.example/"], opener=opener)
    assert list(folder.iterdir()) == []          # neither the final name nor a .part file


# ---------------------------------------------------------------------------------------------
# The real data set


@pytest.mark.mnist
@pytest.mark.parametrize("notation", ["rows", "columns"])
def test_real_mnist(mnist_dir, notation):
    started = time.perf_counter()
    (X, y), (Xt, yt) = (load_mnist(split, notation, data_dir=mnist_dir) for split in ("train", "test"))
    seconds = time.perf_counter() - started
    sample_axis = 0 if notation == "rows" else 1
    assert X.shape[sample_axis] == y.shape[0] == 60_000 and Xt.shape[sample_axis] == yt.shape[0] == 10_000
    assert X.shape[1 - sample_axis] == Xt.shape[1 - sample_axis] == 784
    assert X.dtype == Xt.dtype == np.float32 and y.dtype == yt.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    X20, y20 = load_mnist("train", notation, data_dir=mnist_dir, count=20_000)
    assert X20.shape[sample_axis] == y20.shape[0] == 20_000
    np.testing.assert_array_equal(X20, X[:20_000] if notation == "rows" else X[:, :20_000])
    np.testing.assert_array_equal(y20, y[:20_000])
    with pytest.raises(ValueError, match="60,000 images"):
        load_mnist("train", notation, data_dir=mnist_dir, count=60_001)
    # The published class counts of the official training and test sets.
    assert np.bincount(y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(yt).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    print(f"loaded all 70,000 images ({notation}) in {seconds:.3f} s")


@pytest.mark.mnist
@pytest.mark.parametrize("notation, shape", [("rows", (10_000, 10)), ("columns", (10, 10_000))])
def test_real_mnist_one_hot(mnist_dir, notation, shape):
    _, Y = load_mnist("test", notation, one_hot=True, data_dir=mnist_dir)
    _, y = load_mnist("test", data_dir=mnist_dir)
    class_axis = 1 if notation == "rows" else 0
    assert Y.shape == shape and Y.dtype == np.float32
    np.testing.assert_array_equal(Y.sum(axis=class_axis), 1)
    np.testing.assert_array_equal(Y.argmax(axis=class_axis), y)


@pytest.mark.mnist
def test_real_mnist_is_the_official_set(mnist_dir, monkeypatch):
    monkeypatch.setattr(mnist, "_warned_unofficial", set())   # forget earlier warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ensure_mnist(mnist_dir)
