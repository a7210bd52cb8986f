"""MNIST for the coursework: find it, download it once, check it, load it as arrays.

    from studentkit.mnist import load_mnist
    X, y = load_mnist("train")                       # X (60000, 784) float32 in [0, 1], y (60000,) int64
    X, Y = load_mnist("test", notation="columns", one_hot=True)   # X (784, 10000), Y (10, 10000)

The files are looked for in, first match wins: the `data_dir` argument; the folder named by the
MNIST_DIR environment variable; the kit's `datasets/mnist/` (in the instructor's checkout);
`~/.cache/nnkit/mnist` (a student's release folder). When they are missing, they are downloaded into
that folder from public mirrors and checked against the official checksums; a folder named by
MNIST_DIR is never written to. Needs only NumPy and the standard library (rich, if installed, draws
the download bar).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import os
import math
import tempfile
import warnings
import zlib
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, Sequence

import numpy as np

#: For each split, the canonical names of its (images, labels) files.
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

#: md5 of the official compressed files, as published with the data set.
OFFICIAL_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

#: Public copies of Yann LeCun's files, tried in this order.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

IMAGES_MAGIC = 0x00000803  # IDX header: unsigned bytes, 3 dimensions (count, rows, columns)
LABELS_MAGIC = 0x00000801  # IDX header: unsigned bytes, 1 dimension (count)
IMAGE_SIDE = 28
TIMEOUT_SECONDS = 10       # per connection attempt: an offline machine should fail fast
_CHUNK = 1 << 16

#: opener(url, timeout) → a readable binary response; `urllib.request.urlopen` by default.
Opener = Callable[[str, float], BinaryIO]


class MnistError(Exception):
    """MNIST could not be provided; the message says why and what to do."""


class MnistFormatError(MnistError):
    """A file is not the MNIST file it claims to be (truncated, corrupt, or another file)."""


class MnistUnavailableError(MnistError):
    """The files are not there and could not be downloaded."""


# ---------------------------------------------------------------------------------------------
# Where the files are


def find_mnist_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The folder MNIST is read from: `data_dir`, else $MNIST_DIR, else the default folder."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    if os.environ.get("MNIST_DIR"):
        return Path(os.environ["MNIST_DIR"]).expanduser()
    return _default_dir()


def _default_dir() -> Path:
    """The kit's datasets/mnist/ in the instructor's checkout, else ~/.cache/nnkit/mnist."""
    here = Path(__file__).resolve()
    kit_root = here.parents[2]   # assignments/studentkit/mnist.py → the kit's root
    if here.parents[1].name == "assignments" and (kit_root / "datasets").is_dir():
        return kit_root / "datasets" / "mnist"
    return Path.home() / ".cache" / "nnkit" / "mnist"


def _find_file(folder: Path, name: str) -> Path | None:
    """`name` in `folder`, or its un-gzipped twin (the name without .gz); None if neither is there."""
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


# ---------------------------------------------------------------------------------------------
# Reading IDX files


_REPLACE_HINT = " Delete it and load again to download a fresh copy, or replace it with the original."


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array in one MNIST IDX file, gzipped or not: uint8, shaped as its header says.

    Images give (n, 28, 28), labels (n,). Anything else — a truncated or corrupt file, another
    kind of file, a byte count that does not match the header — raises MnistFormatError.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise MnistFormatError(f"{path}: not an IDX file (it does not start with the IDX header)."
                               + _REPLACE_HINT)
    magic = int.from_bytes(data[:4], "big")
    if magic not in (IMAGES_MAGIC, LABELS_MAGIC):
        raise MnistFormatError(f"{path}: IDX magic number {magic:#010x} is neither MNIST images "
                               f"({IMAGES_MAGIC:#010x}) nor labels ({LABELS_MAGIC:#010x})." + _REPLACE_HINT)
    n_dims = data[3]
    header_size = 4 + 4 * n_dims
    if len(data) < header_size:
        raise MnistFormatError(f"{path}: truncated inside its header." + _REPLACE_HINT)
    shape = _idx_shape(data)
    expected, found = math.prod(shape), len(data) - header_size
    if found != expected:
        what = "truncated" if found < expected else "longer than its header says"
        raise MnistFormatError(f"{path}: {what}: the header announces {shape} = {expected:,} bytes "
                               f"of data, the file has {found:,}." + _REPLACE_HINT)
    array = np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(shape)
    if magic == IMAGES_MAGIC and shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise MnistFormatError(f"{path}: images are {shape[1]}x{shape[2]}, MNIST's are 28x28.")
    return array


def read_idx_start(path: str | os.PathLike, count: int) -> np.ndarray:
    """The first `count` items (all of them, if it has fewer) of a gzipped IDX file known to be
    well-formed (an official one, by its checksum): only their bytes are decompressed, so the
    training set's first 20,000 images cost a third of all 60,000. Any other file is read whole
    by read_idx, which checks it."""
    path = Path(path)
    raw = _read_raw(path)
    decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)    # gzip
    data = decompressor.decompress(raw, 4)
    header_size = 4 + 4 * data[3]
    data += decompressor.decompress(decompressor.unconsumed_tail, header_size - len(data))
    shape = _idx_shape(data)
    count = min(max(count, 0), shape[0])
    size = count * math.prod(shape[1:])
    body = decompressor.decompress(decompressor.unconsumed_tail, size)
    return np.frombuffer(body, dtype=np.uint8).reshape((count, *shape[1:]))


def _idx_shape(data: bytes) -> tuple[int, ...]:
    """The dimensions an IDX header announces (data starts with the whole header)."""
    return tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(data[3]))


def _read_raw(path: Path) -> bytes:
    """The file's bytes as they are on disk."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise MnistError(f"cannot read {path}: {error.strerror or error}") from None


def _read_bytes(path: Path) -> bytes:
    """The file's content, decompressed when it is gzip (recognised by its first two bytes)."""
    raw = _read_raw(path)
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:   # bad header, cut short, corrupt data
        raise MnistFormatError(f"{path}: not a readable gzip file ({error})." + _REPLACE_HINT) from None


def _read_split(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One split, checked: images (n, 28, 28) uint8 and labels (n,) uint8 in 0..9, read-only."""
    return _read_split_cached(images_path.resolve(), labels_path.resolve(),
                              _stamp(images_path), _stamp(labels_path))


@functools.lru_cache(maxsize=4)
def _read_official_start(images_path: Path, labels_path: Path, count: int, *stamps
                         ) -> tuple[np.ndarray, np.ndarray]:
    """The first `count` images and labels of a split whose two files are the official ones."""
    return read_idx_start(images_path, count), read_idx_start(labels_path, count)


@functools.lru_cache(maxsize=4)
def _read_split_cached(images_path: Path, labels_path: Path, *stamps) -> tuple[np.ndarray, np.ndarray]:
    # `stamps` (size, mtime) are part of the key so that a replaced file is read again.
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3:
        raise MnistFormatError(f"{images_path}: expected images (IDX magic {IMAGES_MAGIC:#010x}) but "
                               "this is a labels file. Are two files' names swapped?")
    if labels.ndim != 1:
        raise MnistFormatError(f"{labels_path}: expected labels (IDX magic {LABELS_MAGIC:#010x}) but "
                               "this is an images file. Are two files' names swapped?")
    if len(images) != len(labels):
        raise MnistFormatError(f"{images_path.name} holds {len(images):,} images but "
                               f"{labels_path.name} holds {len(labels):,} labels (in {images_path.parent}); "
                               "the two files of a split must come from the same copy of MNIST.")
    if labels.size and labels.max() > 9:
        raise MnistFormatError(f"{labels_path}: a label is {labels.max()}; digits go from 0 to 9.")
    return images, labels


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


# ---------------------------------------------------------------------------------------------
# Checksums


@functools.lru_cache(maxsize=16)
def _md5(path: Path, stamp: tuple[int, int]) -> str:
    """md5 of the file at `path`, remembered for as long as its size and mtime (`stamp`) hold."""
    return hashlib.md5(path.read_bytes()).hexdigest()


def _is_official(path: Path, name: str) -> bool:
    return path.name == name and _md5(path.resolve(), _stamp(path)) == OFFICIAL_MD5[name]


#: Folders already warned about, so that a process says it once however often it loads.
_warned_unofficial: set[Path] = set()


def _warn_unofficial(folder: Path, names: list[str]) -> None:
    if folder in _warned_unofficial:
        return
    _warned_unofficial.add(folder)
    warnings.warn(f"The MNIST files in {folder} are not the official ones (checksums differ for "
                  f"{', '.join(names)}); they are well-formed and will be used. If you expected the "
                  "official 60,000 + 10,000 images, delete them and load again with internet access.",
                  UserWarning, stacklevel=4)   # 4: the line that called ensure_mnist


# ---------------------------------------------------------------------------------------------
# Downloading


def _urlopen(url: str, timeout: float) -> BinaryIO:
    import urllib.request   # here, not at the top: it is slow to import and rarely needed

    return urllib.request.urlopen(url, timeout=timeout)


def _download(name: str, folder: Path, mirrors: Sequence[str], opener: Opener) -> None:
    """Fetch `name` into `folder` from the first mirror that serves the official file."""
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name
        try:
            _fetch_verified(url, folder / name, OFFICIAL_MD5[name], opener)
            return
        except (OSError, ValueError) as error:   # URLError, timeouts and refused connections are OSError
            failures.append(f"{url}: {getattr(error, 'reason', None) or error}")
    raise MnistUnavailableError(_unavailable_message(folder, "could not be downloaded:\n    "
                                                     + "\n    ".join(failures)))


def _fetch_verified(url: str, target: Path, md5: str, opener: Opener) -> None:
    """Download `url` to `target` atomically: a temporary file beside it, synced, checked, renamed.

    An interrupted or corrupt download never leaves a file under `target`'s name.
    """
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        digest = hashlib.md5()
        with os.fdopen(handle, "wb") as temp, opener(url, TIMEOUT_SECONDS) as response:
            size = _content_length(response)
            with _progress(target.name, size) as advance:
                while chunk := response.read(_CHUNK):
                    temp.write(chunk)
                    digest.update(chunk)
                    advance(len(chunk))
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, 0o644)   # mkstemp makes it private; the data set is not
        if digest.hexdigest() != md5:
            raise ValueError(f"checksum {digest.hexdigest()} is not the official {md5}")
        os.replace(temp_name, target)
    except BaseException:   # KeyboardInterrupt too: never leave the partial file behind
        Path(temp_name).unlink(missing_ok=True)
        raise


def _content_length(response) -> int | None:
    headers = getattr(response, "headers", None)
    length = headers.get("Content-Length") if headers is not None else None
    return int(length) if length and str(length).isdigit() else None


@contextlib.contextmanager
def _progress(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A download bar: rich's when rich is installed, plain printed lines otherwise."""
    try:
        from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                                   TransferSpeedColumn)
    except ImportError:
        done, shown = 0, -1

        def advance(n: int) -> None:
            nonlocal done, shown
            done += n
            tenth = done * 10 // total if total else done >> 20   # every 10 %, or every MB
            if tenth != shown:
                shown = tenth
                of = f" of {total / 1e6:.1f} MB" if total else " MB"
                print(f"downloading {label}: {done / 1e6:.1f}{of}", flush=True)
        yield advance
        return
    columns = (TextColumn(f"downloading {label}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)


def _unavailable_message(folder: Path, why: str) -> str:
    names = ", ".join(name for pair in FILES.values() for name in pair)
    return (f"MNIST is not in {folder} and {why}\n"
            "To get it, do one of these, then run again:\n"
            f"  - connect to the internet once: the files are downloaded into {folder} and kept;\n"
            f"  - put the four files ({names}) in {folder};\n"
            "  - set the environment variable MNIST_DIR to a folder that has them.")


# ---------------------------------------------------------------------------------------------
# The public entry points


def ensure_mnist(data_dir: str | os.PathLike | None = None, download: bool = True, *,
                 mirrors: Sequence[str] = MIRRORS, opener: Opener = _urlopen) -> Path:
    """The folder holding all four files, downloading the missing ones when allowed; every file checked.

    Downloads go only into `data_dir` or the default folder, never into MNIST_DIR. Files that are
    well-formed but not the official ones (a subset, a re-compressed copy) are used with one warning.
    `mirrors` and `opener(url, timeout)` say where and how to download (tests replace them).
    """
    folder = find_mnist_dir(data_dir)
    missing = [name for pair in FILES.values() for name in pair if _find_file(folder, name) is None]
    if missing and data_dir is None and os.environ.get("MNIST_DIR"):
        raise MnistUnavailableError(
            f"MNIST_DIR is set to {folder}, but {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not there. Put the four files there, or point "
            "MNIST_DIR at the folder that has them, or unset it to download into the default "
            f"folder ({_default_dir()}).")
    if missing and not download:
        raise MnistUnavailableError(_unavailable_message(folder, "downloading is switched off (download=False)."))
    if missing:
        _download_missing(folder, missing, mirrors, opener)
    _verify(folder)
    return folder


def _download_missing(folder: Path, missing: list[str], mirrors: Sequence[str], opener: Opener) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise MnistUnavailableError(_unavailable_message(
            folder, f"that folder cannot be created ({error.strerror or error}).")) from None
    for name in missing:
        _download(name, folder, mirrors, opener)


def _verify(folder: Path) -> None:
    """Check both splits (once per process): official files by their checksums, a split with any
    other file by reading it whole and checking its structure; warn once if the copy is not
    official."""
    unofficial = []
    for pair in FILES.values():
        paths = [_find_file(folder, name) for name in pair]
        if _official_pair(paths, pair):
            continue
        _read_split(*paths)
        unofficial += [path.name for path, name in zip(paths, pair) if not _is_official(path, name)]
    if unofficial:
        _warn_unofficial(folder.resolve(), unofficial)


def _official_pair(paths: list[Path], names: tuple[str, str]) -> bool:
    return all(_is_official(path, name) for path, name in zip(paths, names))


def load_mnist(split: str = "train", notation: str = "rows", one_hot: bool = False,
               data_dir: str | os.PathLike | None = None, download: bool = True,
               out: np.ndarray | None = None, count: int | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """One split of MNIST as arrays ready for the network.

    split: "train" (60,000 images) or "test" (10,000). notation: "rows" gives X (m, 784), one
    image per row; "columns" gives X (784, m), one image per column (a transposed view, so each
    image's pixels stay contiguous and X[:, batch] is fast). X is float32 in [0, 1].
    Labels are y (m,) int64, or with one_hot=True Y (m, 10) float32 for rows, (10, m) for columns.
    Files are read once per process; later calls only convert them (a few tens of milliseconds).
    out: a float32 array (m, 784) to write X into, C-ordered (the grader's shared memory); X is
    then `out` itself, as rows (or its transposed view as columns).
    count: only the split's first `count` images and labels (all of them by default). Of the
    official files only these are decompressed (their checksums vouch for the rest); any other
    copy is read and checked whole.
    """
    if split not in FILES:
        raise ValueError(f"unknown split {split!r}; use 'train' or 'test'")
    if notation not in ("rows", "columns"):
        raise ValueError(f"unknown notation {notation!r}; use 'rows' or 'columns'")
    folder = ensure_mnist(data_dir, download)
    images_path, labels_path = (_find_file(folder, name) for name in FILES[split])
    if count is not None and _official_pair([images_path, labels_path], FILES[split]):
        images, labels = _read_official_start(images_path.resolve(), labels_path.resolve(),
                                              count, _stamp(images_path), _stamp(labels_path))
    else:
        images, labels = _read_split(images_path, labels_path)
    if count is not None:
        if not 0 <= count <= len(labels):
            raise ValueError(f"count={count}: the {split} split has {len(labels):,} images")
        images, labels = images[:count], labels[:count]
    # Each pixel value / 255, computed in float32.
    X = np.divide(images.reshape(len(images), -1), np.float32(255), dtype=np.float32, out=out)
    y = labels.astype(np.int64)
    if one_hot:
        Y = np.zeros((len(labels), 10), dtype=np.float32)
        Y[np.arange(len(labels)), labels] = 1
        return (X, Y) if notation == "rows" else (X.T, Y.T)
    return (X, y) if notation == "rows" else (X.T, y)
