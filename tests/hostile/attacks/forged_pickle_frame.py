"""Writes a well-formed reply frame onto the channel whose array is a pickle (dtype object): if
the grader unpickled it, a file would appear in the grader's home folder.

The grader decodes only plain numeric .npy data and never unpickles: the frame is refused,
relu scores nothing, and no file appears.
"""
import io
import json
import os
import struct

EXERCISE = "relu"
SAYS = "dtype '|O'"
TOKEN = "@TOKEN@"
MARKER = "@HOME@/@TOKEN@-unpickled"


class Payload:
    def __reduce__(self):
        return (open, (MARKER, "w"))


def _frame():
    buffer = io.BytesIO()
    np.save(buffer, np.array([Payload()], dtype=object), allow_pickle=True)
    blob = buffer.getvalue()
    blob += bytes(-len(blob) % 64)
    header = json.dumps({"kind": "returned", "mutated": [], "value": {"a": 0},
                         "blobs": [len(buffer.getvalue())]}).encode()
    return b"NNK1" + struct.pack("<IQ", len(header), len(blob)) + header + blob


def relu(Z):
    os.write(101, _frame())
    return np.array([Payload()], dtype=object)
