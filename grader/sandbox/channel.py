"""The wire format between the grader and its sandbox worker: length-prefixed frames over pipes.

Both sides import this module, the grader as `grader.sandbox.channel` and the worker as plain
`channel` (it is mounted next to worker.py), so it may import only the standard library and NumPy.

A frame is a 16-byte prefix, a JSON header and a body of array blobs:

    prefix  b"NNK1", header length (u32), body length (u64), little-endian
    header  a UTF-8 JSON object: {"kind": ..., "blobs": [blob size, ...], ...}
    body    each blob is the .npy encoding (format 1.0 or 2.0, never pickled) of one array,
            zero-padded to a multiple of 64 bytes so that every decoded array is aligned

A request from the grader whose arrays are large has its body in the worker's request region
instead (a sealed memfd the worker maps read-only, see shared.request_region): its prefix then
starts with b"NNK2" and only the prefix and header cross the pipe (into_region, read_frame).

A value ("tree") inside a header is JSON, with the three kinds JSON lacks wrapped in a one-key
object: dict → {"d": {key: tree}}, tuple → {"t": [tree, ...]}, array → {"a": blob index}.
A bare JSON object therefore never is a value. Floats round-trip exactly, NaN and ±inf included.

A blob holds exactly the bytes `np.save(allow_pickle=False)` writes: NumPy's own header writer,
then the data straight from the array's memory (no copy for contiguous arrays).

Decoding assumes the other side is hostile: sizes are checked before anything is allocated, trees
are bounded in depth and size, and arrays are rebuilt only for plain numeric and bool dtypes.
`np.load` is not called because it copies the data two or three times; instead the .npy header is
parsed by NumPy's own `read_array_header_*` (a literal parser that never unpickles) and the data
is viewed in place: what `np.load(allow_pickle=False)` accepts, minus object, structured and
string dtypes.
"""

from __future__ import annotations

import functools
import io
import json
import math
import os
import struct

import numpy as np

MAGIC = b"NNK1"
#: A request whose body is in the worker's request region, not on the pipe (into_region).
IN_REGION_MAGIC = b"NNK2"
PREFIX = struct.Struct("<4sIQ")
ALIGN = 64
MAX_DEPTH = 8              # containers inside containers; forward's (A2, cache) needs 2
MAX_ITEMS = 100_000        # values in one tree, containers included
MAX_HEADER_BYTES = 16 << 20
MAX_NPY_HEADER_BYTES = 16 << 10
MAX_STRING = 1 << 20       # characters in one string value
MAX_INT_DIGITS = 40        # JSON integers longer than this are refused before int() sees them
ALLOWED_DTYPE_KINDS = "biufc"  # bool, signed, unsigned, float, complex

#: The worker's exit status when it ran out of memory outside the student's own frames.
EXIT_OUT_OF_MEMORY = 99

#: The known-good helpers `substitutes` may name; worker.py implements exactly these.
KNOWN_GOOD_HELPERS = ("relu", "relu_derivative", "softmax_rows", "softmax_columns")


class WireError(ValueError):
    """A frame or value that may not cross the channel; the message is fit for a student."""


class NotPlainData(WireError):
    """A value (or part of one, at `path`) that is not plain data."""

    def __init__(self, path: str, description: str):
        super().__init__(f"{path} is {description}")
        self.path = path
        self.description = description


class MalformedFrame(WireError):
    """Bytes on the channel that do not follow this format."""


class ReplyTooLarge(MalformedFrame):
    """A frame announcing more bytes than the reader accepts."""


# ---- values ⇄ trees -----------------------------------------------------------------------------

def to_tree(value, arrays: list, path: str = "value"):
    """The JSON tree for `value`, appending its arrays to `arrays`. Raises NotPlainData.

    Containers and scalars of subclasses (namedtuple, OrderedDict, IntEnum, np.matrix) become their
    plain base type; NumPy scalars become Python scalars (other NumPy scalars 0-d arrays). Anything
    else is refused by type: objects with `__array__` or `__iter__` are never converted.
    """
    return _to_tree(value, arrays, path, 0, [0])


def _to_tree(value, arrays, path, depth, count):
    count[0] += 1
    if count[0] > MAX_ITEMS:
        raise NotPlainData(path, f"past the limit of {MAX_ITEMS} values in one result")
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        if kind is int and value.bit_length() > 128:
            raise NotPlainData(path, "an integer with more than 128 bits")
        if kind is str and len(value) > MAX_STRING:
            raise NotPlainData(path, f"a string of {len(value)} characters; at most "
                                     f"{MAX_STRING} are accepted")
        return value
    if isinstance(value, np.ndarray):
        return _array_node(value if kind is np.ndarray else np.asarray(value), arrays, path)
    if isinstance(value, np.generic):
        return _numpy_scalar_node(value, arrays, path, depth, count)
    for plain in (bool, int, float, str):
        if isinstance(value, plain):
            return _to_tree(plain(value), arrays, path, depth, count)
    if isinstance(value, (dict, list, tuple)):
        if depth >= MAX_DEPTH:
            raise NotPlainData(path, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            return {"d": _dict_node(value, arrays, path, depth, count)}
        items = [_to_tree(item, arrays, f"{path}[{i}]", depth + 1, count)
                 for i, item in enumerate(value)]
        return items if isinstance(value, list) else {"t": items}
    raise NotPlainData(path, f"a {describe_type(value)}")


def _dict_node(value, arrays, path, depth, count):
    node = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise NotPlainData(path, f"a dict with a key of type {describe_type(key)}; "
                                     "keys must be strings")
        node[str(key)] = _to_tree(item, arrays, f"{path}[{str(key)!r}]", depth + 1, count)
    return node


def _numpy_scalar_node(value, arrays, path, depth, count):
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return _to_tree(int(value), arrays, path, depth, count)
    if isinstance(value, np.floating) and value.dtype.itemsize <= 8:
        return float(value)
    return _array_node(np.asarray(value), arrays, path)


def _array_node(array: np.ndarray, arrays: list, path: str) -> dict:
    if not dtype_allowed(array.dtype):
        raise NotPlainData(path, f"a NumPy array of dtype {array.dtype.str!r}; "
                                 "only numeric and bool arrays are accepted")
    arrays.append(array)
    return {"a": len(arrays) - 1}


def dtype_allowed(dtype: np.dtype) -> bool:
    return dtype.kind in ALLOWED_DTYPE_KINDS and dtype.fields is None and dtype.subdtype is None


def describe_type(value) -> str:
    """`value`'s type as a student reads it, e.g. "Foo (from submission)", at most 80 chars."""
    kind = type(value)
    module = getattr(kind, "__module__", "")
    name = getattr(kind, "__qualname__", "?")
    text = name if module in ("builtins", "", None) else f"{name} (from {module})"
    return str(text)[:80]


def from_tree(node, arrays: list):
    """The value a tree from the other side stands for; each array may be used once.

    Raises MalformedFrame for anything `to_tree` would not have produced.
    """
    used = [False] * len(arrays)
    return _from_tree(node, arrays, used, 0, [0])


def _from_tree(node, arrays, used, depth, count):
    count[0] += 1
    if count[0] > MAX_ITEMS:
        raise MalformedFrame(f"the value has more than {MAX_ITEMS} parts")
    kind = type(node)
    if node is None or kind in (bool, int, float, str):
        return node
    if depth >= MAX_DEPTH + 1:
        raise MalformedFrame(f"the value is nested more than {MAX_DEPTH} levels deep")
    if kind is list:
        return [_from_tree(item, arrays, used, depth + 1, count) for item in node]
    if kind is dict and len(node) == 1:
        (tag, inner), = node.items()
        if tag == "d" and type(inner) is dict:
            return {key: _from_tree(item, arrays, used, depth + 1, count)
                    for key, item in inner.items()}
        if tag == "t" and type(inner) is list:
            return tuple(_from_tree(item, arrays, used, depth + 1, count) for item in inner)
        if tag == "a" and type(inner) is int and 0 <= inner < len(arrays) and not used[inner]:
            used[inner] = True
            return arrays[inner]
    raise MalformedFrame("the value contains something that is not plain data")


# ---- frames -------------------------------------------------------------------------------------

def pack(header: dict, arrays: list) -> list:
    """The buffers of one frame (for os.writev): prefix, header, then each array's npy bytes.

    Contiguous arrays are sent from their own memory, without a copy.
    """
    buffers, sizes = [], []
    for array in arrays:
        npy_header, data = _npy_parts(array)
        size = len(npy_header) + data.nbytes
        buffers += [npy_header, data, bytes(-size % ALIGN)]
        sizes.append(size)
    header = dict(header, blobs=sizes)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    body_length = sum(_padded(size) for size in sizes)
    return [PREFIX.pack(MAGIC, len(encoded), body_length), encoded] + buffers


def into_region(buffers: list, region) -> list:
    """A frame packed by `pack` (grader → worker) with its body copied into `region`, the
    worker's request region (shared.request_region): what is left to write on the pipe, the
    prefix (magic IN_REGION_MAGIC) and the header. A memory copy instead of a pipe's two
    (measured: 0.22 ms of the grader's CPU for each 800 KB written into a pipe, as much again
    for the worker reading it). The caller checks the body fits, and sends the next request
    only once this one is answered: the worker copies a body out before it does anything."""
    offset = 0
    for buffer in buffers[2:]:
        view = memoryview(buffer).cast("B")
        region[offset:offset + len(view)] = view
        offset += len(view)
    return [IN_REGION_MAGIC + bytes(buffers[0])[len(MAGIC):], buffers[1]]


def body_length(buffers: list) -> int:
    """The body length a frame packed by `pack` announces."""
    return PREFIX.unpack(bytes(buffers[0]))[2]


def _npy_parts(array: np.ndarray) -> tuple[bytes, memoryview]:
    if not (array.flags.c_contiguous or array.flags.f_contiguous):
        array = np.ascontiguousarray(array)
    fortran_order = not array.flags.c_contiguous
    header = _npy_header(array.dtype, fortran_order, array.shape)
    in_memory_order = array.T if fortran_order else array
    return header, memoryview(in_memory_order.reshape(-1).view(np.uint8))


@functools.lru_cache(maxsize=256)
def _npy_header(dtype: np.dtype, fortran_order: bool, shape: tuple) -> bytes:
    """The .npy header NumPy writes for such an array (cached: a training loop repeats shapes)."""
    fields = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": fortran_order,
              "shape": shape}
    out = io.BytesIO()
    try:
        np.lib.format.write_array_header_1_0(out, fields)
    except ValueError:  # a header over 64 KiB needs format 2.0
        out = io.BytesIO()
        np.lib.format.write_array_header_2_0(out, fields)
    return out.getvalue()


def _padded(size: int) -> int:
    return size + (-size % ALIGN)


def parse_prefix(prefix: bytes, max_body: int) -> tuple[int, int]:
    """(header length, body length) of a frame, checked against the limits."""
    magic, header_length, body_length = PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise MalformedFrame("the reply does not start like a frame")
    if header_length > MAX_HEADER_BYTES:
        raise ReplyTooLarge(f"its numbers and text take {header_length} bytes, more than the "
                            f"grader's limit of {MAX_HEADER_BYTES}")
    if body_length > max_body:
        raise ReplyTooLarge(f"its arrays take {body_length} bytes, more than the grader's "
                            f"limit of {max_body}")
    return header_length, body_length


def parse_header(raw: bytes, body_length: int) -> dict:
    """The header's JSON object, with `blobs` checked to add up to the body length."""
    try:
        header = json.loads(raw, parse_int=_bounded_int)
    except (ValueError, RecursionError) as error:
        raise MalformedFrame(f"the reply's header is not valid JSON ({str(error)[:100]})") from None
    if type(header) is not dict or type(header.get("kind")) is not str:
        raise MalformedFrame("the reply's header has no kind")
    sizes = header.get("blobs")
    if type(sizes) is not list or not all(type(size) is int and size >= 0 for size in sizes):
        raise MalformedFrame("the reply's header lists no blob sizes")
    if sum(_padded(size) for size in sizes) != body_length:
        raise MalformedFrame("the reply's blob sizes do not add up to its length")
    return header


def _bounded_int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS:
        raise ValueError(f"an integer with {len(text)} digits")
    return int(text)


def unpack_arrays(header: dict, body: bytearray) -> list[np.ndarray]:
    """The arrays of a frame whose header passed `parse_header`; they are views of `body`."""
    arrays, start = [], 0
    view = memoryview(body)
    for size in header["blobs"]:
        arrays.append(read_npy(view[start:start + size]))
        start += _padded(size)
    return arrays


def read_npy(blob: memoryview) -> np.ndarray:
    """One .npy blob as an array viewing `blob`; only plain numeric and bool dtypes are accepted."""
    shape, fortran_order, dtype, offset = _npy_layout(bytes(blob[:_npy_header_end(blob)]))
    count = math.prod(shape)
    if len(blob) - offset != count * dtype.itemsize:
        raise MalformedFrame("an array in the reply does not have as many bytes as its shape says")
    array = np.frombuffer(blob, dtype=dtype, count=count, offset=offset)
    return array.reshape(shape, order="F" if fortran_order else "C")


def _npy_header_end(blob: memoryview) -> int:
    """Where the data starts: magic (6) + version (2) + header length (2 or 4) + header."""
    version = bytes(blob[6:8])
    if bytes(blob[:6]) != b"\x93NUMPY" or version not in (b"\x01\x00", b"\x02\x00"):
        raise MalformedFrame("an array in the reply is not in .npy format 1.0 or 2.0")
    length_format = "<H" if version == b"\x01\x00" else "<I"
    start = 8 + struct.calcsize(length_format)
    if len(blob) < start:
        raise MalformedFrame("an array in the reply is cut short")
    end = start + struct.unpack(length_format, blob[8:start])[0]
    if end > min(len(blob), MAX_NPY_HEADER_BYTES):
        raise MalformedFrame("an array in the reply has an oversized .npy header")
    return end


@functools.lru_cache(maxsize=256)
def _npy_layout(head: bytes) -> tuple[tuple, bool, np.dtype, int]:
    """(shape, fortran_order, dtype, data offset) from a whole .npy header, parsed by NumPy's
    literal-only header reader; cached, since a training loop sends the same shapes again."""
    stream = io.BytesIO(head)
    try:
        version = np.lib.format.read_magic(stream)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}[version]
        shape, fortran_order, dtype = read_header(stream)
    except (ValueError, KeyError, SyntaxError, TypeError) as error:
        raise MalformedFrame(f"an array in the reply has a bad .npy header ({str(error)[:100]})") \
            from None
    if not dtype_allowed(dtype):
        raise MalformedFrame(f"an array in the reply has dtype {dtype.str!r}; "
                             "only numeric and bool arrays are accepted")
    return shape, fortran_order, dtype, len(head)


# ---- blocking I/O (the worker's side) -----------------------------------------------------------

def write_all(fd: int, buffers: list) -> None:
    """Write every buffer to `fd`, in order, however many calls the pipe needs."""
    views = [memoryview(buffer).cast("B") for buffer in buffers if len(buffer)]
    while views:
        written = os.writev(fd, views[:512])
        views = consume(views, written)


def consume(views: list, written: int) -> list:
    """`views` without their first `written` bytes."""
    while written and views:
        if written >= len(views[0]):
            written -= len(views[0])
            views.pop(0)
        else:
            views[0] = views[0][written:]
            written = 0
    return views


def read_exactly(fd: int, size: int) -> bytearray:
    """`size` bytes from a blocking `fd`; EOFError if it closes first."""
    buffer = bytearray(size)
    view, filled = memoryview(buffer), 0
    while filled < size:
        got = os.readv(fd, [view[filled:]])
        if got == 0:
            raise EOFError("the channel closed")
        filled += got
    return buffer


def read_frame(fd: int, max_body: int = 1 << 40, region=None) -> tuple[dict, list[np.ndarray]]:
    """The next frame from a blocking `fd`: its header and its arrays. `region`: the worker's
    request region (read-only), where a request marked IN_REGION_MAGIC has its body; the body
    is copied out before anything else happens."""
    prefix = bytes(read_exactly(fd, PREFIX.size))
    in_region = region is not None and prefix.startswith(IN_REGION_MAGIC)
    if in_region:
        prefix, max_body = MAGIC + prefix[len(IN_REGION_MAGIC):], len(region)
    header_length, length = parse_prefix(prefix, max_body)
    header = parse_header(bytes(read_exactly(fd, header_length)), length)
    if in_region:
        body = bytearray(length)
        with memoryview(region) as view:
            body[:] = view[:length]         # one copy (region[:length] would make two)
    else:
        body = read_exactly(fd, length)
    return header, unpack_arrays(header, body)
